import type { TableRow } from '../../domain/client-table';
import { TABLE_ACK_RUN, type MessageOf } from '../protocol/envelope';

/** A table update whose parts have all arrived. */
export interface AssembledTable {
  readonly full: boolean;
  readonly from: number;
  readonly to: number;
  readonly rows: TableRow[];
}

/** What one arriving part gives: the id to ACK now, if any, and the update if this part completed it. */
export interface TablePartOutcome {
  readonly ack: string | undefined;
  readonly update: AssembledTable | undefined;
}

/** Most updates being assembled at once; older partial ones are dropped (the server resends). */
const MAX_OPEN_UPDATES = 16;

interface OpenUpdate {
  readonly parts: number;
  readonly got: Map<number, TableRow[]>;
  /** Each held part's id, by part number: an ACK names the last part of the run held. */
  readonly ids: string[];
  /** Parts held from part 0 on without a gap. */
  run: number;
  /** `run` when it was last ACKed. */
  acked: number;
}

/**
 * Collects the parts of a table update (a large table travels in several datagrams) and
 * hands out the update once every part is in, in any arrival order.
 *
 * It also says which parts to ACK. An ACK of a part stands for every part before it (the
 * server's TableBroadcaster takes it so), and is sent only for a part that ends a run held
 * from part 0 on: every TABLE_ACK_RUN parts of the run, at the last part, and whenever a part
 * comes again (the server is waiting on it: a lost ACK or a gap). A whole table of 400 parts
 * then costs about 50 ACKs instead of 400, and a part missing in the middle is never covered.
 */
export class TableAssembler {
  private readonly open = new Map<string, OpenUpdate>();

  /** `repeated`: this part's id was seen before (a retransmission). */
  add(part: MessageOf<'table'>, repeated = false): TablePartOutcome {
    const key = `${part.full ? 'f' : 'd'}:${part.from}:${part.to}:${part.parts}`;
    let entry = this.open.get(key);
    if (!entry) {
      // A part seen before of an update no longer open: that update was assembled (every part
      // held), so this part's ACK was lost; ACK it again.
      if (repeated) return { ack: part.id, update: undefined };
      entry = { parts: part.parts, got: new Map(), ids: [], run: 0, acked: 0 };
      this.open.set(key, entry);
      if (this.open.size > MAX_OPEN_UPDATES) this.open.delete(this.open.keys().next().value as string);
    }
    if (!entry.got.has(part.part)) {
      entry.got.set(part.part, part.rows);
      entry.ids[part.part] = part.id;
    }
    while (entry.got.has(entry.run)) entry.run += 1;
    const complete = entry.got.size >= entry.parts;
    let ack: string | undefined;
    if (entry.run > 0 && (repeated || complete || Math.floor(entry.run / TABLE_ACK_RUN) > Math.floor(entry.acked / TABLE_ACK_RUN))) {
      ack = entry.ids[entry.run - 1];
      entry.acked = entry.run;
    }
    if (!complete) return { ack, update: undefined };
    this.open.delete(key);
    const rows: TableRow[] = [];
    for (let i = 0; i < entry.parts; i++) rows.push(...(entry.got.get(i) ?? []));
    return { ack, update: { full: part.full, from: part.from, to: part.to, rows } };
  }
}
