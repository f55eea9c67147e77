import { expect } from 'chai';
import { AEAD_TAG_BYTES, fastestChaCha20Poly1305, loadSodiumChaCha20Poly1305, nodeChaCha20Poly1305, type ChaCha20Poly1305 } from '../../../../src/adapters/wire/chacha20-poly1305';

/** RFC 8439 §2.8.2: the AEAD test vector. */
const RFC8439 = {
  key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
  nonce: '070000004041424344454647',
  aad: '50515253c0c1c2c3c4c5c6c7',
  plain: "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  cipher:
    'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
  tag: '1ae10b594f09e26a7e902ecbd0600691',
};

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const sodium = loadSodiumChaCha20Poly1305();

describe('adapters/wire/chacha20-poly1305: libsodium and node:crypto, one construction', () => {
  it('libsodium loads here (the prebuilt addon of the lockfile\'s sodium-native), and is the one chosen', () => {
    expect(sodium?.name).to.equal('libsodium');
    expect(fastestChaCha20Poly1305().name).to.equal('libsodium');
  });

  for (const aead of [nodeChaCha20Poly1305, sodium].filter((a): a is ChaCha20Poly1305 => a !== undefined)) {
    it(`${aead.name}: RFC 8439 §2.8.2 vector, both ways; any flipped byte, another AAD or a short input is refused`, () => {
      const plain = Buffer.from(RFC8439.plain);
      const out = Buffer.alloc(plain.length + AEAD_TAG_BYTES + 3);
      aead.sealInto(out, 3, hex(RFC8439.key), hex(RFC8439.nonce), hex(RFC8439.aad), plain);
      const sealed = out.subarray(3);
      expect(sealed.toString('hex')).to.equal(RFC8439.cipher + RFC8439.tag);
      expect(aead.open(hex(RFC8439.key), hex(RFC8439.nonce), hex(RFC8439.aad), sealed)?.toString()).to.equal(RFC8439.plain);
      for (let i = 0; i < sealed.length; i += 7) {
        const bad = Buffer.from(sealed);
        bad[i] ^= 0x80;
        expect(aead.open(hex(RFC8439.key), hex(RFC8439.nonce), hex(RFC8439.aad), bad), `byte ${i}`).to.equal(undefined);
      }
      expect(aead.open(hex(RFC8439.key), hex(RFC8439.nonce), Buffer.from('other'), sealed)).to.equal(undefined);
      expect(aead.open(hex(RFC8439.key), hex(RFC8439.nonce), hex(RFC8439.aad), sealed.subarray(0, 10))).to.equal(undefined);
    });
  }

  it('what one seals the other opens (an empty text too)', () => {
    if (!sodium) throw new Error('libsodium did not load');
    const key = Buffer.alloc(32, 7);
    const nonce = Buffer.alloc(12, 9);
    for (const text of ['', 'hi', 'x'.repeat(1000)]) {
      const plain = Buffer.from(text);
      for (const [a, b] of [[sodium, nodeChaCha20Poly1305], [nodeChaCha20Poly1305, sodium]] as const) {
        const out = Buffer.alloc(plain.length + AEAD_TAG_BYTES);
        a.sealInto(out, 0, key, nonce, Buffer.from('ad'), plain);
        expect(b.open(key, nonce, Buffer.from('ad'), out)?.toString(), `${a.name} → ${b.name}`).to.equal(text);
      }
    }
  });
});
