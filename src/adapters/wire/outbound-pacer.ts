import { addressKey, type Address } from '../../domain/address';
import { TokenBucket, type TokenBucketPolicy } from '../../domain/token-bucket';
import { DEFAULT_RATE_LIMIT } from './rate-limiter';

/**
 * What a node sends one address, kept under what that address's intake takes from one source
 * (DEFAULT_RATE_LIMIT, which every node runs): nine tenths of its burst and of its rate, so
 * datagrams that the network bunches together on the way still fit.
 */
export const OUTBOUND_PACE: TokenBucketPolicy = { ratePerSecond: DEFAULT_RATE_LIMIT.ratePerSecond * 0.9, burst: DEFAULT_RATE_LIMIT.burst * 0.9 };

/** Destinations tracked before the full buckets (idle long enough to forget) are swept out. */
const SWEEP_AFTER_DESTINATIONS = 1024;

interface Lane {
  readonly bucket: TokenBucket;
  /** Datagrams waiting for a token, oldest first (none: the lane sends at once). */
  readonly waiting: Array<() => void>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Spaces the datagrams a node sends each address so the receiver's per-source limit never
 * drops them: a long paste or a big push is legitimate traffic, and a datagram dropped by
 * that limit costs a retransmission, or a direct message its only try. Within the budget a
 * datagram goes at once; past it, datagrams to that address wait in order, and the others'
 * are not held up. Time comes from Date.now and setTimeout, so fake timers drive it in tests.
 */
export class OutboundPacer {
  private readonly lanes = new Map<string, Lane>();
  private sweepAt = SWEEP_AFTER_DESTINATIONS;

  constructor(private readonly policy: TokenBucketPolicy = OUTBOUND_PACE) {}

  /**
   * Send one datagram to `to` now if the budget allows and nothing to `to` is waiting (returns
   * `send`'s result); otherwise queue `send` behind the others to `to` and return undefined.
   */
  send<T>(to: Address, send: () => T): T | undefined {
    const now = Date.now();
    const key = addressKey(to);
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      if (this.lanes.size >= this.sweepAt) this.sweep(now);
      lane = { bucket: new TokenBucket(this.policy, now), waiting: [], timer: undefined };
      this.lanes.set(key, lane);
    }
    if (lane.waiting.length === 0 && lane.bucket.tryTake(now)) return send();
    lane.waiting.push(send);
    this.schedule(lane, now);
    return undefined;
  }

  /** Datagrams waiting for their turn, to every address. */
  get waiting(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.waiting.length;
    return n;
  }

  /** Addresses whose budget is remembered (the others would start from a full burst anyway). */
  get destinations(): number {
    return this.lanes.size;
  }

  /** Drops whatever waits and stops every timer (the socket is closing). */
  close(): void {
    for (const lane of this.lanes.values()) if (lane.timer !== undefined) clearTimeout(lane.timer);
    this.lanes.clear();
  }

  private schedule(lane: Lane, now: number): void {
    if (lane.timer !== undefined) return;
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      this.release(lane);
    }, Math.max(1, Math.ceil(lane.bucket.msUntilToken(now))));
  }

  private release(lane: Lane): void {
    const now = Date.now();
    while (lane.waiting.length > 0 && lane.bucket.tryTake(now)) lane.waiting.shift()!();
    if (lane.waiting.length > 0) this.schedule(lane, now);
  }

  /** Forgets lanes whose bucket is full and queue empty; the next sweep waits for twice as many. */
  private sweep(now: number): void {
    for (const [key, lane] of this.lanes) if (lane.waiting.length === 0 && lane.bucket.full(now)) this.lanes.delete(key);
    this.sweepAt = Math.max(SWEEP_AFTER_DESTINATIONS, 2 * this.lanes.size);
  }
}
