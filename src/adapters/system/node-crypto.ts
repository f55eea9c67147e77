import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Crypto } from '../../application/ports/crypto';

/** Bytes of one message id (16 characters in base64url). */
const ID_BYTES = 12;
/** Ids drawn from one call to the CSPRNG: a call costs about as much as the bytes of a hundred ids. */
const ID_POOL_BYTES = ID_BYTES * 128;

/** Ids and secrets from the operating system's CSPRNG; owner proofs are SHA-256 digests. */
export class NodeCrypto implements Crypto {
  private pool = Buffer.alloc(0);
  private used = 0;

  messageId(): string {
    // Every id is sent on the wire as soon as it is made, so drawing its bytes ahead of time
    // reveals nothing; each pool's bytes are used once.
    if (this.used + ID_BYTES > this.pool.length) {
      this.pool = randomBytes(ID_POOL_BYTES);
      this.used = 0;
    }
    const id = this.pool.toString('base64url', this.used, this.used + ID_BYTES);
    this.used += ID_BYTES;
    return id;
  }

  secretToken(): string {
    // 96 bits: unguessable, and short enough that a sealed stored message still fits one datagram.
    return randomBytes(12).toString('base64url');
  }

  proofOf(secret: string): string {
    return createHash('sha256').update(secret, 'utf8').digest('base64url');
  }

  matches(secret: string, proof: string): boolean {
    const a = Buffer.from(this.proofOf(secret));
    const b = Buffer.from(proof);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
