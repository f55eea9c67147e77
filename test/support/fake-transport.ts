import { addressKey, type Address } from '../../src/domain/address';
import type { Inbound, SendOutcome, SendRefusal, Transport } from '../../src/application/ports/transport';
import type { Message } from '../../src/application/protocol/envelope';
import { encodeMessage } from '../../src/adapters/wire/envelope-codec';

/** One datagram the fake transport was asked to send, with the (possibly fake) time it was sent. */
export interface SentDatagram {
  readonly to: Address;
  readonly message: Message;
  readonly atMs: number;
}

/** Answers what a simulated peer sends back to a datagram it received (undefined: silence). */
export type Responder = (message: Message, to: Address) => Message | undefined;

/**
 * A Transport for unit tests: records every send (with `Date.now()`, so sinon's fake clock
 * stamps it) and lets simulated peers answer. Answers arrive after `latencyMs` on a timer,
 * never synchronously, as they would over a real network.
 */
export class FakeTransport implements Transport {
  readonly sent: SentDatagram[] = [];
  private handler: (inbound: Inbound) => void = () => undefined;
  private readonly responders = new Map<string, Responder>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private started = false;
  /** Set by `refuse`: every send resolves as this refusal (nothing recorded, nothing answered). */
  private refusal: SendRefusal | undefined;

  constructor(
    readonly address: Address = { ip: '127.0.0.1', port: 5000 },
    private readonly latencyMs = 1,
  ) {}

  onReceive(handler: (inbound: Inbound) => void): void {
    this.handler = handler;
  }

  async start(): Promise<Address> {
    this.started = true;
    return this.address;
  }

  async send(to: Address, message: Message): Promise<SendOutcome> {
    if (this.refusal) {
      this.refused.push({ to, message, atMs: Date.now() });
      return { sent: false, refusal: this.refusal };
    }
    this.sent.push({ to, message, atMs: Date.now() });
    const responder = this.responders.get(addressKey(to));
    const answer = responder?.(message, to);
    if (answer) this.later(() => this.inject(answer, to));
    return { sent: true, bytes: encodeMessage(message).length };
  }

  /** Sends refused (with `refuse`), recorded apart from `sent`: none of them left. */
  readonly refused: SentDatagram[] = [];

  /** From now on refuse every send with `refusal` (undefined: send again). */
  refuse(refusal: SendRefusal | undefined): void {
    this.refusal = refusal;
  }

  async close(): Promise<void> {
    this.started = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  get isStarted(): boolean {
    return this.started;
  }

  /** A peer at `address` answers with `responder` from now on (replacing any earlier one). */
  respondAt(address: Address, responder: Responder): void {
    this.responders.set(addressKey(address), responder);
  }

  /** The peer at `address` goes silent. */
  silence(address: Address): void {
    this.responders.delete(addressKey(address));
  }

  /** Deliver `message` to the handler as if it arrived from `from`. */
  inject(message: Message, from: Address): void {
    this.handler({ message, from, bytes: encodeMessage(message).length });
  }

  /** Sends of one message type (optionally to one address). */
  sentOf<T extends Message['t']>(type: T, to?: Address): Array<SentDatagram & { message: Extract<Message, { t: T }> }> {
    return this.sent.filter(
      (s) => s.message.t === type && (to === undefined || addressKey(s.to) === addressKey(to)),
    ) as Array<SentDatagram & { message: Extract<Message, { t: T }> }>;
  }

  private later(fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.latencyMs);
    this.timers.add(timer);
  }
}

/** A responder that ACKs every request that carries an id (a live, cooperative client). */
export const ackEverything: Responder = (message) =>
  'id' in message ? { t: 'ack', re: message.id } : undefined;
