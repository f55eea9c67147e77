import type { ServiceIdentifier } from 'inversify';
import type { Address } from '../../domain/address';
import type { Message } from '../protocol/envelope';

/** A datagram that arrived, decoded and validated. */
export interface Inbound {
  readonly message: Message;
  readonly from: Address;
  /** Size on the wire, for the anti-amplification budget. */
  readonly bytes: number;
}

/**
 * Unreliable datagram delivery between nodes: UDP in production, an in-memory network in
 * scenario tests. Adapters encode through the shared wire codec and drop (and log) anything
 * that does not decode into a valid message; they never deliver garbage to the application.
 */
export interface Transport {
  /** Bind and begin receiving; resolves with the local address actually bound. */
  start(): Promise<Address>;
  /** Send one datagram; resolves with the bytes put on the wire (0 if it could not be sent). */
  send(to: Address, message: Message): Promise<number>;
  /** Register the single receiver of inbound messages (set before `start`). */
  onReceive(handler: (inbound: Inbound) => void): void;
  /** Stop receiving and release the socket. */
  close(): Promise<void>;
}

export const Transport: ServiceIdentifier<Transport> = Symbol('Transport');
