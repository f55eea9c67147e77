import { createCipheriv, createDecipheriv } from 'node:crypto';

/** Bytes of a key, a nonce and a tag of the IETF construction (RFC 8439). */
export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;

/**
 * ChaCha20-Poly1305 (RFC 8439, the IETF variant: 96-bit nonce, 128-bit tag) as one call each
 * way. Every implementation gives the same bytes, so either end may use either.
 */
export interface ChaCha20Poly1305 {
  /** Which implementation this is, for logs and benchmarks. */
  readonly name: string;
  /** Writes ciphertext ‖ tag of `plain` into `out` at `offset` (`plain.length + AEAD_TAG_BYTES` bytes). */
  sealInto(out: Buffer, offset: number, key: Buffer, nonce: Buffer, aad: Buffer, plain: Buffer): void;
  /** The plaintext of ciphertext ‖ tag, or undefined if it does not authenticate. Never throws. */
  open(key: Buffer, nonce: Buffer, aad: Buffer, sealed: Buffer): Buffer | undefined;
}

/** node:crypto's (OpenSSL): always there; about 3 µs a call for a short text, most of it the cipher object. */
export const nodeChaCha20Poly1305: ChaCha20Poly1305 = {
  name: 'node:crypto',
  sealInto(out, offset, key, nonce, aad, plain) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
    cipher.setAAD(aad, { plaintextLength: plain.length });
    cipher.update(plain).copy(out, offset);
    cipher.final();
    cipher.getAuthTag().copy(out, offset + plain.length);
  },
  open(key, nonce, aad, sealed) {
    if (sealed.length < AEAD_TAG_BYTES) return undefined;
    const body = sealed.subarray(0, sealed.length - AEAD_TAG_BYTES);
    try {
      const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
      decipher.setAAD(aad, { plaintextLength: body.length });
      decipher.setAuthTag(sealed.subarray(body.length));
      const plain = decipher.update(body);
      decipher.final();
      return plain;
    } catch {
      return undefined;
    }
  },
};

/** The two calls of sodium-native this file uses (libsodium's crypto_aead_chacha20poly1305_ietf_*). */
interface SodiumAead {
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Buffer, m: Buffer, ad: Buffer | null, nsec: null, npub: Buffer, k: Buffer): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Buffer, nsec: null, c: Buffer, ad: Buffer | null, npub: Buffer, k: Buffer): number;
}

/** libsodium's, through sodium-native's prebuilt addon; or undefined where it does not load (no prebuild for the platform). */
export function loadSodiumChaCha20Poly1305(): ChaCha20Poly1305 | undefined {
  let sodium: SodiumAead;
  try {
    // Required here, not imported at the top: loading the addon costs ~3 ms, which a client
    // pays at its first direct message rather than at start. The bundle keeps it external.
    sodium = require('sodium-native') as SodiumAead;
  } catch {
    return undefined;
  }
  return {
    name: 'libsodium',
    sealInto(out, offset, key, nonce, aad, plain) {
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out.subarray(offset, offset + plain.length + AEAD_TAG_BYTES), plain, aad, null, nonce, key);
    },
    open(key, nonce, aad, sealed) {
      if (sealed.length < AEAD_TAG_BYTES || key.length !== AEAD_KEY_BYTES || nonce.length !== AEAD_NONCE_BYTES) return undefined;
      const plain = Buffer.allocUnsafe(sealed.length - AEAD_TAG_BYTES);
      try {
        sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plain, null, sealed, aad, nonce, key);
        return plain;
      } catch {
        return undefined;
      }
    },
  };
}

let fastest: ChaCha20Poly1305 | undefined;

/**
 * The fastest implementation here, chosen at the first call: libsodium's costs about 0.7 µs a
 * call for a short text against node:crypto's 3 µs, which is most of what sealing adds to a
 * direct message.
 */
export function fastestChaCha20Poly1305(): ChaCha20Poly1305 {
  fastest ??= loadSodiumChaCha20Poly1305() ?? nodeChaCha20Poly1305;
  return fastest;
}

/** libsodium's if something already loaded it (fastestChaCha20Poly1305), else node:crypto's: never loads the addon. */
export function loadedChaCha20Poly1305(): ChaCha20Poly1305 {
  return fastest ?? nodeChaCha20Poly1305;
}
