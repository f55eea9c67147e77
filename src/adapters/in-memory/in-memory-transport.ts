import type { Address } from '../../domain/address';
import type { Logger } from '../../application/ports/logger';
import type { Inbound, SendOutcome, Transport } from '../../application/ports/transport';
import type { Message } from '../../application/protocol/envelope';
import type { DatagramLink } from '../wire/link/datagram-link';
import { frameForSending } from '../wire/link/frame-for-sending';
import { DatagramIntake } from '../wire/datagram-intake';
import { OutboundPacer } from '../wire/outbound-pacer';
import { AckMerger, handOn, MERGED } from '../wire/ack-runs';
import type { InMemoryNetwork } from './in-memory-network';

/** A transport on an in-memory network: same codec, same secure link and same drop rules as UDP. */
export class InMemoryTransport implements Transport {
  private address: Address | undefined;
  private handler: (inbound: Inbound) => void = () => undefined;
  private readonly intake: DatagramIntake;
  private readonly pacer = new OutboundPacer();
  private readonly acks: AckMerger;

  constructor(
    private readonly network: InMemoryNetwork,
    private readonly port: number,
    private readonly logger: Logger,
    private readonly link?: DatagramLink,
    /** The loopback address to attach at (another host of the simulated LAN). */
    private readonly ip?: string,
  ) {
    this.intake = new DatagramIntake(logger, link ? { link } : {});
    this.acks = new AckMerger((to, ack) => void this.sendNow(to, ack), link);
    link?.attach((to, data, message) => this.put(to, data, message));
  }

  onReceive(handler: (inbound: Inbound) => void): void {
    this.handler = handler;
  }

  async start(): Promise<Address> {
    this.address = this.network.attach({ deliver: (data, from) => this.receive(data, from) }, this.port, this.ip);
    return this.address;
  }

  async send(to: Address, message: Message): Promise<SendOutcome> {
    if (!this.address) return { sent: false, refusal: { reason: 'closed' } };
    // A plain ACK to a peer outside the link goes with the others of this turn (AckMerger).
    if (this.acks.offer(to, message)) return MERGED;
    return this.sendNow(to, message);
  }

  private sendNow(to: Address, message: Message): SendOutcome {
    if (!this.address) return { sent: false, refusal: { reason: 'closed' } };
    const framed = frameForSending(to, message, this.link, this.network.sendLimitBytes);
    if (!framed.ok) {
      this.logger.error('refused to send a datagram', { type: message.t, ...framed.refusal });
      return { sent: false, refusal: framed.refusal };
    }
    // Held by the link until its handshake completes: on its way, as far as the sender can tell.
    if (framed.data !== undefined) this.put(to, framed.data, message);
    return { sent: true, bytes: framed.bytes };
  }

  /** Onto the network, at once or in its turn (see OutboundPacer). */
  private put(to: Address, data: Buffer, message: Message | undefined): void {
    this.pacer.send(to, () => {
      if (this.address) this.network.send(data, this.address, to, message);
    });
  }

  prepare(to: Address): void {
    if (this.address) this.link?.prepare(to);
  }

  async close(): Promise<void> {
    this.pacer.close();
    this.acks.clear();
    if (this.address) this.network.detach(this.address);
    this.address = undefined;
  }

  private receive(data: Buffer, from: Address): void {
    if (!this.address) return;
    const inbound = this.intake.accept(data, from);
    if (!inbound) return;
    handOn(inbound, this.handler, this.logger);
  }
}
