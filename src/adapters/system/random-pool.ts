import { randomBytes } from 'node:crypto';

/**
 * Fresh random bytes drawn ahead from the operating system's CSPRNG, a pool at a time: one call
 * for small amounts costs about as much as the bytes of a hundred of them. Each pool's bytes are
 * handed out once, and bytes next to each other in the CSPRNG's output tell nothing about one
 * another, so a value sent in clear reveals nothing of one drawn beside it.
 */
export class RandomPool {
  private pool = Buffer.alloc(0);
  private used = 0;

  constructor(private readonly poolBytes: number) {}

  /** `bytes` fresh random bytes (a view: a used-up pool is replaced, never overwritten). */
  take(bytes: number): Buffer {
    if (this.used + bytes > this.pool.length) {
      this.pool = randomBytes(Math.max(this.poolBytes, bytes));
      this.used = 0;
    }
    const taken = this.pool.subarray(this.used, this.used + bytes);
    this.used += bytes;
    return taken;
  }
}
