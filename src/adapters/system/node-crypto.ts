import { createHash, timingSafeEqual } from 'node:crypto';
import { RandomPool } from './random-pool';
import type { Crypto } from '../../application/ports/crypto';

/** Bytes of one message id (16 characters in base64url). */
const ID_BYTES = 12;
/** Ids and tokens drawn from one call to the CSPRNG: a call costs about as much as the bytes of a hundred ids. */
const ID_POOL_BYTES = ID_BYTES * 128;

/** Ids and secrets from the operating system's CSPRNG; owner proofs are SHA-256 digests. */
export class NodeCrypto implements Crypto {
  private readonly pool = new RandomPool(ID_POOL_BYTES);

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

  /** 12 fresh random bytes as 16 base64url characters. */
  private draw(): string {
    return this.pool.take(ID_BYTES).toString('base64url');
  }

  matches(secret: string, proof: string): boolean {
    const a = Buffer.from(this.proofOf(secret));
    const b = Buffer.from(proof);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
