import { utf8Length } from '../../domain/message-text';
import { DEFAULT_MAILBOX_QUOTA, fitsQuota, type MailboxQuota, type StoredMessage } from '../../domain/offline-mailbox';
import type { AppendOutcome, MailboxStore } from '../../application/ports/mailbox-store';

/** Mailboxes in memory: for scenario tests and for running without a disk. Same rules as the file store. */
export class InMemoryMailboxStore implements MailboxStore {
  private readonly boxes = new Map<string, StoredMessage[]>();

  constructor(private readonly quota: MailboxQuota = DEFAULT_MAILBOX_QUOTA) {}

  async append(message: StoredMessage): Promise<AppendOutcome> {
    const box = this.boxes.get(message.recipient) ?? [];
    if (box.some((m) => m.id === message.id)) return 'duplicate';
    const bytes = box.reduce((sum, m) => sum + utf8Length(m.text), 0);
    if (!fitsQuota(this.quota, box.length, bytes, utf8Length(message.text))) return 'full';
    box.push({ ...message });
    this.boxes.set(message.recipient, box);
    return 'stored';
  }

  async list(recipientKey: string): Promise<StoredMessage[]> {
    return (this.boxes.get(recipientKey) ?? []).map((m) => ({ ...m }));
  }

  async remove(recipientKey: string, ids: readonly string[]): Promise<void> {
    const box = this.boxes.get(recipientKey);
    if (!box) return;
    const gone = new Set(ids);
    const kept = box.filter((m) => !gone.has(m.id));
    if (kept.length === 0) this.boxes.delete(recipientKey);
    else this.boxes.set(recipientKey, kept);
  }

  async close(): Promise<void> {}
}
