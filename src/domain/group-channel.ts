import type { ClientTable, TableRow } from './client-table';
import { nameKey } from './nickname';

/** Who a channel message goes to: everyone registered except its sender. */
export interface ChannelRecipients {
  readonly online: TableRow[];
  readonly offline: TableRow[];
}

export function channelRecipients(table: ClientTable, sender: string): ChannelRecipients {
  const others = table.rows().filter((r) => nameKey(r.name) !== nameKey(sender));
  return { online: others.filter((r) => r.online), offline: others.filter((r) => !r.online) };
}
