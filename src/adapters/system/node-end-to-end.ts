import { createHash, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import type { EndToEnd } from '../../application/ports/end-to-end';
import type { IdentityKeys } from '../../application/ports/key-store';
import { RandomPool } from './random-pool';
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, fastestChaCha20Poly1305 } from '../wire/chacha20-poly1305';
import { staticKeyPairFromPem } from '../wire/noise/noise-xx';

/** Bytes of an X25519 public key, and of the DER header that makes it an SPKI structure. */
export const X25519_KEY_BYTES = 32;
export const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

const NONCE_BYTES = AEAD_NONCE_BYTES;
const TAG_BYTES = AEAD_TAG_BYTES;
/** nonce ‖ ciphertext ‖ Poly1305 tag: what sealing adds to a text. */
export const SEAL_OVERHEAD_BYTES = NONCE_BYTES + TAG_BYTES;
/** Nonces drawn from one call to the CSPRNG: one call costs about as much as sealing a short text. */
const NONCE_POOL_BYTES = NONCE_BYTES * 128;
const PAIR_INFO = Buffer.from('chatapp pair v1', 'utf8');
/** Pair keys kept at most (a client talks to few peers; the bound only stops a flood of listed keys). */
const PAIR_CACHE_MAX = 10_000;
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * libsodium crypto_box's construction on node:crypto primitives: a pair key from static-static
 * X25519 through HKDF-SHA256 (salt empty, info "chatapp pair v1" ‖ the two public keys in
 * byte order, 32 bytes keying ChaCha20-Poly1305), computed once per peer; each payload is a
 * random 12-byte nonce ‖ ciphertext ‖ tag.
 *
 * Sealing is on every direct message's path, so nothing on it costs more than it must: the
 * AEAD is libsodium's where it loads (chacha20-poly1305.ts), nonces come from a pool, the pair
 * key is found by one map lookup per own key, the output is written in place.
 *
 * Keys are made with their encodings asked of generateKeyPairSync itself and peers' keys are
 * imported as JWK: exporting a freshly generated X25519 key can deadlock on Node 20.
 */
export class NodeEndToEnd implements EndToEnd {
  private readonly privateKeys = new Map<string, KeyObject>();
  /** Own public key → peer public key → pair key. */
  private readonly pairs = new Map<string, Map<string, Buffer>>();
  private pairCount = 0;
  private readonly nonces = new RandomPool(NONCE_POOL_BYTES);

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
    const key = this.pairOrUndefined(me, peerKey);
    if (!key) return undefined;
    const plain = Buffer.from(text, 'utf8');
    const out = Buffer.allocUnsafe(NONCE_BYTES + plain.length + TAG_BYTES);
    const nonce = this.nextNonce(out);
    fastestChaCha20Poly1305().sealInto(out, NONCE_BYTES, key, nonce, Buffer.from(context, 'utf8'), plain);
    return out.toString('base64url');
  }

  open(me: IdentityKeys, peerKey: string, sealed: string, context: string): string | undefined {
    const data = Buffer.from(sealed, 'base64url');
    const key = this.pairOrUndefined(me, peerKey);
    if (data.length < SEAL_OVERHEAD_BYTES || !key) return undefined;
    const plain = fastestChaCha20Poly1305().open(key, data.subarray(0, NONCE_BYTES), Buffer.from(context, 'utf8'), data.subarray(NONCE_BYTES));
    if (plain === undefined) return undefined;
    try {
      return UTF8.decode(plain);
    } catch {
      return undefined;
    }
  }

  fingerprint(publicKey: string): string {
    const hex = createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest().subarray(0, 16).toString('hex');
    return hex.match(/.{4}/g)!.join(' ');
  }

  /** The next random nonce, written at the head of `out` (every nonce is sent as soon as it is drawn). */
  private nextNonce(out: Buffer): Buffer {
    this.nonces.take(NONCE_BYTES).copy(out, 0);
    return out.subarray(0, NONCE_BYTES);
  }

  /** The pair key, or undefined for a peer key that is no X25519 public key or a low-order point (an all-zero shared secret, which OpenSSL refuses). */
  private pairOrUndefined(me: IdentityKeys, peerKey: string): Buffer | undefined {
    const known = this.pairs.get(me.publicKey)?.get(peerKey);
    if (known) return known;
    if (!this.isPublicKey(peerKey)) return undefined;
    try {
      return this.pair(me, peerKey);
    } catch {
      return undefined;
    }
  }

  private pair(me: IdentityKeys, peerKey: string): Buffer {
    const shared = diffieHellman({ privateKey: this.privateKeyOf(me), publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peerKey }, format: 'jwk' }) });
    const mine = Buffer.from(me.publicKey, 'base64url');
    const theirs = Buffer.from(peerKey, 'base64url');
    const [low, high] = Buffer.compare(mine, theirs) <= 0 ? [mine, theirs] : [theirs, mine];
    const key = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), Buffer.concat([PAIR_INFO, low, high]), 32));
    if (this.pairCount >= PAIR_CACHE_MAX) {
      this.pairs.clear();
      this.pairCount = 0;
    }
    let byPeer = this.pairs.get(me.publicKey);
    if (!byPeer) this.pairs.set(me.publicKey, (byPeer = new Map()));
    byPeer.set(peerKey, key);
    this.pairCount += 1;
    return key;
  }

  private privateKeyOf(me: IdentityKeys): KeyObject {
    let key = this.privateKeys.get(me.privateKey);
    if (!key) {
      // The fast X25519 import (a tenth of OpenSSL's PEM decoder), on the first direct message.
      key = staticKeyPairFromPem(me.privateKey).privateKey;
      this.privateKeys.set(me.privateKey, key);
    }
    return key;
  }
}
