import { inject, injectable } from 'inversify';
import { addressKey, type Address } from '../domain/address';
import type { RetryPolicy } from '../domain/retry-policy';
import { Clock, type TimerHandle } from './ports/clock';
import { Transport } from './ports/transport';
import type { Message, Reply } from './protocol/envelope';

interface Pending {
  readonly resolve: (reply: Reply | undefined) => void;
  timer: TimerHandle | undefined;
}

type Request = Extract<Message, { id: string }>;

/**
 * Sends requests that need an answer and retransmits them on the retry policy's schedule
 * until a reply naming the request's id arrives from the address it was sent to. The id
 * is the key: a late, duplicate or forged reply never completes another request and never
 * triggers a resend.
 */
@injectable()
export class ReliableSender {
  private readonly pending = new Map<string, Pending>();
  private idleWaiters: Array<() => void> = [];
  /** Set by cancelAll: a node shutting down starts no new exchange (it would outlive the stop). */
  private closed = false;

  constructor(
    @inject(Transport) private readonly transport: Transport,
    @inject(Clock) private readonly clock: Clock,
  ) {}

  /** Resolves with the reply, or `undefined` once every transmission went unanswered. */
  request(to: Address, message: Request, policy: RetryPolicy): Promise<Reply | undefined> {
    // Keyed by destination and id: one channel message goes to many clients under one id.
    const key = `${addressKey(to)}|${message.id}`;
    if (this.pending.has(key)) throw new Error(`request ${key} is already in flight`);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const entry: Pending = { resolve, timer: undefined };
      this.pending.set(key, entry);
      const transmit = (sent: number): void => {
        void this.transport.send(to, message);
        entry.timer = this.clock.setTimer(policy.ackTimeoutMs, () => {
          if (this.pending.get(key) !== entry) return;
          if (sent + 1 < policy.transmissions) transmit(sent + 1);
          else this.finish(key, undefined);
        });
      };
      transmit(0);
    });
  }

  /** Offer an inbound reply; true if it completed a request in flight. */
  handleReply(reply: Reply, from: Address): boolean {
    // Only the address the request went to can answer it: a forged reply from elsewhere misses.
    const key = `${addressKey(from)}|${reply.re}`;
    if (!this.pending.has(key)) return false;
    this.finish(key, reply);
    return true;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves when no request is in flight (end of input finishes what is under way). */
  idle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Abandon everything in flight (shutdown): each request resolves unanswered, no timer stays. */
  cancelAll(): void {
    this.closed = true;
    for (const key of [...this.pending.keys()]) this.finish(key, undefined);
  }

  private finish(key: string, reply: Reply | undefined): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    this.pending.delete(key);
    if (entry.timer !== undefined) this.clock.clearTimer(entry.timer);
    entry.resolve(reply);
    if (this.pending.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
