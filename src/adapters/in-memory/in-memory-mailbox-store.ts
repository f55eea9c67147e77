import { utf8Length } from '../../domain/message-text';
import { DEFAULT_MAILBOX_QUOTA, fitsQuota, type MailboxMessage, type MailboxQuota, type StoredMessage } from '../../domain/offline-mailbox';
import type { AppendOutcome, MailboxStore } from '../../application/ports/mailbox-store';

/** Refused ids remembered per recipient, so a retried save is counted once. */
const RECENT_REFUSED_IDS = 1_000;

/** Mailboxes in memory: for scenario tests and for running without a disk. Same rules as the file store. */
export class InMemoryMailboxStore implements MailboxStore {
  private readonly boxes = new Map<string, MailboxMessage[]>();
  private readonly refusedCounts = new Map<string, number>();
  private readonly recentRefused = new Map<string, Set<string>>();
  private nextSeq = 1;

  constructor(private readonly quota: MailboxQuota = DEFAULT_MAILBOX_QUOTA) {}

  async append(message: StoredMessage): Promise<AppendOutcome> {
    const box = this.boxes.get(message.recipient) ?? [];
    if (box.some((m) => m.id === message.id)) return 'duplicate';
    const bytes = box.reduce((sum, m) => sum + utf8Length(m.text), 0);
    if (!fitsQuota(this.quota, box.length, bytes, utf8Length(message.text))) {
      this.noteRefused(message);
      return 'full';
    }
    const { id, recipient, sender, kind, storedAtMs, text } = message;
    box.push({ id, recipient, sender, kind, storedAtMs, text, seq: this.nextSeq++ });
    this.boxes.set(message.recipient, box);
    return 'stored';
  }

  async list(recipientKey: string): Promise<MailboxMessage[]> {
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

  async refused(recipientKey: string): Promise<number> {
    return this.refusedCounts.get(recipientKey) ?? 0;
  }

  async clearRefused(recipientKey: string, count: number): Promise<void> {
    const left = Math.max(0, (this.refusedCounts.get(recipientKey) ?? 0) - Math.max(0, count));
    if (left > 0) this.refusedCounts.set(recipientKey, left);
    else this.refusedCounts.delete(recipientKey);
  }

  async close(): Promise<void> {}

  private noteRefused(message: StoredMessage): void {
    let recent = this.recentRefused.get(message.recipient);
    if (!recent) {
      recent = new Set();
      this.recentRefused.set(message.recipient, recent);
    }
    if (recent.has(message.id)) return;
    recent.add(message.id);
    if (recent.size > RECENT_REFUSED_IDS) recent.delete(recent.values().next().value as string);
    this.refusedCounts.set(message.recipient, (this.refusedCounts.get(message.recipient) ?? 0) + 1);
  }
}
