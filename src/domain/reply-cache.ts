/** A request being handled, or the answer it got. */
export type CachedReply<R> = { readonly state: 'pending' } | { readonly state: 'done'; readonly reply: R };

/**
 * The server's memory of requests it acted on, keyed by sender address and request id: a
 * retransmitted copy gets the same answer again without changing state a second time.
 * Entries live `retentionMs` after they were created (the longest exchange, so no copy can
 * outlive them) and at most `maxEntries` are kept.
 */
export class ReplyCache<R> {
  private readonly entries = new Map<string, { expiresAt: number; value: CachedReply<R> }>();

  constructor(
    private readonly retentionMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  get(key: string, nowMs: number): CachedReply<R> | undefined {
    this.expire(nowMs);
    return this.entries.get(key)?.value;
  }

  begin(key: string, nowMs: number): void {
    this.expire(nowMs);
    this.entries.set(key, { expiresAt: nowMs + this.retentionMs, value: { state: 'pending' } });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  complete(key: string, reply: R): void {
    const entry = this.entries.get(key);
    if (entry) entry.value = { state: 'done', reply };
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private expire(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > nowMs) break;
      this.entries.delete(key);
    }
  }
}
