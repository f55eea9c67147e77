import { expect } from 'chai';
import { createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto';
import { NodeEndToEnd, SEAL_OVERHEAD_BYTES, X25519_SPKI_PREFIX } from '../../../../src/adapters/system/node-end-to-end';
import type { IdentityKeys } from '../../../../src/application/ports/key-store';

/** RFC 7748 §6.1: Alice's and Bob's private and public keys, and their shared secret. */
const RFC7748 = {
  alicePrivate: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  alicePublic: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  bobPrivate: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  bobPublic: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
};

/** An identity from a raw RFC 7748 private key (PKCS#8 = fixed DER header ‖ the 32 bytes). */
function identity(privateHex: string): IdentityKeys {
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), Buffer.from(privateHex, 'hex')]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return { publicKey: spki.subarray(X25519_SPKI_PREFIX.length).toString('base64url'), privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

describe('adapters/system/node-end-to-end: the pair construction', () => {
  const e2e = new NodeEndToEnd();
  const alice = identity(RFC7748.alicePrivate);
  const bob = identity(RFC7748.bobPrivate);

  it('X25519 matches RFC 7748 §6.1 (public keys and shared secret)', () => {
    expect(Buffer.from(alice.publicKey, 'base64url').toString('hex')).to.equal(RFC7748.alicePublic);
    expect(Buffer.from(bob.publicKey, 'base64url').toString('hex')).to.equal(RFC7748.bobPublic);
    const shared = diffieHellman({ privateKey: createPrivateKey(alice.privateKey), publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: bob.publicKey }, format: 'jwk' }) });
    expect(shared.toString('hex')).to.equal(RFC7748.shared);
  });

  it('HKDF-SHA256 matches RFC 5869 test case 1, and a payload is ChaCha20-Poly1305 under the pair key from HKDF of the RFC 7748 secret', () => {
    const okm = Buffer.from(hkdfSync('sha256', Buffer.alloc(22, 0x0b), Buffer.from('000102030405060708090a0b0c', 'hex'), Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'), 42));
    expect(okm.toString('hex')).to.equal('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
    const info = Buffer.concat([Buffer.from('chatapp pair v1'), Buffer.from(RFC7748.alicePublic, 'hex'), Buffer.from(RFC7748.bobPublic, 'hex')]);
    const pair = Buffer.from(hkdfSync('sha256', Buffer.from(RFC7748.shared, 'hex'), Buffer.alloc(0), info, 32));
    for (const [me, peer] of [[alice, bob], [bob, alice]] as const) {
      const sealed = Buffer.from(e2e.seal(me, peer.publicKey, 'hello', 'ctx')!, 'base64url');
      const decipher = createDecipheriv('chacha20-poly1305', pair, sealed.subarray(0, 12), { authTagLength: 16 });
      decipher.setAAD(Buffer.from('ctx'), { plaintextLength: sealed.length - 28 });
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      expect(Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString()).to.equal('hello');
    }
  });

  it('round trip: what one side seals the other opens, any text, with SEAL_OVERHEAD_BYTES added', () => {
    for (const text of ['hi', '', 'é日本🎉"\\\u0000', 'x'.repeat(1000)]) {
      const sealed = e2e.seal(alice, bob.publicKey, text, 'chat\nalice\nbob\nid1')!;
      expect(Buffer.from(sealed, 'base64url').length).to.equal(Buffer.byteLength(text) + SEAL_OVERHEAD_BYTES);
      expect(new NodeEndToEnd().open(bob, alice.publicKey, sealed, 'chat\nalice\nbob\nid1')).to.equal(text);
    }
  });

  it('a fresh nonce each time: sealing twice gives two payloads', () => {
    expect(e2e.seal(alice, bob.publicKey, 'same', 'c')).to.not.equal(e2e.seal(alice, bob.publicKey, 'same', 'c'));
  });

  it('tamper → rejected: every flipped byte, another context, a truncation', () => {
    const sealed = Buffer.from(e2e.seal(alice, bob.publicKey, 'secret text', 'ctx')!, 'base64url');
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i] ^= 0x01;
      expect(e2e.open(bob, alice.publicKey, bad.toString('base64url'), 'ctx'), `byte ${i}`).to.equal(undefined);
    }
    expect(e2e.open(bob, alice.publicKey, sealed.toString('base64url'), 'ctx2')).to.equal(undefined);
    expect(e2e.open(bob, alice.publicKey, sealed.subarray(0, 20).toString('base64url'), 'ctx')).to.equal(undefined);
  });

  it('wrong key → rejected: a third party cannot open nor forge; a bad or low-order peer key is refused', () => {
    const eve = e2e.newIdentity();
    const sealed = e2e.seal(alice, bob.publicKey, 'secret', 'ctx')!;
    expect(e2e.open(eve, alice.publicKey, sealed, 'ctx')).to.equal(undefined);
    expect(e2e.open(bob, eve.publicKey, sealed, 'ctx')).to.equal(undefined);
    const forged = e2e.seal(eve, bob.publicKey, 'from alice', 'ctx')!;
    expect(e2e.open(bob, alice.publicKey, forged, 'ctx')).to.equal(undefined);
    expect(e2e.seal(alice, Buffer.alloc(32).toString('base64url'), 'x', 'c')).to.equal(undefined);
    expect(e2e.seal(alice, 'not a key', 'x', 'c')).to.equal(undefined);
  });

  it('fingerprints: 16 bytes of SHA-256 as eight groups of four hex digits, one per key', () => {
    expect(e2e.fingerprint(alice.publicKey)).to.match(/^([0-9a-f]{4} ){7}[0-9a-f]{4}$/);
    expect(e2e.fingerprint(alice.publicKey)).to.not.equal(e2e.fingerprint(bob.publicKey));
  });

  it('new identities are valid keys that agree with each other', () => {
    const a = e2e.newIdentity();
    const b = e2e.newIdentity();
    expect(e2e.isPublicKey(a.publicKey)).to.equal(true);
    expect(e2e.open(b, a.publicKey, e2e.seal(a, b.publicKey, 'ok', 'c')!, 'c')).to.equal('ok');
  });
});
