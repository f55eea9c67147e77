import type { Address } from '../../domain/address';
import type { Logger } from '../../application/ports/logger';
import type { Inbound } from '../../application/ports/transport';
import { decodeDatagram } from './envelope-codec';

/** At most one "dropped" warning per this interval; the rest are counted into the next one. */
const DROP_WARNING_INTERVAL_MS = 5000;

/**
 * The receiving half every transport shares: decode and validate a datagram, and drop
 * what fails with a rate-limited warning (a flood of garbage must not flood the log).
 */
export class DatagramIntake {
  private dropped = 0;
  private lastWarningMs = 0;
  droppedTotal = 0;

  constructor(private readonly logger: Logger) {}

  accept(data: Buffer, from: Address): Inbound | undefined {
    const decoded = decodeDatagram(data);
    if (decoded.ok) return { message: decoded.message, from, bytes: data.length };
    this.dropped += 1;
    this.droppedTotal += 1;
    const now = Date.now();
    if (now - this.lastWarningMs >= DROP_WARNING_INTERVAL_MS) {
      this.logger.warn('dropped invalid datagrams', { count: this.dropped, last: decoded.reason, from: `${from.ip}:${from.port}`, bytes: data.length });
      this.dropped = 0;
      this.lastWarningMs = now;
    }
    return undefined;
  }
}
