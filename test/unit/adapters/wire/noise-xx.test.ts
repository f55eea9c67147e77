import { expect } from 'chai';
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { MAX_NONCE, NOISE_TAG_BYTES, TransportCipher } from '../../../../src/adapters/wire/noise/noise-cipher';
import { generateStaticKeyPair, NOISE_MAX_MESSAGE_BYTES, staticKeyPairFromPem, x25519KeyPairFromRaw, XXInitiator, XXResponder, type StaticKeyPair } from '../../../../src/adapters/wire/noise/noise-xx';

/** A key pair from a raw X25519 private key (PKCS#8 = fixed DER header ‖ the 32 bytes), loaded through its PEM. */
function keyPair(privateHex: string): StaticKeyPair {
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), Buffer.from(privateHex, 'hex')]);
  return staticKeyPairFromPem(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string);
}

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const EMPTY = Buffer.alloc(0);

/**
 * Noise_XX_25519_ChaChaPoly_SHA256 from the cacophony test vectors (mcginty/snow,
 * tests/vectors/cacophony.txt at aabed3159deec0a0dfe3d5601c43322d84700c94). The messages alternate
 * initiator, responder, …: three handshake messages, then transport messages with nonces 0, 0, 1.
 */
const VECTOR = {
  prologue: '4a6f686e2047616c74',
  initStatic: 'e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1',
  initEphemeral: '893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a',
  respStatic: '4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893',
  respEphemeral: 'bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b',
  /** The static public keys, as other cacophony vectors list them for these private keys. */
  initStaticPublic: '6bc3822a2aa7f4e6981d6538692b3cdf3e6df9eea6ed269eb41d93c22757b75a',
  respStaticPublic: '31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62',
  handshakeHash: 'c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e',
  messages: [
    { payload: '4c756477696720766f6e204d69736573', ciphertext: 'ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573' },
    {
      payload: '4d757272617920526f746862617264',
      ciphertext:
        '95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad',
    },
    {
      payload: '462e20412e20486179656b',
      ciphertext: 'c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030',
    },
    { payload: '4361726c204d656e676572', ciphertext: '96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df' },
    { payload: '4a65616e2d426170746973746520536179', ciphertext: '3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5' },
    { payload: '457567656e2042f6686d20766f6e2042617765726b', ciphertext: 'eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f' },
  ],
} as const;

/** Points of small order on Curve25519 (0, 1, an order-8 point, p−1): a DH with any of them gives all zeros. */
const LOW_ORDER = ['00'.repeat(32), '01' + '00'.repeat(31), 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'];

interface Pair {
  readonly initiator: XXInitiator;
  readonly responder: XXResponder;
}

function pair(prologue = Buffer.from('chatapp test')): Pair {
  return { initiator: new XXInitiator(generateStaticKeyPair(), prologue), responder: new XXResponder(generateStaticKeyPair(), prologue) };
}

/** Runs the handshake up to message 2 written by the responder. */
function upToMessage2({ initiator, responder }: Pair): Buffer {
  expect(responder.readMessage1(initiator.writeMessage1(Buffer.from('hello')))).to.not.equal(undefined);
  return responder.writeMessage2(Buffer.from('server'));
}

function flipped(message: Buffer, index: number): Buffer {
  const copy = Buffer.from(message);
  copy[index]! ^= 0x01;
  return copy;
}

describe('adapters/system/noise/noise-xx: Noise_XX_25519_ChaChaPoly_SHA256', () => {
  it('matches the cacophony test vector: the three handshake messages, the handshake hash and the transport messages', () => {
    const [m1, m2, m3, t1, t2, t3] = VECTOR.messages;
    const initiator = new XXInitiator(keyPair(VECTOR.initStatic), hex(VECTOR.prologue), keyPair(VECTOR.initEphemeral));
    const responder = new XXResponder(keyPair(VECTOR.respStatic), hex(VECTOR.prologue), keyPair(VECTOR.respEphemeral));

    const message1 = initiator.writeMessage1(hex(m1.payload));
    expect(message1.toString('hex')).to.equal(m1.ciphertext);
    expect(responder.readMessage1(message1)!.payload.toString('hex')).to.equal(m1.payload);

    const message2 = responder.writeMessage2(hex(m2.payload));
    expect(message2.toString('hex')).to.equal(m2.ciphertext);
    const read2 = initiator.readMessage2(message2)!;
    expect(read2.payload.toString('hex')).to.equal(m2.payload);
    expect(read2.remoteStatic.toString('hex')).to.equal(VECTOR.respStaticPublic);

    const message3 = initiator.writeMessage3(hex(m3.payload));
    expect(message3.toString('hex')).to.equal(m3.ciphertext);
    const read3 = responder.readMessage3(message3)!;
    expect(read3.payload.toString('hex')).to.equal(m3.payload);
    expect(read3.remoteStatic.toString('hex')).to.equal(VECTOR.initStaticPublic);

    const i = initiator.split();
    const r = responder.split();
    expect(i.handshakeHash.toString('hex')).to.equal(VECTOR.handshakeHash);
    expect(r.handshakeHash.toString('hex')).to.equal(VECTOR.handshakeHash);

    // After the handshake the responder speaks first; each direction counts its own nonces from 0.
    const transport: [TransportCipher, TransportCipher, bigint, { payload: string; ciphertext: string }][] = [
      [new TransportCipher(r.send), new TransportCipher(i.receive), 0n, t1],
      [new TransportCipher(i.send), new TransportCipher(r.receive), 0n, t2],
      [new TransportCipher(r.send), new TransportCipher(i.receive), 1n, t3],
    ];
    for (const [sender, receiver, nonce, { payload, ciphertext }] of transport) {
      expect(sender.seal(nonce, EMPTY, hex(payload)).toString('hex')).to.equal(ciphertext);
      expect(receiver.open(nonce, EMPTY, hex(ciphertext))!.toString('hex')).to.equal(payload);
    }
  });

  it('an initiator without its static key until message 3: the handshake begins and message 2 is read without it; message 3 needs it', () => {
    const s1 = generateStaticKeyPair();
    const s2 = generateStaticKeyPair();
    const initiator = new XXInitiator(undefined, Buffer.from('v1'));
    const responder = new XXResponder(s2, Buffer.from('v1'));
    responder.readMessage1(initiator.writeMessage1(EMPTY));
    expect(initiator.readMessage2(responder.writeMessage2(EMPTY))!.remoteStatic.equals(s2.publicKey)).to.equal(true);
    expect(() => initiator.writeMessage3(EMPTY)).to.throw(Error);
    const read3 = responder.readMessage3(initiator.writeMessage3(Buffer.from('three'), s1))!;
    expect(read3.payload.toString()).to.equal('three');
    expect(read3.remoteStatic.equals(s1.publicKey)).to.equal(true);
    expect(initiator.split().send.equals(responder.split().receive)).to.equal(true);
  });

  it('round trip with random keys: payloads and static keys arrive, the keys are oriented, both sides share the handshake hash', () => {
    const s1 = generateStaticKeyPair();
    const s2 = generateStaticKeyPair();
    expect(s1.publicKey.length).to.equal(32);
    const initiator = new XXInitiator(s1, Buffer.from('v1'));
    const responder = new XXResponder(s2, Buffer.from('v1'));
    const message1 = initiator.writeMessage1(Buffer.from('one'));
    expect(message1.length).to.equal(32 + 3);
    expect(responder.readMessage1(message1)!.payload.toString()).to.equal('one');
    const message2 = responder.writeMessage2(Buffer.from('two'));
    expect(message2.length).to.equal(32 + 48 + 3 + 16);
    const read2 = initiator.readMessage2(message2)!;
    expect(read2.payload.toString()).to.equal('two');
    expect(read2.remoteStatic.equals(s2.publicKey)).to.equal(true);
    const message3 = initiator.writeMessage3(Buffer.from('three'));
    expect(message3.length).to.equal(48 + 5 + 16);
    const read3 = responder.readMessage3(message3)!;
    expect(read3.payload.toString()).to.equal('three');
    expect(read3.remoteStatic.equals(s1.publicKey)).to.equal(true);

    const i = initiator.split();
    const r = responder.split();
    expect(i.send.equals(r.receive) && i.receive.equals(r.send)).to.equal(true);
    expect(i.send.equals(i.receive)).to.equal(false);
    expect(i.handshakeHash.equals(r.handshakeHash)).to.equal(true);
    const up = new TransportCipher(i.send).seal(7n, Buffer.from('ad'), Buffer.from('up'));
    expect(new TransportCipher(r.receive).open(7n, Buffer.from('ad'), up)!.toString()).to.equal('up');
    const down = new TransportCipher(r.send).seal(7n, Buffer.from('ad'), Buffer.from('down'));
    expect(new TransportCipher(i.receive).open(7n, Buffer.from('ad'), down)!.toString()).to.equal('down');
  });

  it('empty payloads give the minimal messages: 32, 96 and 64 bytes', () => {
    const { initiator, responder } = pair();
    const message1 = initiator.writeMessage1(EMPTY);
    expect(message1.length).to.equal(32);
    expect(responder.readMessage1(message1)!.payload.length).to.equal(0);
    const message2 = responder.writeMessage2(EMPTY);
    expect(message2.length).to.equal(96);
    expect(initiator.readMessage2(message2)!.payload.length).to.equal(0);
    const message3 = initiator.writeMessage3(EMPTY);
    expect(message3.length).to.equal(64);
    expect(responder.readMessage3(message3)!.payload.length).to.equal(0);
  });

  it('a tampered message 2 → undefined for every flipped byte, and the genuine one still completes the handshake', () => {
    const p = pair();
    const message2 = upToMessage2(p);
    for (let i = 0; i < message2.length; i++) expect(p.initiator.readMessage2(flipped(message2, i)), `byte ${i}`).to.equal(undefined);
    expect(p.initiator.readMessage2(message2)!.payload.toString()).to.equal('server');
  });

  it('a tampered message 3 → undefined for every flipped byte, and the genuine one still completes the handshake', () => {
    const p = pair();
    expect(p.initiator.readMessage2(upToMessage2(p))).to.not.equal(undefined);
    const message3 = p.initiator.writeMessage3(Buffer.from('client'));
    for (let i = 0; i < message3.length; i++) expect(p.responder.readMessage3(flipped(message3, i)), `byte ${i}`).to.equal(undefined);
    expect(p.responder.readMessage3(message3)!.payload.toString()).to.equal('client');
    expect(p.responder.split().handshakeHash.equals(p.initiator.split().handshakeHash)).to.equal(true);
  });

  it('a tampered message 1 (clear, so it reads) is caught by message 2: the transcripts differ', () => {
    const { initiator, responder } = pair();
    const message1 = initiator.writeMessage1(Buffer.from('hello'));
    expect(responder.readMessage1(flipped(message1, 32))!.payload.toString()).to.not.equal('hello');
    expect(initiator.readMessage2(responder.writeMessage2(Buffer.from('server')))).to.equal(undefined);
  });

  it('another prologue → message 2 does not authenticate', () => {
    const initiator = new XXInitiator(generateStaticKeyPair(), Buffer.from('v1'));
    const responder = new XXResponder(generateStaticKeyPair(), Buffer.from('v2'));
    expect(responder.readMessage1(initiator.writeMessage1(EMPTY))).to.not.equal(undefined);
    expect(initiator.readMessage2(responder.writeMessage2(EMPTY))).to.equal(undefined);
  });

  it('wrong lengths → undefined: short messages, truncations and anything over 65535 bytes', () => {
    const p = pair();
    for (let n = 0; n < 32; n++) expect(p.responder.readMessage1(Buffer.alloc(n, 9)), `message 1 of ${n}`).to.equal(undefined);
    expect(p.responder.readMessage1(Buffer.alloc(NOISE_MAX_MESSAGE_BYTES + 1, 9))).to.equal(undefined);
    const message2 = upToMessage2(p);
    for (let n = 0; n < message2.length; n++) expect(p.initiator.readMessage2(message2.subarray(0, n)), `message 2 cut at ${n}`).to.equal(undefined);
    expect(p.initiator.readMessage2(Buffer.concat([message2, Buffer.of(0)]))).to.equal(undefined);
    expect(p.initiator.readMessage2(Buffer.alloc(NOISE_MAX_MESSAGE_BYTES + 1))).to.equal(undefined);
    expect(p.initiator.readMessage2(message2)).to.not.equal(undefined);
    const message3 = p.initiator.writeMessage3(Buffer.from('client'));
    for (let n = 0; n < message3.length; n++) expect(p.responder.readMessage3(message3.subarray(0, n)), `message 3 cut at ${n}`).to.equal(undefined);
    expect(p.responder.readMessage3(Buffer.alloc(NOISE_MAX_MESSAGE_BYTES + 1))).to.equal(undefined);
    expect(p.responder.readMessage3(message3)).to.not.equal(undefined);
  });

  it('low-order keys → undefined: an ephemeral key in message 1 or 2, a static key sealed in message 2 or 3', () => {
    for (const point of LOW_ORDER) {
      const responder = new XXResponder(generateStaticKeyPair(), EMPTY);
      expect(responder.readMessage1(Buffer.concat([hex(point), Buffer.from('hi')])), point).to.equal(undefined);

      const p = pair(EMPTY);
      const message2 = upToMessage2(p);
      expect(p.initiator.readMessage2(Buffer.concat([hex(point), message2.subarray(32)])), point).to.equal(undefined);

      // A peer that claims a low-order static key seals it properly; the DH with it is what fails.
      const fake = (real: StaticKeyPair): StaticKeyPair => ({ publicKey: hex(point), privateKey: real.privateKey });
      const initiator = new XXInitiator(generateStaticKeyPair(), EMPTY);
      const liar = new XXResponder(fake(generateStaticKeyPair()), EMPTY);
      expect(liar.readMessage1(initiator.writeMessage1(EMPTY))).to.not.equal(undefined);
      expect(initiator.readMessage2(liar.writeMessage2(EMPTY)), point).to.equal(undefined);

      const liarInitiator = new XXInitiator(fake(generateStaticKeyPair()), EMPTY);
      const honest = new XXResponder(generateStaticKeyPair(), EMPTY);
      expect(honest.readMessage1(liarInitiator.writeMessage1(EMPTY))).to.not.equal(undefined);
      expect(liarInitiator.readMessage2(honest.writeMessage2(EMPTY))).to.not.equal(undefined);
      expect(honest.readMessage3(liarInitiator.writeMessage3(EMPTY)), point).to.equal(undefined);
    }
  });

  it('calls out of order throw: they are programming errors, not network input', () => {
    const { initiator, responder } = pair();
    expect(() => initiator.readMessage2(Buffer.alloc(96))).to.throw(Error);
    expect(() => initiator.writeMessage3(EMPTY)).to.throw(Error);
    expect(() => initiator.split()).to.throw(Error);
    expect(() => responder.writeMessage2(EMPTY)).to.throw(Error);
    expect(() => responder.readMessage3(Buffer.alloc(64))).to.throw(Error);
    expect(() => responder.split()).to.throw(Error);
    const message1 = initiator.writeMessage1(EMPTY);
    expect(() => initiator.writeMessage1(EMPTY)).to.throw(Error);
    expect(responder.readMessage1(message1)).to.not.equal(undefined);
    expect(() => responder.readMessage1(message1)).to.throw(Error);
    expect(() => responder.split()).to.throw(Error);
  });

  it('a payload that would make a message longer than 65535 bytes throws', () => {
    const { initiator } = pair();
    expect(() => initiator.writeMessage1(Buffer.alloc(NOISE_MAX_MESSAGE_BYTES))).to.throw(RangeError);
  });

  it('staticKeyPairFromPem gives the RFC 7748 public key and refuses a key of another type', () => {
    const alice = keyPair('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    expect(alice.publicKey.toString('hex')).to.equal('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const { privateKey } = generateKeyPairSync('ed25519', { publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    expect(() => staticKeyPairFromPem(privateKey)).to.throw(TypeError);
  });

  it('raw keys (the fast JWK import) give RFC 7748 §6.1: both public keys and the shared secret, the same as the DER import', () => {
    const alice = x25519KeyPairFromRaw(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const bob = x25519KeyPairFromRaw(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    expect(alice.publicKey.toString('hex')).to.equal('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(bob.publicKey.toString('hex')).to.equal('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const bobPublic = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: bob.publicKey.toString('base64url') }, format: 'jwk' });
    expect(diffieHellman({ privateKey: alice.privateKey, publicKey: bobPublic }).toString('hex')).to.equal('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    // A PEM written by OpenSSL itself takes the same route and gives the same key.
    const pem = createPrivateKey({ key: Buffer.concat([hex('302e020100300506032b656e04220420'), hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')]), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(staticKeyPairFromPem(pem).publicKey.equals(alice.publicKey)).to.equal(true);
    // Fresh pairs are distinct and each public key is its private key's.
    const [one, two] = [generateStaticKeyPair(), generateStaticKeyPair()];
    expect(one.publicKey.equals(two.publicKey)).to.equal(false);
    expect(createPublicKey(one.privateKey).export({ format: 'jwk' }).x).to.equal(one.publicKey.toString('base64url'));
  });
});

describe('adapters/system/noise/noise-cipher: TransportCipher', () => {
  const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');

  it('matches the RFC 8439 §2.8.2 AEAD test vector: prefix 07000000, counter 0x4746454443424140 in little-endian', () => {
    const plaintext = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    const ad = hex('50515253c0c1c2c3c4c5c6c7');
    const cipher = new TransportCipher(key, hex('07000000'));
    const sealed = cipher.seal(0x4746454443424140n, ad, plaintext);
    expect(sealed.toString('hex')).to.equal(
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
        '1ae10b594f09e26a7e902ecbd0600691',
    );
    expect(cipher.open(0x4746454443424140n, ad, sealed)!.equals(plaintext)).to.equal(true);
  });

  it('a flipped byte, another nonce, another AD or a short input → undefined, never a throw', () => {
    const cipher = new TransportCipher(key);
    const sealed = cipher.seal(5n, Buffer.from('ad'), Buffer.from('secret text'));
    expect(sealed.length).to.equal(11 + NOISE_TAG_BYTES);
    for (let i = 0; i < sealed.length; i++) expect(cipher.open(5n, Buffer.from('ad'), flipped(sealed, i)), `byte ${i}`).to.equal(undefined);
    expect(cipher.open(6n, Buffer.from('ad'), sealed)).to.equal(undefined);
    expect(cipher.open(5n, Buffer.from('AD'), sealed)).to.equal(undefined);
    for (let n = 0; n < sealed.length; n++) expect(cipher.open(5n, Buffer.from('ad'), sealed.subarray(0, n))).to.equal(undefined);
    expect(cipher.open(-1n, Buffer.from('ad'), sealed)).to.equal(undefined);
    expect(cipher.open(MAX_NONCE + 1n, Buffer.from('ad'), sealed)).to.equal(undefined);
    expect(cipher.open(5n, Buffer.from('ad'), sealed, Buffer.alloc(3))).to.equal(undefined);
    expect(cipher.open(5n, Buffer.from('ad'), sealed)!.toString()).to.equal('secret text');
  });

  it('two prefixes give different ciphertexts under one key and nonce; open takes the sender’s prefix', () => {
    const a = new TransportCipher(key, hex('00000001'));
    const b = new TransportCipher(key, hex('00000002'));
    const fromA = a.seal(0n, EMPTY, Buffer.from('same'));
    const fromB = b.seal(0n, EMPTY, Buffer.from('same'));
    expect(fromA.equals(fromB)).to.equal(false);
    const receiver = new TransportCipher(key);
    expect(receiver.open(0n, EMPTY, fromA)).to.equal(undefined);
    expect(receiver.open(0n, EMPTY, fromA, hex('00000001'))!.toString()).to.equal('same');
    expect(receiver.open(0n, EMPTY, fromB, hex('00000002'))!.toString()).to.equal('same');
    expect(receiver.open(0n, EMPTY, fromB, hex('00000001'))).to.equal(undefined);
    expect(b.open(0n, EMPTY, fromB)!.toString()).to.equal('same');
  });

  it('the nonce range is Noise’s: 0 … 2^64−2 seal, anything else throws; keys and prefixes of the wrong size throw', () => {
    const cipher = new TransportCipher(key);
    expect(cipher.open(MAX_NONCE, EMPTY, cipher.seal(MAX_NONCE, EMPTY, Buffer.from('x')))!.toString()).to.equal('x');
    expect(() => cipher.seal(MAX_NONCE + 1n, EMPTY, Buffer.from('x'))).to.throw(RangeError);
    expect(() => cipher.seal(-1n, EMPTY, Buffer.from('x'))).to.throw(RangeError);
    expect(() => new TransportCipher(Buffer.alloc(31))).to.throw(RangeError);
    expect(() => new TransportCipher(key, Buffer.alloc(5))).to.throw(RangeError);
  });
});
