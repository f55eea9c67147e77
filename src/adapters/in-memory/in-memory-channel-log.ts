import type { ChannelEntry, ChannelLog, PendingChannelEntry } from '../../application/ports/channel-log';

/** Ids of fully delivered messages remembered, so a late retry of one is not recorded again. */
const COMPLETED_IDS_KEPT = 10_000;

/**
 * The channel log in memory: for scenario tests and for running without a disk. Reusing one
 * instance across two server containers models a restart that kept what was recorded.
 */
export class InMemoryChannelLog implements ChannelLog {
  private readonly entries = new Map<string, { entry: ChannelEntry; owed: Set<string> }>();
  private readonly completed = new Set<string>();

  async record(entry: ChannelEntry): Promise<void> {
    if (this.entries.has(entry.id) || this.completed.has(entry.id)) return;
    const copy: ChannelEntry = { ...entry, recipients: [...entry.recipients] };
    if (copy.recipients.length === 0) return this.complete(copy.id);
    this.entries.set(copy.id, { entry: copy, owed: new Set(copy.recipients) });
  }

  async delivered(id: string, recipientKey: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    e.owed.delete(recipientKey);
    if (e.owed.size === 0) {
      this.entries.delete(id);
      this.complete(id);
    }
  }

  async pending(): Promise<PendingChannelEntry[]> {
    return [...this.entries.values()].map(({ entry, owed }) => ({
      entry: { ...entry, recipients: [...entry.recipients] },
      recipients: entry.recipients.filter((r) => owed.has(r)),
    }));
  }

  async close(): Promise<void> {}

  private complete(id: string): void {
    this.completed.add(id);
    if (this.completed.size > COMPLETED_IDS_KEPT) this.completed.delete(this.completed.values().next().value as string);
  }
}
