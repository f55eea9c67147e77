import type { TableRow } from '../../domain/client-table';
import type { MessageOf } from '../protocol/envelope';

/** A table update whose parts have all arrived. */
export interface AssembledTable {
  readonly full: boolean;
  readonly from: number;
  readonly to: number;
  readonly rows: TableRow[];
}

/** Most updates being assembled at once; older partial ones are dropped (the server resends). */
const MAX_OPEN_UPDATES = 16;

/**
 * Collects the parts of a table update (a large table travels in several datagrams) and
 * hands out the update once every part is in, in any arrival order.
 */
export class TableAssembler {
  private readonly open = new Map<string, { parts: number; got: Map<number, TableRow[]> }>();

  add(part: MessageOf<'table'>): AssembledTable | undefined {
    const key = `${part.full ? 'f' : 'd'}:${part.from}:${part.to}:${part.parts}`;
    let entry = this.open.get(key);
    if (!entry) {
      entry = { parts: part.parts, got: new Map() };
      this.open.set(key, entry);
      if (this.open.size > MAX_OPEN_UPDATES) this.open.delete(this.open.keys().next().value as string);
    }
    entry.got.set(part.part, part.rows);
    if (entry.got.size < entry.parts) return undefined;
    this.open.delete(key);
    const rows: TableRow[] = [];
    for (let i = 0; i < entry.parts; i++) rows.push(...(entry.got.get(i) ?? []));
    return { full: part.full, from: part.from, to: part.to, rows };
  }
}
