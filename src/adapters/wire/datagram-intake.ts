import { addressKey, type Address } from '../../domain/address';
import type { Logger } from '../../application/ports/logger';
import type { Inbound } from '../../application/ports/transport';
import type { DatagramLink } from './link/datagram-link';
import { decodeDatagram } from './envelope-codec';
import { DEFAULT_RATE_LIMIT, SourceRateLimiter, type RateLimitPolicy } from './rate-limiter';

/** At most one "dropped" warning per this interval; the rest are counted into the next one. */
const DROP_WARNING_INTERVAL_MS = 5000;

/** How a transport's receiving half is set up; every field has a safe default. */
export interface DatagramIntakeOptions {
  /** Per-source limit applied before decoding (merged over the defaults); `false` turns it off. */
  readonly rateLimit?: Partial<RateLimitPolicy> | false;
  /** Sources never limited, e.g. a client's own server (whole-table bursts). */
  readonly exempt?: readonly Address[];
  /** The time in ms; default `Date.now`, read on every call so fake timers drive it. */
  readonly now?: () => number;
  /** Authenticates and opens what arrives before it is decoded (absent: plain frames only). */
  readonly link?: DatagramLink;
}

/** What the intake did with everything it was given. */
export interface IntakeStats {
  /** Decoded and handed on. */
  readonly accepted: number;
  /** Dropped as malformed, oversized or empty. */
  readonly invalid: number;
  /** Dropped because their source was over its rate. */
  readonly rateLimited: number;
  /** Sources in the rate limiter's table (never more than its bound). */
  readonly trackedSources: number;
}

/** A rate-limited warning: the first drop logs at once, later ones are summed into one line per interval. */
class DropWarning {
  private count = 0;
  private lastMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
  ) {}

  note(nowMs: number, fields: () => Record<string, unknown>): void {
    this.count += 1;
    if (nowMs - this.lastMs < DROP_WARNING_INTERVAL_MS) return;
    this.logger.warn(this.message, { count: this.count, ...fields() });
    this.count = 0;
    this.lastMs = nowMs;
  }
}

/**
 * The receiving half every transport shares: per-source rate limit, then decode and
 * validate, and drop what fails with a rate-limited warning (a flood of garbage must not
 * flood the log). The rate limit comes first so a flood costs a map lookup per datagram,
 * not a JSON parse.
 */
export class DatagramIntake {
  droppedTotal = 0;
  rateLimitedTotal = 0;
  acceptedTotal = 0;
  private readonly limiter: SourceRateLimiter | undefined;
  private readonly exempt: ReadonlySet<string>;
  private readonly now: () => number;
  private readonly invalidWarning: DropWarning;
  private readonly limitedWarning: DropWarning;
  private readonly link: DatagramLink | undefined;

  constructor(
    logger: Logger,
    options: DatagramIntakeOptions = {},
  ) {
    this.limiter = options.rateLimit === false ? undefined : new SourceRateLimiter({ ...DEFAULT_RATE_LIMIT, ...options.rateLimit });
    this.exempt = new Set((options.exempt ?? []).map(addressKey));
    this.now = options.now ?? (() => Date.now());
    this.link = options.link;
    this.invalidWarning = new DropWarning(logger, 'dropped invalid datagrams');
    this.limitedWarning = new DropWarning(logger, 'dropped datagrams over their source rate limit');
  }

  accept(data: Buffer, from: Address): Inbound | undefined {
    const now = this.now();
    if (this.limiter && !(this.exempt.size > 0 && this.exempt.has(addressKey(from))) && !this.limiter.allow(from, now)) {
      this.rateLimitedTotal += 1;
      this.limitedWarning.note(now, () => ({ from: `${from.ip}:${from.port}`, sources: this.limiter?.size }));
      return undefined;
    }
    // The link's own datagrams, and whatever fails to authenticate, end here, unanswered.
    const opened = this.link ? this.link.incoming(data, from) : { frame: data };
    if (!opened) return undefined;
    const decoded = decodeDatagram(opened.frame);
    if (decoded.ok) {
      this.acceptedTotal += 1;
      // The frame's size: any answer to this peer goes back through the same link, which adds
      // to it what it added here, so frames compare as the datagrams on the wire do.
      const bytes = opened.frame.length;
      return opened.peerKey === undefined ? { message: decoded.message, from, bytes } : { message: decoded.message, from, bytes, peerKey: opened.peerKey };
    }
    this.droppedTotal += 1;
    this.invalidWarning.note(now, () => ({ last: decoded.reason, from: `${from.ip}:${from.port}`, bytes: data.length }));
    return undefined;
  }

  /** The rate limit in force, or undefined when it is off. */
  get rateLimit(): RateLimitPolicy | undefined {
    return this.limiter?.policy;
  }

  get stats(): IntakeStats {
    return { accepted: this.acceptedTotal, invalid: this.droppedTotal, rateLimited: this.rateLimitedTotal, trackedSources: this.limiter?.size ?? 0 };
  }
}
