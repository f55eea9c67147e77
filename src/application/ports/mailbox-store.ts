import type { ServiceIdentifier } from 'inversify';
import type { StoredMessage } from '../../domain/offline-mailbox';

/** What happened to an append. */
export type AppendOutcome = 'stored' | 'duplicate' | 'full';

/**
 * The server's offline mailboxes, one per recipient (by name key). An append resolves only
 * once the message is durable (on disk for the file store); a message leaves only when
 * `remove` is called after its recipient ACKed it.
 */
export interface MailboxStore {
  /** Store `message` unless one with its id is already stored for that recipient, or the quota is full. */
  append(message: StoredMessage): Promise<AppendOutcome>;
  /** Every stored message of `recipientKey`, in the order stored. */
  list(recipientKey: string): Promise<StoredMessage[]>;
  /** Delete the given ids from `recipientKey`'s mailbox (durably). */
  remove(recipientKey: string, ids: readonly string[]): Promise<void>;
  /** Flush and release files. */
  close(): Promise<void>;
}

export const MailboxStore: ServiceIdentifier<MailboxStore> = Symbol('MailboxStore');
