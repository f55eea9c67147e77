import type { ChannelEntry, ChannelLog, PendingChannelEntry } from '../../application/ports/channel-log';

/**
 * The channel log in memory: for scenario tests and for running without a disk. Reusing one
 * instance across two server containers models a restart that kept what was recorded.
 */
export class InMemoryChannelLog implements ChannelLog {
  private readonly entries = new Map<string, { entry: ChannelEntry; owed: Set<string> }>();

  async record(entry: ChannelEntry): Promise<void> {
    const known = this.entries.get(entry.id);
    // The instance recording it now is the one pushing it (a retry through another instance).
    if (known && entry.by !== undefined) known.entry = { ...known.entry, by: entry.by };
    const have = new Set(known?.entry.recipients);
    const added = [...new Set(entry.recipients)].filter((r) => !have.has(r));
    if (added.length === 0) return;
    const e = known ?? { entry: { ...entry, recipients: [] }, owed: new Set<string>() };
    e.entry = { ...e.entry, recipients: [...e.entry.recipients, ...added] };
    for (const r of added) e.owed.add(r);
    this.entries.set(entry.id, e);
  }

  async delivered(id: string, recipientKey: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    e.owed.delete(recipientKey);
    if (e.owed.size === 0) this.entries.delete(id);
  }

  async pending(): Promise<PendingChannelEntry[]> {
    return [...this.entries.values()].map(({ entry, owed }) => ({
      entry: { ...entry, recipients: [...entry.recipients] },
      recipients: entry.recipients.filter((r) => owed.has(r)),
    }));
  }

  async close(): Promise<void> {}
}
