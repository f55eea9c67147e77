import type { StoredKind, StoredMessage } from '../../domain/offline-mailbox';

const KINDS: readonly StoredKind[] = ['direct', 'channel'];

/** The on-disk body of one mailbox record: exactly the stored message's fields, nothing else. */
export function toRecord(message: StoredMessage): StoredMessage {
  const { id, recipient, sender, kind, storedAtMs, text } = message;
  return { id, recipient, sender, kind, storedAtMs, text };
}

/**
 * A record read back from `recipientKey`'s file, or undefined if it is not a well-formed
 * message for that recipient (a record that checksums but belongs elsewhere is not trusted).
 */
export function parseRecord(body: unknown, recipientKey: string): StoredMessage | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const r = body as Record<string, unknown>;
  if (typeof r.id !== 'string' || typeof r.sender !== 'string' || typeof r.text !== 'string') return undefined;
  if (r.recipient !== recipientKey || !KINDS.includes(r.kind as StoredKind)) return undefined;
  if (typeof r.storedAtMs !== 'number' || !Number.isFinite(r.storedAtMs)) return undefined;
  return toRecord(r as unknown as StoredMessage);
}
