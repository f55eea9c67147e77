import { nodeChaCha20Poly1305, type ChaCha20Poly1305 } from '../chacha20-poly1305';

/** Bytes of a ChaChaPoly key, of its Poly1305 tag, and of the 4-byte nonce prefix. */
export const NOISE_KEY_BYTES = 32;
export const NOISE_TAG_BYTES = 16;
export const NONCE_PREFIX_BYTES = 4;
/** The largest nonce a cipher takes: Noise reserves 2^64−1 (§5.1), so the usable counters are 0 … 2^64−2. */
export const MAX_NONCE = (1n << 64n) - 2n;

const NONCE_BYTES = 12;
const ZERO_PREFIX = Buffer.alloc(NONCE_PREFIX_BYTES);

/**
 * ChaCha20-Poly1305 as Noise's ChaChaPoly (§12.3), but with the nonce given on every call.
 *
 * Noise's CipherState counts nonces itself, which assumes the messages arrive in order and none
 * is lost; over UDP they are reordered and dropped, so the sender writes its counter in each
 * datagram and the receiver passes it here (and guards against replays with a ReplayWindow).
 *
 * The 12-byte nonce is a 4-byte prefix ‖ the 64-bit counter in little-endian, which with the
 * default prefix of four zero bytes is exactly Noise's nonce. The prefix exists because several
 * server instances may share one key: each seals with its own prefix, so no two of them ever use
 * the same nonce even when their counters meet. `open` takes the sender's prefix as an optional
 * last argument (the cipher's own prefix when left out), since one receiver opens what many
 * instances sealed.
 */
export class TransportCipher {
  private readonly key: Buffer;
  private readonly prefix: Buffer;

  /**
   * Throws RangeError for a key that is not 32 bytes or a prefix that is not 4 bytes. `aead` is
   * the implementation of ChaCha20-Poly1305 to use (the same bytes from any of them).
   */
  constructor(
    key: Buffer,
    noncePrefix: Buffer = ZERO_PREFIX,
    private readonly aead: ChaCha20Poly1305 = nodeChaCha20Poly1305,
  ) {
    if (key.length !== NOISE_KEY_BYTES) throw new RangeError(`a ChaChaPoly key is ${NOISE_KEY_BYTES} bytes`);
    if (noncePrefix.length !== NONCE_PREFIX_BYTES) throw new RangeError(`a nonce prefix is ${NONCE_PREFIX_BYTES} bytes`);
    this.key = Buffer.from(key);
    this.prefix = Buffer.from(noncePrefix);
  }

  /** Ciphertext ‖ 16-byte tag of `plaintext` under `nonce` (0 … MAX_NONCE, else RangeError) with this cipher's prefix. */
  seal(nonce: bigint, ad: Buffer, plaintext: Buffer): Buffer {
    if (nonce < 0n || nonce > MAX_NONCE) throw new RangeError('nonce out of range');
    const out = Buffer.allocUnsafe(plaintext.length + NOISE_TAG_BYTES);
    this.aead.sealInto(out, 0, this.key, nonceBytes(this.prefix, nonce), ad, plaintext);
    return out;
  }

  /**
   * The plaintext, or undefined when the input is too short, the nonce out of range, the prefix
   * not 4 bytes or the tag wrong. Never throws: whatever arrives from the network is at most
   * refused. `prefix` is the sender's nonce prefix, this cipher's own when left out.
   */
  open(nonce: bigint, ad: Buffer, ciphertextAndTag: Buffer, prefix: Buffer = this.prefix): Buffer | undefined {
    if (nonce < 0n || nonce > MAX_NONCE || prefix.length !== NONCE_PREFIX_BYTES || ciphertextAndTag.length < NOISE_TAG_BYTES) return undefined;
    return this.aead.open(this.key, nonceBytes(prefix, nonce), ad, ciphertextAndTag);
  }
}

/**
 * One nonce buffer for every seal and open: each AEAD call reads it before it returns, and a
 * fresh 12-byte buffer per datagram (four per message through the link) was an allocation
 * outside the heap each.
 */
const NONCE = Buffer.alloc(NONCE_BYTES);

function nonceBytes(prefix: Buffer, counter: bigint): Buffer {
  prefix.copy(NONCE, 0);
  NONCE.writeBigUInt64LE(counter, NONCE_PREFIX_BYTES);
  return NONCE;
}
