/**
 * Remembers which message ids a receiver already acted on, so retransmitted copies are
 * ACKed again but acted on once. An id is kept for `retentionMs` (at least the longest
 * exchange of the retry policy, after which no copy can still arrive) and at most
 * `maxEntries` ids are kept in all, oldest evicted first, so a flood cannot grow it.
 */
export class DedupWindow {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly retentionMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  /** True the first time `key` is seen within the window; records it. */
  firstSeen(key: string, nowMs: number): boolean {
    this.expire(nowMs);
    if (this.seen.has(key)) return false;
    this.seen.set(key, nowMs + this.retentionMs);
    if (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }

  /**
   * Record `keys` as seen at `nowMs` (oldest first, as a restarted process reloads what its
   * predecessor showed). Keys already present keep their place; the bound still holds, so
   * only the last `maxEntries` survive.
   */
  seed(keys: Iterable<string>, nowMs: number): void {
    for (const key of keys) this.firstSeen(key, nowMs);
  }

  has(key: string, nowMs: number): boolean {
    this.expire(nowMs);
    return this.seen.has(key);
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(nowMs: number): void {
    // Insertion order equals expiry order because the retention is constant.
    for (const [key, expiresAt] of this.seen) {
      if (expiresAt > nowMs) break;
      this.seen.delete(key);
    }
  }
}
