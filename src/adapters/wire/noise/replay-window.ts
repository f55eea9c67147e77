const BLOCK_BITS = 32;
const BLOCK_SHIFT = 5n;
const BIT_MASK = 31n;
const MAX_COUNTER = (1n << 64n) - 1n;

/**
 * Anti-replay for datagrams that carry their own 64-bit counter (RFC 6479's sliding window).
 *
 * A sealed datagram that an attacker records and sends again would open a second time, since
 * its nonce is in it; the receiver therefore remembers which counters it has accepted. It keeps
 * the `size` most recent ones below and including the highest seen, as a ring of 32-bit blocks
 * with one block more than the window needs, so moving forward clears whole blocks and never
 * shifts bits: O(size) bits of memory and O(1) work per datagram, however far the counter jumps.
 * Counters older than the window are refused outright: they may be replays nobody remembers.
 *
 * Counters are bigints, the type that Buffer.readBigUInt64LE gives and TransportCipher takes, so
 * the full 64-bit range works without conversions; anything outside 0 … 2^64−1 is refused.
 */
export class ReplayWindow {
  private readonly bitmap: Uint32Array;
  private readonly blocks: bigint;
  private readonly size: bigint;
  /** The highest counter marked, −1 before the first. */
  private top = -1n;

  /** `size`: how many counters below the highest still count as possibly new; a multiple of 32, at least 32. */
  constructor(size = 1024) {
    if (!Number.isSafeInteger(size) || size < BLOCK_BITS || size % BLOCK_BITS !== 0) throw new RangeError(`window size must be a positive multiple of ${BLOCK_BITS}`);
    this.bitmap = new Uint32Array(size / BLOCK_BITS + 1);
    this.blocks = BigInt(this.bitmap.length);
    this.size = BigInt(size);
  }

  /** True if `n` may be new: above the highest marked, or within the window and not yet marked. Changes nothing, so it is safe to call before the datagram is authenticated. */
  check(n: bigint): boolean {
    if (n < 0n || n > MAX_COUNTER) return false;
    if (n > this.top) return true;
    if (this.top - n >= this.size) return false;
    return (this.bitmap[this.blockOf(n)]! & bitOf(n)) === 0;
  }

  /** Remembers `n`. Call it only once the datagram has authenticated, or a forged counter would slide the window; a counter that check refuses is ignored. */
  mark(n: bigint): void {
    if (!this.check(n)) return;
    if (n > this.top) {
      const from = this.top >> BLOCK_SHIFT;
      const to = n >> BLOCK_SHIFT;
      if (to - from >= this.blocks) this.bitmap.fill(0);
      else for (let block = from + 1n; block <= to; block++) this.bitmap[Number(block % this.blocks)] = 0;
      this.top = n;
    }
    this.bitmap[this.blockOf(n)]! |= bitOf(n);
  }

  private blockOf(n: bigint): number {
    return Number((n >> BLOCK_SHIFT) % this.blocks);
  }
}

function bitOf(n: bigint): number {
  return (1 << Number(n & BIT_MASK)) >>> 0;
}
