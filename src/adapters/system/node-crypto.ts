import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Crypto } from '../../application/ports/crypto';

/** Bytes of one message id (16 characters in base64url). */
const ID_BYTES = 12;
/** Ids and tokens drawn from one call to the CSPRNG: a call costs about as much as the bytes of a hundred ids. */
const ID_POOL_BYTES = ID_BYTES * 128;

/** Ids and secrets from the operating system's CSPRNG; owner proofs are SHA-256 digests. */
export class NodeCrypto implements Crypto {
  private pool = Buffer.alloc(0);
  private used = 0;

  messageId(): string {
    return this.draw();
  }

  secretToken(): string {
    // 96 bits: unguessable, and short enough that a sealed stored message still fits one datagram.
    return this.draw();
  }

  proofOf(secret: string): string {
    return createHash('sha256').update(secret, 'utf8').digest('base64url');
  }

  /**
   * 12 fresh random bytes as 16 base64url characters. Drawn from a pool: each pool's bytes are
   * used once, and bytes next to each other in the CSPRNG's output tell nothing about one
   * another, so an id sent in clear reveals nothing of a token drawn beside it.
   */
  private draw(): string {
    if (this.used + ID_BYTES > this.pool.length) {
      this.pool = randomBytes(ID_POOL_BYTES);
      this.used = 0;
    }
    const drawn = this.pool.toString('base64url', this.used, this.used + ID_BYTES);
    this.used += ID_BYTES;
    return drawn;
  }

  matches(secret: string, proof: string): boolean {
    const a = Buffer.from(this.proofOf(secret));
    const b = Buffer.from(proof);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
