import type { ServiceIdentifier } from 'inversify';
import type { Message } from '../protocol/envelope';

/**
 * How many bytes a message takes on the wire, as every transport encodes it. The server asks
 * before sending an answer it owes nobody (one to an address that has not proven it receives
 * there), so that answer is never larger than the request it answers (no amplification).
 */
export interface WireSize {
  bytesOf(message: Message): number;
}

export const WireSize: ServiceIdentifier<WireSize> = Symbol('WireSize');
