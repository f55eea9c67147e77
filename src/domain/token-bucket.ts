/** How fast tokens come back and how many may be saved up. */
export interface TokenBucketPolicy {
  /** Tokens added per second (the sustained rate allowed). */
  readonly ratePerSecond: number;
  /** Most tokens held at once (the largest burst allowed after a quiet spell). */
  readonly burst: number;
}

/**
 * A token bucket: each event takes one token; tokens refill continuously at the policy's
 * rate up to `burst`. Time arrives as an argument, so the bucket runs the same under real
 * and simulated clocks. A clock that steps backwards refills nothing (no free tokens).
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly policy: TokenBucketPolicy,
    nowMs: number,
  ) {
    this.tokens = policy.burst;
    this.updatedMs = nowMs;
  }

  /** Take one token if there is one; false means the event is over the limit. */
  tryTake(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds from `nowMs` until a token is there (0: one is there now). */
  msUntilToken(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) * 1000) / this.policy.ratePerSecond;
  }

  /** True once the bucket is full again: it then remembers nothing a new bucket would not. */
  full(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.policy.burst;
  }

  /** Tokens available at `nowMs` (for tests and stats). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  private refill(nowMs: number): void {
    const elapsedMs = nowMs - this.updatedMs;
    if (elapsedMs <= 0) return;
    this.tokens = Math.min(this.policy.burst, this.tokens + (elapsedMs * this.policy.ratePerSecond) / 1000);
    this.updatedMs = nowMs;
  }
}

/** Checks a policy once, where it is configured, so a bad value fails loudly rather than silently. */
export function validTokenBucketPolicy(policy: TokenBucketPolicy): boolean {
  return Number.isFinite(policy.ratePerSecond) && policy.ratePerSecond > 0 && Number.isFinite(policy.burst) && policy.burst >= 1;
}
