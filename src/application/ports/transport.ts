import type { ServiceIdentifier } from 'inversify';
import type { Address } from '../../domain/address';
import type { Message } from '../protocol/envelope';

/** A datagram that arrived, decoded and validated. */
export interface Inbound {
  readonly message: Message;
  readonly from: Address;
  /** Size on the wire, for the anti-amplification budget. */
  readonly bytes: number;
  /**
   * The sender's long-term public key (base64url), when the datagram came through a secure
   * session whose handshake proved the sender holds its private half; absent for a datagram
   * that travelled in clear (between clients, whose messages are sealed end to end instead).
   */
  readonly peerKey?: string;
}

/**
 * Why a transport did not put a datagram on the wire. A refusal is local and certain (the
 * datagram never left), unlike a loss, so callers report it at once instead of retrying.
 */
export type SendRefusal =
  /** The encoded datagram is larger than the transport may send. */
  | { readonly reason: 'oversize'; readonly bytes: number; readonly limitBytes: number }
  /** The transport is not started, or already closed. */
  | { readonly reason: 'closed' }
  /** The system would not send to that address (invalid address or port, or an error at once). */
  | { readonly reason: 'failed'; readonly detail: string };

/** What became of one `send`: the bytes put on the wire, or why none were. */
export type SendOutcome = { readonly sent: true; readonly bytes: number } | { readonly sent: false; readonly refusal: SendRefusal };

/**
 * Unreliable datagram delivery between nodes: UDP in production, an in-memory network in
 * scenario tests. Adapters encode through the shared wire codec and drop (and log) anything
 * that does not decode into a valid message; they never deliver garbage to the application.
 */
export interface Transport {
  /** Bind and begin receiving; resolves with the local address actually bound. */
  start(): Promise<Address>;
  /**
   * Send one datagram. Never rejects: a datagram the transport cannot send resolves as a
   * refusal saying why (a `void send(…)` can never become an unhandled rejection).
   */
  send(to: Address, message: Message): Promise<SendOutcome>;
  /**
   * A hint, after `start`, that datagrams to `to` follow soon: a transport whose path to a peer
   * needs setting up first (a secure session's handshake) may begin it now, so that its round
   * trip overlaps the node's own work. Sends nothing the application would see; optional.
   * May return a promise that resolves once what it began has left this node, for a caller
   * whose next step blocks the thread for a while (files made on the spot) and would hold it.
   */
  prepare?(to: Address): Promise<void> | void;
  /** Register the single receiver of inbound messages (set before `start`). */
  onReceive(handler: (inbound: Inbound) => void): void;
  /** Stop receiving and release the socket. */
  close(): Promise<void>;
}

export const Transport: ServiceIdentifier<Transport> = Symbol('Transport');
