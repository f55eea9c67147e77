import type { MailboxMessage, StoredKind, StoredMessage } from '../../domain/offline-mailbox';

const KINDS: readonly StoredKind[] = ['direct', 'channel'];

/**
 * One line of a mailbox file: a message, or the recipient's count of refused messages (the
 * last such line wins). Messages written before `seq` existed have none; their place in the
 * file is their order.
 */
export type MailboxLine =
  | { readonly kind: 'message'; readonly message: StoredMessage; readonly seq: number | undefined }
  | { readonly kind: 'refused'; readonly count: number };

/** The on-disk body of one mailbox record: exactly the stored message's fields and its `seq`. */
export function toRecord(message: MailboxMessage): MailboxMessage {
  const { id, recipient, sender, kind, storedAtMs, text, seq } = message;
  return { id, recipient, sender, kind, storedAtMs, text, seq };
}

/** The on-disk body of a refused count for `recipientKey` (messages have no `t` field, so the two never mix up). */
export function toRefusedRecord(recipientKey: string, count: number): { t: 'refused'; recipient: string; n: number } {
  return { t: 'refused', recipient: recipientKey, n: count };
}

/**
 * A message read back from `recipientKey`'s file, or undefined if it is not a well-formed
 * message for that recipient (a record that checksums but belongs elsewhere is not trusted).
 */
export function parseRecord(body: unknown, recipientKey: string): StoredMessage | undefined {
  const line = parseMailboxLine(body, recipientKey);
  return line?.kind === 'message' ? line.message : undefined;
}

/** Any line read back from `recipientKey`'s file, or undefined if it is not well formed or not that recipient's. */
export function parseMailboxLine(body: unknown, recipientKey: string): MailboxLine | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const r = body as Record<string, unknown>;
  if (r.recipient !== recipientKey) return undefined;
  if (r.t === 'refused') return Number.isSafeInteger(r.n) && (r.n as number) >= 0 ? { kind: 'refused', count: r.n as number } : undefined;
  if (r.t !== undefined) return undefined;
  if (typeof r.id !== 'string' || typeof r.sender !== 'string' || typeof r.text !== 'string') return undefined;
  if (!KINDS.includes(r.kind as StoredKind)) return undefined;
  if (typeof r.storedAtMs !== 'number' || !Number.isFinite(r.storedAtMs)) return undefined;
  if (r.seq !== undefined && (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1)) return undefined;
  const { id, sender, kind, storedAtMs, text } = r as unknown as StoredMessage;
  return { kind: 'message', message: { id, recipient: recipientKey, sender, kind, storedAtMs, text }, seq: r.seq as number | undefined };
}
