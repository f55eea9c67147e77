import { addressKey, type Address } from '../../domain/address';
import { TokenBucket, validTokenBucketPolicy, type TokenBucketPolicy } from '../../domain/token-bucket';

/** Per-source limits on inbound datagrams. */
export interface RateLimitPolicy extends TokenBucketPolicy {
  /** Most source addresses tracked at once; the least recently heard is forgotten first. */
  readonly maxSources: number;
}

/**
 * Generous for chat, tight for a flood. The burst is what the protocol legitimately sends
 * one peer at once: a whole table of 20,000 clients is 2,500 datagrams from the server to a
 * new client, and 2,500 ACKs back, all at once (a smaller burst would drop parts of every
 * large table, and their retransmissions too). The sustained rate is far above chat (a
 * person types a few lines a second) and a twentieth of a 10,000 datagrams/s flood.
 * Bounded at 10,000 sources: about 1 MB of state.
 */
export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { ratePerSecond: 500, burst: 4000, maxSources: 10_000 };

export interface RateLimiterStats {
  /** Datagrams let through. */
  allowed: number;
  /** Datagrams over their source's limit (dropped). */
  limited: number;
  /** Sources forgotten to keep the table within `maxSources`. */
  evicted: number;
}

/**
 * A token bucket per source address (IP and port), in a table that never holds more than
 * `maxSources` entries: a flood from many ports evicts the least recently heard sources
 * instead of growing memory. An evicted source that comes back starts with a full bucket,
 * which costs at most one burst per eviction; normal peers, heard often, stay in the table.
 */
export class SourceRateLimiter {
  readonly stats: RateLimiterStats = { allowed: 0, limited: 0, evicted: 0 };
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(readonly policy: RateLimitPolicy = DEFAULT_RATE_LIMIT) {
    if (!validTokenBucketPolicy(policy) || !Number.isInteger(policy.maxSources) || policy.maxSources < 1) {
      throw new RangeError(`invalid rate limit ${JSON.stringify(policy)}`);
    }
  }

  /** Count one datagram from `from` at `nowMs`; false means drop it. */
  allow(from: Address, nowMs: number): boolean {
    const key = addressKey(from);
    let bucket = this.buckets.get(key);
    if (bucket) {
      // Re-insert so Map order is least recently heard first.
      this.buckets.delete(key);
    } else {
      bucket = new TokenBucket(this.policy, nowMs);
      if (this.buckets.size >= this.policy.maxSources) this.evictOldest();
    }
    this.buckets.set(key, bucket);
    if (bucket.tryTake(nowMs)) {
      this.stats.allowed += 1;
      return true;
    }
    this.stats.limited += 1;
    return false;
  }

  /** Sources currently tracked (never more than `policy.maxSources`). */
  get size(): number {
    return this.buckets.size;
  }

  private evictOldest(): void {
    const oldest = this.buckets.keys().next();
    if (oldest.done) return;
    this.buckets.delete(oldest.value);
    this.stats.evicted += 1;
  }
}
