import type { Address } from '../../domain/address';
import type { Logger } from '../../application/ports/logger';
import type { Inbound, Transport } from '../../application/ports/transport';
import { MAX_DATAGRAM_BYTES, type Message } from '../../application/protocol/envelope';
import { DatagramIntake } from '../wire/datagram-intake';
import { encodeMessage } from '../wire/envelope-codec';
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

  async send(to: Address, message: Message): Promise<number> {
    if (!this.address) return 0;
    const data = encodeMessage(message);
    if (data.length > MAX_DATAGRAM_BYTES) {
      this.logger.error('refused to send an oversized datagram', { type: message.t, bytes: data.length });
      return 0;
    }
    this.network.send(data, this.address, to);
    return data.length;
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
