/** Whether a stored message was a direct message or a channel message. */
export type StoredKind = 'direct' | 'channel';

/** A message the server keeps for an offline recipient until that recipient ACKs it, as handed to the mailbox. */
export interface StoredMessage {
  /** The id the sender gave it; a retried save with the same id stores once. */
  readonly id: string;
  readonly recipient: string;
  readonly sender: string;
  readonly kind: StoredKind;
  /** Epoch milliseconds when the server stored it: shown as local time on delivery, never used to order. */
  readonly storedAtMs: number;
  readonly text: string;
}

/** A stored message as the mailbox lists it: with its place in the recipient's line. */
export interface MailboxMessage extends StoredMessage {
  /**
   * Given by the mailbox when it stored the message, increasing in the order stored for each
   * recipient (a wall clock stepped back cannot reorder them), and kept across restarts.
   */
  readonly seq: number;
}

/** How much one recipient's mailbox may hold; beyond it saves are refused with an error. */
export interface MailboxQuota {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

export const DEFAULT_MAILBOX_QUOTA: MailboxQuota = { maxMessages: 1000, maxBytes: 1024 * 1024 };

/** Whether one more message of `addBytes` fits a mailbox currently holding `count`/`bytes`. */
export function fitsQuota(quota: MailboxQuota, count: number, bytes: number, addBytes: number): boolean {
  return count + 1 <= quota.maxMessages && bytes + addBytes <= quota.maxBytes;
}

/** Stored messages are shown oldest first, in the order the server stored them (by `seq`, not by clock). */
export function deliveryOrder<M extends MailboxMessage>(messages: readonly M[]): M[] {
  return messages.map((m, i) => ({ m, i }))
    .sort((a, b) => a.m.seq - b.m.seq || a.i - b.i)
    .map((x) => x.m);
}
