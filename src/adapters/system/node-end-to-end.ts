import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { EndToEnd } from '../../application/ports/end-to-end';
import type { IdentityKeys } from '../../application/ports/key-store';

/** Bytes of an X25519 public key, and of the DER header that makes it an SPKI structure. */
export const X25519_KEY_BYTES = 32;
export const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** nonce ‖ ciphertext ‖ Poly1305 tag: what sealing adds to a text. */
export const SEAL_OVERHEAD_BYTES = NONCE_BYTES + TAG_BYTES;
const ACK_TAG_BYTES = 16;
const PAIR_INFO = Buffer.from('chatapp pair v1', 'utf8');
/** Pair keys kept at most (a client talks to few peers; the bound only stops a flood of listed keys). */
const PAIR_CACHE_MAX = 10_000;
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;

interface PairKeys {
  readonly aead: Buffer;
  readonly mac: Buffer;
}

/**
 * libsodium crypto_box's construction on node:crypto primitives: a pair key from static-static
 * X25519 through HKDF-SHA256 (salt empty, info "chatapp pair v1" ‖ the two public keys in
 * byte order, 64 bytes: the first 32 key ChaCha20-Poly1305, the last 32 key HMAC-SHA256 for
 * ACK tags), computed once per peer; each payload is a random 12-byte nonce ‖ ciphertext ‖ tag.
 *
 * Keys are made with their encodings asked of generateKeyPairSync itself and peers' keys are
 * imported as JWK: exporting a freshly generated X25519 key can deadlock on Node 20.
 */
export class NodeEndToEnd implements EndToEnd {
  private readonly privateKeys = new Map<string, KeyObject>();
  private readonly pairs = new Map<string, PairKeys>();

  newIdentity(): IdentityKeys {
    const { publicKey, privateKey } = generateKeyPairSync('x25519', {
      publicKeyEncoding: { type: 'spki', format: 'der' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    return { publicKey: publicKey.subarray(X25519_SPKI_PREFIX.length).toString('base64url'), privateKey };
  }

  isPublicKey(publicKey: string): boolean {
    return BASE64URL_32.test(publicKey) && Buffer.from(publicKey, 'base64url').toString('base64url') === publicKey;
  }

  seal(me: IdentityKeys, peerKey: string, text: string, context: string): string | undefined {
    const keys = this.pairOrUndefined(me, peerKey);
    if (!keys) return undefined;
    const { aead } = keys;
    const nonce = randomBytes(NONCE_BYTES);
    const plain = Buffer.from(text, 'utf8');
    const cipher = createCipheriv('chacha20-poly1305', aead, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'), { plaintextLength: plain.length });
    return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  }

  open(me: IdentityKeys, peerKey: string, sealed: string, context: string): string | undefined {
    if (!this.isPublicKey(peerKey)) return undefined;
    const data = Buffer.from(sealed, 'base64url');
    const keys = this.pairOrUndefined(me, peerKey);
    if (data.length < SEAL_OVERHEAD_BYTES || !keys) return undefined;
    const { aead } = keys;
    const body = data.subarray(NONCE_BYTES, data.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('chacha20-poly1305', aead, data.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'), { plaintextLength: body.length });
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(body), decipher.final()]);
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      return undefined;
    }
  }

  tag(me: IdentityKeys, peerKey: string, data: string): string {
    return createHmac('sha256', this.pair(me, peerKey).mac).update(data, 'utf8').digest().subarray(0, ACK_TAG_BYTES).toString('base64url');
  }

  verifyTag(me: IdentityKeys, peerKey: string, data: string, tag: string): boolean {
    const keys = this.pairOrUndefined(me, peerKey);
    if (!keys) return false;
    const expected = createHmac('sha256', keys.mac).update(data, 'utf8').digest().subarray(0, ACK_TAG_BYTES);
    const given = Buffer.from(tag, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  fingerprint(publicKey: string): string {
    const hex = createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest().subarray(0, 16).toString('hex');
    return hex.match(/.{4}/g)!.join(' ');
  }

  /** The pair keys, or undefined for a peer key that is no X25519 public key or a low-order point (an all-zero shared secret, which OpenSSL refuses). */
  private pairOrUndefined(me: IdentityKeys, peerKey: string): PairKeys | undefined {
    if (!this.isPublicKey(peerKey)) return undefined;
    try {
      return this.pair(me, peerKey);
    } catch {
      return undefined;
    }
  }

  private pair(me: IdentityKeys, peerKey: string): PairKeys {
    const cacheKey = `${me.publicKey}|${peerKey}`;
    let keys = this.pairs.get(cacheKey);
    if (keys) return keys;
    if (!this.isPublicKey(peerKey)) throw new RangeError('not an X25519 public key');
    const shared = diffieHellman({ privateKey: this.privateKeyOf(me), publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peerKey }, format: 'jwk' }) });
    const mine = Buffer.from(me.publicKey, 'base64url');
    const theirs = Buffer.from(peerKey, 'base64url');
    const [low, high] = Buffer.compare(mine, theirs) <= 0 ? [mine, theirs] : [theirs, mine];
    const okm = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), Buffer.concat([PAIR_INFO, low, high]), 64));
    keys = { aead: okm.subarray(0, 32), mac: okm.subarray(32) };
    if (this.pairs.size >= PAIR_CACHE_MAX) this.pairs.clear();
    this.pairs.set(cacheKey, keys);
    return keys;
  }

  private privateKeyOf(me: IdentityKeys): KeyObject {
    let key = this.privateKeys.get(me.privateKey);
    if (!key) {
      key = createPrivateKey(me.privateKey);
      this.privateKeys.set(me.privateKey, key);
    }
    return key;
  }
}
