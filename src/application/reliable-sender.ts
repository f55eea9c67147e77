import { inject, injectable } from 'inversify';
import { addressKey, type Address } from '../domain/address';
import type { RetryPolicy } from '../domain/retry-policy';
import { Clock, type TimerHandle } from './ports/clock';
import { Transport, type SendOutcome, type SendRefusal } from './ports/transport';
import type { Message, Reply } from './protocol/envelope';

/**
 * How an exchange ended: answered, unanswered after every transmission, or refused by the
 * transport (nothing left this node, so waiting or blaming the peer would be wrong).
 */
export type ExchangeOutcome =
  | { readonly kind: 'reply'; readonly reply: Reply }
  | { readonly kind: 'no-reply' }
  | { readonly kind: 'refused'; readonly refusal: SendRefusal };

interface Pending {
  readonly done: Promise<ExchangeOutcome>;
  readonly resolve: (outcome: ExchangeOutcome) => void;
  timer: TimerHandle | undefined;
}

type Request = Extract<Message, { id: string }>;

const NO_REPLY: ExchangeOutcome = { kind: 'no-reply' };

/**
 * Sends requests that need an answer and retransmits them on the retry policy's schedule
 * until a reply naming the request's id arrives from the address it was sent to. The id
 * is the key: a late, duplicate or forged reply never completes another request and never
 * triggers a resend. Nothing here throws or rejects: a request already in flight is joined,
 * and a transport that refuses (or fails) ends the exchange at once as `refused`.
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

  /** Resolves with the reply, or `undefined` once every transmission went unanswered or the transport refused. */
  async request(to: Address, message: Request, policy: RetryPolicy): Promise<Reply | undefined> {
    const outcome = await this.exchange(to, message, policy);
    return outcome.kind === 'reply' ? outcome.reply : undefined;
  }

  /**
   * Like `request`, but tells a refusal apart from silence. A request for a (destination, id)
   * already in flight joins it: both callers get the one outcome, and the datagram is not
   * sent twice (two sessions behind one address, or a retried command, must not crash a node).
   */
  exchange(to: Address, message: Request, policy: RetryPolicy): Promise<ExchangeOutcome> {
    // Keyed by destination and id: one channel message goes to many clients under one id.
    const key = `${addressKey(to)}|${message.id}`;
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight.done;
    if (this.closed) return Promise.resolve(NO_REPLY);
    let resolve!: (outcome: ExchangeOutcome) => void;
    const done = new Promise<ExchangeOutcome>((r) => (resolve = r));
    const entry: Pending = { done, resolve, timer: undefined };
    this.pending.set(key, entry);
    const transmit = (sent: number): void => {
      let sending: Promise<SendOutcome>;
      try {
        sending = Promise.resolve(this.transport.send(to, message));
      } catch (error) {
        sending = Promise.reject(error);
      }
      sending.then(
        (outcome) => this.checkSent(key, entry, outcome),
        (error: unknown) => this.checkSent(key, entry, { sent: false, refusal: { reason: 'failed', detail: String(error) } }),
      );
      entry.timer = this.clock.setTimer(policy.ackTimeoutMs, () => {
        if (this.pending.get(key) !== entry) return;
        if (sent + 1 < policy.transmissions) transmit(sent + 1);
        else this.finish(key, NO_REPLY);
      });
    };
    transmit(0);
    return done;
  }

  /** Offer an inbound reply; true if it completed a request in flight. */
  handleReply(reply: Reply, from: Address): boolean {
    // Only the address the request went to can answer it: a forged reply from elsewhere misses.
    const key = `${addressKey(from)}|${reply.re}`;
    if (!this.pending.has(key)) return false;
    this.finish(key, { kind: 'reply', reply });
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
    for (const key of [...this.pending.keys()]) this.finish(key, NO_REPLY);
  }

  private checkSent(key: string, entry: Pending, outcome: SendOutcome): void {
    // Only the exchange that sent it ends: a refusal that lands after a reply changes nothing.
    if (outcome.sent || this.pending.get(key) !== entry) return;
    this.finish(key, { kind: 'refused', refusal: outcome.refusal });
  }

  private finish(key: string, outcome: ExchangeOutcome): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    this.pending.delete(key);
    if (entry.timer !== undefined) this.clock.clearTimer(entry.timer);
    entry.resolve(outcome);
    if (this.pending.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
