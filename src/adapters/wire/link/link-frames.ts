/*
 * The bytes of the secure link between a client and a server instance (see secure-link.ts).
 * The first byte tells a link datagram from a plain protocol frame (whose first byte is the
 * protocol version, a small number): every link datagram starts with 0xE1-0xE4.
 *
 *   handshake 1   E1 ‖ initiator's index (4) ‖ Noise XX message 1: e (32) ‖ padding (cleartext payload)
 *                 padded to LINK_HELLO_MIN_BYTES, so no answer to it is ever larger (no amplification)
 *   handshake 2   E2 ‖ initiator's index (4) ‖ responder's index (4) ‖ message 2: e, enc(s), enc(empty) = 96
 *   handshake 3   E3 ‖ responder's index (4) ‖ message 3: enc(s), enc(empty) = 64
 *   data          E4 ‖ receiver's index (4) ‖ counter (8, big-endian) ‖ ChaCha20-Poly1305(frame) ‖ tag (16)
 *
 * A data datagram's 13-byte header is the associated data, so neither the index nor the
 * counter can be changed; the AEAD nonce is 4 zero bytes ‖ the counter, little-endian (Noise's
 * own layout, with the counter carried explicitly because UDP loses and reorders).
 */

import { LINK_OVERHEAD_BYTES } from '../../../application/protocol/envelope';

export const LINK_HELLO = 0xe1;
export const LINK_REPLY = 0xe2;
export const LINK_FINISH = 0xe3;
export const LINK_DATA = 0xe4;

export const INDEX_BYTES = 4;
export const COUNTER_BYTES = 8;
/** A data datagram's header: type, receiver index, counter. */
export const DATA_HEADER_BYTES = 1 + INDEX_BYTES + COUNTER_BYTES;
/** Bytes of a data datagram's Poly1305 tag. */
export const TAG_BYTES = 16;
/** What sealing a frame adds, DATA_HEADER_BYTES + TAG_BYTES: defined by the protocol, whose size bounds count it. */
export { LINK_OVERHEAD_BYTES };
/** The first handshake datagram is at least this large: larger than any answer to it. */
export const LINK_HELLO_MIN_BYTES = 600;
/** Bytes of message 2 and message 3 of Noise XX with empty payloads. */
export const XX_MESSAGE2_BYTES = 32 + 48 + 16;
export const XX_MESSAGE3_BYTES = 48 + 16;
/** Bound into every handshake as the Noise prologue: a handshake of another protocol cannot complete. */
export const LINK_PROLOGUE = Buffer.from('chatapp link v1', 'utf8');

export function isLinkDatagram(data: Buffer): boolean {
  return data.length > 0 && data[0]! >= LINK_HELLO && data[0]! <= LINK_DATA;
}

export function hello(index: number, message1: Buffer): Buffer {
  const head = Buffer.alloc(1 + INDEX_BYTES);
  head[0] = LINK_HELLO;
  head.writeUInt32BE(index, 1);
  return Buffer.concat([head, message1]);
}

export function reply(initiatorIndex: number, responderIndex: number, message2: Buffer): Buffer {
  const head = Buffer.alloc(1 + 2 * INDEX_BYTES);
  head[0] = LINK_REPLY;
  head.writeUInt32BE(initiatorIndex, 1);
  head.writeUInt32BE(responderIndex, 1 + INDEX_BYTES);
  return Buffer.concat([head, message2]);
}

export function finish(responderIndex: number, message3: Buffer): Buffer {
  const head = Buffer.alloc(1 + INDEX_BYTES);
  head[0] = LINK_FINISH;
  head.writeUInt32BE(responderIndex, 1);
  return Buffer.concat([head, message3]);
}

export function dataHeader(receiverIndex: number, counter: bigint): Buffer {
  const head = Buffer.alloc(DATA_HEADER_BYTES);
  head[0] = LINK_DATA;
  head.writeUInt32BE(receiverIndex, 1);
  head.writeBigUInt64BE(counter, 1 + INDEX_BYTES);
  return head;
}
