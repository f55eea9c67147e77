import { inject, injectable } from 'inversify';
import { addressKey, sameAddress, type Address } from '../domain/address';
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
  readonly to: Address;
  readonly done: Promise<ExchangeOutcome>;
  readonly resolve: (outcome: ExchangeOutcome) => void;
  timer: TimerHandle | undefined;
  finished: boolean;
}

/** The exchanges of one id sent to several addresses (a channel message to its members), by address. */
type ByAddress = Map<string, Pending>;

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
  /**
   * Exchanges in flight by request id, and by address too for an id sent to several. Keyed by
   * the id alone, a reply is matched without building a key string per datagram (ids are
   * random; most go to one address).
   */
  private readonly pending = new Map<string, Pending | ByAddress>();
  private count = 0;
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
    // One channel message goes to many clients under one id: an id is one exchange per destination.
    const id = message.id;
    const inFlight = this.find(id, to);
    if (inFlight) return inFlight.done;
    if (this.closed) return Promise.resolve(NO_REPLY);
    let resolve!: (outcome: ExchangeOutcome) => void;
    const done = new Promise<ExchangeOutcome>((r) => (resolve = r));
    const entry: Pending = { to, done, resolve, timer: undefined, finished: false };
    this.add(id, entry);
    const transmit = (sent: number): void => {
      let sending: Promise<SendOutcome>;
      try {
        sending = Promise.resolve(this.transport.send(to, message));
      } catch (error) {
        sending = Promise.reject(error);
      }
      sending.then(
        (outcome) => this.checkSent(id, entry, outcome),
        (error: unknown) => this.checkSent(id, entry, { sent: false, refusal: { reason: 'failed', detail: String(error) } }),
      );
      entry.timer = this.clock.setTimer(policy.ackTimeoutMs, () => {
        if (entry.finished) return;
        if (sent + 1 < policy.transmissions) transmit(sent + 1);
        else this.finish(id, entry, NO_REPLY);
      });
    };
    transmit(0);
    return done;
  }

  /** Offer an inbound reply; true if it completed a request in flight. */
  handleReply(reply: Reply, from: Address): boolean {
    // Only the address the request went to can answer it: a forged reply from elsewhere misses.
    const entry = this.find(reply.re, from);
    if (!entry) return false;
    this.finish(reply.re, entry, { kind: 'reply', reply });
    return true;
  }

  get inFlight(): number {
    return this.count;
  }

  /** Resolves when no request is in flight (end of input finishes what is under way). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Abandon everything in flight (shutdown): each request resolves unanswered, no timer stays. */
  cancelAll(): void {
    this.closed = true;
    for (const [id, held] of [...this.pending]) {
      for (const entry of held instanceof Map ? [...held.values()] : [held]) this.finish(id, entry, NO_REPLY);
    }
  }

  private find(id: string, to: Address): Pending | undefined {
    const held = this.pending.get(id);
    if (held === undefined) return undefined;
    if (held instanceof Map) return held.get(addressKey(to));
    return sameAddress(held.to, to) ? held : undefined;
  }

  private add(id: string, entry: Pending): void {
    const held = this.pending.get(id);
    if (held === undefined) this.pending.set(id, entry);
    else if (held instanceof Map) held.set(addressKey(entry.to), entry);
    else this.pending.set(id, new Map([[addressKey(held.to), held], [addressKey(entry.to), entry]]));
    this.count += 1;
  }

  private checkSent(id: string, entry: Pending, outcome: SendOutcome): void {
    // Only the exchange that sent it ends: a refusal that lands after a reply changes nothing.
    if (outcome.sent || entry.finished) return;
    this.finish(id, entry, { kind: 'refused', refusal: outcome.refusal });
  }

  private finish(id: string, entry: Pending, outcome: ExchangeOutcome): void {
    if (entry.finished) return;
    entry.finished = true;
    const held = this.pending.get(id);
    if (held === entry) this.pending.delete(id);
    else if (held instanceof Map) {
      held.delete(addressKey(entry.to));
      if (held.size === 0) this.pending.delete(id);
    }
    this.count -= 1;
    if (entry.timer !== undefined) this.clock.clearTimer(entry.timer);
    entry.resolve(outcome);
    if (this.count === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
