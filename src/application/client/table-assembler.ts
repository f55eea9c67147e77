import type { TableRow } from '../../domain/client-table';
import { TABLE_ACK_RUN, type MessageOf } from '../protocol/envelope';

/** A table update whose parts have all arrived. */
export interface AssembledTable {
  readonly full: boolean;
  readonly from: number;
  readonly to: number;
  readonly rows: TableRow[];
}

/**
 * An ACK to send for a table part: `run` ACKs stand for every part of the update up to the
 * one they name (the client holds them all); the others for that part alone.
 */
export interface TablePartAck {
  readonly id: string;
  readonly run: boolean;
}

/** What one arriving part gives: the ACKs to send now, and the update if this part completed it. */
export interface TablePartOutcome {
  readonly acks: readonly TablePartAck[];
  readonly update: AssembledTable | undefined;
}

/** Most updates being assembled at once; older partial ones are dropped (the server resends). */
const MAX_OPEN_UPDATES = 16;

interface OpenUpdate {
  readonly parts: number;
  readonly got: Map<number, TableRow[]>;
  /** Each held part's id, by part number: a run ACK names the last part of the run held. */
  readonly ids: string[];
  /** Parts held from part 0 on without a gap. */
  run: number;
  /** `run` when it was last ACKed. */
  acked: number;
}

const NONE: readonly TablePartAck[] = [];

/**
 * Collects the parts of a table update (a large table travels in several datagrams) and
 * hands out the update once every part is in, in any arrival order.
 *
 * It also says which ACKs to send (protocol 9). Parts held in a row from part 0 on are ACKed
 * together: one `run` ACK every TABLE_ACK_RUN parts, at the last part, and whenever a part
 * comes again (the server is waiting on it), naming the run's last part. A part that arrives
 * past a gap is ACKed on its own at once, and the run before the gap with it, so a lost part
 * costs the server that part again, not its whole window. A whole table of 400 parts costs
 * about 50 ACKs instead of 400.
 */
export class TableAssembler {
  private readonly open = new Map<string, OpenUpdate>();

  /** `repeated`: this part's id was seen before (a retransmission). */
  add(part: MessageOf<'table'>, repeated = false): TablePartOutcome {
    // One entry per push: a run ACK must name an id of the push it stands for. The same update
    // may come again in another push (a push made again after it went unanswered, or from the
    // instance that took this client over), whose parts have other ids.
    const key = `${pushOf(part.id)}:${part.full ? 'f' : 'd'}:${part.from}:${part.to}:${part.parts}`;
    let entry = this.open.get(key);
    if (!entry) {
      // A part seen before of an update no longer open: that update was assembled (every part
      // held), so this part's ACK was lost; ACK it again.
      if (repeated) return { acks: [{ id: part.id, run: false }], update: undefined };
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
    const pastGap = part.part >= entry.run;
    let acks = NONE;
    const runDue = complete || repeated || (pastGap && entry.run > entry.acked) || Math.floor(entry.run / TABLE_ACK_RUN) > Math.floor(entry.acked / TABLE_ACK_RUN);
    if (entry.run > 0 && runDue) {
      // A run of one part is that part alone: a plain ACK says as much in fewer bytes.
      acks = [{ id: entry.ids[entry.run - 1]!, run: entry.run > 1 }];
      entry.acked = entry.run;
    }
    if (pastGap) acks = [...acks, { id: part.id, run: false }];
    if (!complete) return { acks, update: undefined };
    this.open.delete(key);
    const rows: TableRow[] = [];
    for (let i = 0; i < entry.parts; i++) rows.push(...(entry.got.get(i) ?? []));
    return { acks, update: { full: part.full, from: part.from, to: part.to, rows } };
  }
}

/**
 * The push a part belongs to: a part id is `<push>_<part number in base 36>` (TableBroadcaster);
 * an id without `_` is a push of its own.
 */
export function pushOf(partId: string): string {
  const cut = partId.lastIndexOf('_');
  return cut < 0 ? partId : partId.slice(0, cut);
}
