import type { Address } from '../../../domain/address';
import type { Message } from '../../../application/protocol/envelope';

/** A plain protocol frame that came out of the link, and who sent it if it came authenticated. */
export interface Unwrapped {
  readonly frame: Buffer;
  /** The sender's static key (base64url), proven by the link's handshake; absent for a plain frame. */
  readonly peerKey?: string;
}

/**
 * What a transport puts between its codec and the wire, so datagrams to and from some peers
 * are authenticated and encrypted. Both transports (UDP, in-memory) take one; without it
 * they send plain frames as before.
 */
export interface DatagramLink {
  /**
   * Called once by the transport: how the link sends its own datagrams (handshakes, and held
   * frames with the message each carries).
   */
  attach(raw: (to: Address, data: Buffer, message?: Message) => void): void;
  /** Bytes the link adds to a frame sent to `to` (0 when it sends that peer plain frames). */
  overheadFor(to: Address): number;
  /**
   * The datagram to send for `frame` (the encoding of `message`) to `to`: the frame itself,
   * sealed, or undefined when the link holds it until a handshake with `to` completes.
   */
  outgoing(to: Address, message: Message, frame: Buffer): Buffer | undefined;
  /**
   * Traffic with `to` follows soon: a link that needs a handshake first may begin it now, so
   * its round trip overlaps whatever the node does before it sends (see Transport.prepare).
   */
  prepare(to: Address): void;
  /** The plain frame in what arrived, or undefined when it was the link's own or is dropped. */
  incoming(data: Buffer, from: Address): Unwrapped | undefined;
}
