import type { Address } from '../../../domain/address';
import type { SendRefusal } from '../../../application/ports/transport';
import { MAX_DATAGRAM_BYTES, type Message } from '../../../application/protocol/envelope';
import { encodeForSending } from '../envelope-codec';
import type { DatagramLink } from './datagram-link';

/** What to put on the wire for one message: a datagram, nothing yet (the link holds it), or a refusal. */
export type Framed = { ok: true; data: Buffer | undefined; bytes: number } | { ok: false; refusal: SendRefusal };

/**
 * The one way every transport turns a message into its datagram: encoded by the shared codec
 * within the limit less what the link adds on that path (so the sealed datagram still fits),
 * then handed to the link if there is one.
 */
export function frameForSending(to: Address, message: Message, link: DatagramLink | undefined, limitBytes = MAX_DATAGRAM_BYTES): Framed {
  const overhead = link?.overheadFor(to) ?? 0;
  const encoded = encodeForSending(message, limitBytes - overhead);
  // Refused, it is told in the path's terms: the datagram it would have been against the path's limit.
  if (!encoded.ok) return encoded.refusal.reason === 'oversize' ? { ok: false, refusal: { reason: 'oversize', bytes: encoded.refusal.bytes + overhead, limitBytes } } : encoded;
  if (!link) return { ok: true, data: encoded.data, bytes: encoded.data.length };
  const data = link.outgoing(to, message, encoded.data);
  return { ok: true, data, bytes: data?.length ?? encoded.data.length };
}
