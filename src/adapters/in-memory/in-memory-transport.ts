import type { Address } from '../../domain/address';
import type { Logger } from '../../application/ports/logger';
import type { Inbound, SendOutcome, Transport } from '../../application/ports/transport';
import type { Message } from '../../application/protocol/envelope';
import { DatagramIntake } from '../wire/datagram-intake';
import { encodeForSending } from '../wire/envelope-codec';
import type { InMemoryNetwork } from './in-memory-network';

/** A transport on an in-memory network: same codec and same drop rules as UDP. */
export class InMemoryTransport implements Transport {
  private address: Address | undefined;
  private handler: (inbound: Inbound) => void = () => undefined;
  private readonly intake: DatagramIntake;

  constructor(
    private readonly network: InMemoryNetwork,
    private readonly port: number,
    private readonly logger: Logger,
  ) {
    this.intake = new DatagramIntake(logger);
  }

  onReceive(handler: (inbound: Inbound) => void): void {
    this.handler = handler;
  }

  async start(): Promise<Address> {
    this.address = this.network.attach({ deliver: (data, from) => this.receive(data, from) }, this.port);
    return this.address;
  }

  async send(to: Address, message: Message): Promise<SendOutcome> {
    if (!this.address) return { sent: false, refusal: { reason: 'closed' } };
    const encoded = encodeForSending(message, this.network.sendLimitBytes);
    if (!encoded.ok) {
      this.logger.error('refused to send a datagram', { type: message.t, ...encoded.refusal });
      return { sent: false, refusal: encoded.refusal };
    }
    this.network.send(encoded.data, this.address, to);
    return { sent: true, bytes: encoded.data.length };
  }

  async close(): Promise<void> {
    if (this.address) this.network.detach(this.address);
    this.address = undefined;
  }

  private receive(data: Buffer, from: Address): void {
    if (!this.address) return;
    const inbound = this.intake.accept(data, from);
    if (!inbound) return;
    try {
      this.handler(inbound);
    } catch (error) {
      this.logger.error('handler failed on a datagram', { type: inbound.message.t, error: String(error) });
    }
  }
}
