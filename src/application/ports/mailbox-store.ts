import type { ServiceIdentifier } from 'inversify';
import type { MailboxMessage, StoredMessage } from '../../domain/offline-mailbox';

/** What happened to an append. */
export type AppendOutcome = 'stored' | 'duplicate' | 'full';

/**
 * The server's offline mailboxes, one per recipient (by name key). An append resolves only
 * once the message is durable (on disk for the file store); a message leaves only when
 * `remove` is called after its recipient ACKed it.
 *
 * Each recipient also has a count of messages refused because its mailbox was full, kept
 * durably until the recipient has been told (`refused`, then `clearRefused`).
 *
 * A failed write (a full disk, say) rejects that call only: the mailbox stays as it was on
 * disk and later calls work once the cause is gone. Once `close()` began, calls to a file
 * store reject with `StoreClosedError`, and `close()` waits for the calls under way (the
 * in-memory store, shared by the servers of one test across restarts, stays usable).
 */
export interface MailboxStore {
  /**
   * Store `message` unless one with its id is already stored for that recipient, or the quota
   * is full. The store gives a stored message its `seq` (see `MailboxMessage`). 'full' also
   * counts the message as refused for its recipient, durably before resolving; a retried
   * append of one refused id counts once.
   */
  append(message: StoredMessage): Promise<AppendOutcome>;
  /** Every stored message of `recipientKey`, in the order stored (increasing `seq`). */
  list(recipientKey: string): Promise<MailboxMessage[]>;
  /** Delete the given ids from `recipientKey`'s mailbox (durably). */
  remove(recipientKey: string, ids: readonly string[]): Promise<void>;
  /** How many messages for `recipientKey` were refused (its mailbox was full) and not yet cleared. */
  refused(recipientKey: string): Promise<number>;
  /**
   * The recipient was told of `count` refused messages: take them off its count (durably),
   * leaving any refused since it was read.
   */
  clearRefused(recipientKey: string, count: number): Promise<void>;
  /** Flush and release files. */
  close(): Promise<void>;
}

export const MailboxStore: ServiceIdentifier<MailboxStore> = Symbol('MailboxStore');
