import { inject, injectable } from 'inversify';
import type { TableRow } from '../../domain/client-table';
import { nameKey } from '../../domain/nickname';
import { Clock, type TimerHandle } from '../ports/clock';
import { Crypto } from '../ports/crypto';
import { TABLE_ROWS_PER_DATAGRAM } from '../protocol/envelope';
import { ReliableSender } from '../reliable-sender';
import { ChatSettings } from '../settings';
import { ServerState } from './server-state';

/** Rounds (each the push retry policy) an unanswered table push is made again before giving up. */
const PUSH_RETRY_ROUNDS = 3;

/**
 * Pushes table changes to online clients. Changes made in the same turn are coalesced into
 * one update; each client gets the rows changed since the version it last ACKed (so a
 * client that missed an update gets it again), in datagrams of a few rows each, sent in
 * paced batches so a large broadcast does not overflow receivers' buffers.
 */
@injectable()
export class TableBroadcaster {
  private flushTimer: TimerHandle | undefined;
  private readonly pushing = new Set<string>();
  private readonly again = new Set<string>();
  /** Offline clients to include in the next update (marked offline for not answering). */
  private readonly extra = new Set<string>();
  /** Clients whose last push went unanswered, with how many rounds were made again. */
  private readonly failedRounds = new Map<string, number>();
  private readonly retryTimers = new Set<TimerHandle>();
  private stopped = false;

  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(Clock) private readonly clock: Clock,
    @inject(ChatSettings) private readonly settings: ChatSettings,
  ) {}

  /** The table changed: update every online client soon (coalescing further changes). */
  changed(): void {
    if (this.flushTimer !== undefined) return;
    this.flushTimer = this.clock.setTimer(0, () => {
      this.flushTimer = undefined;
      this.flush();
    });
  }

  /** Include `name` in the next update although it is now offline. */
  alsoNotify(name: string): void {
    this.extra.add(nameKey(name));
  }

  /** Send `name` the whole table now, whatever version it holds. */
  sendFull(name: string): void {
    const record = this.state.record(name);
    if (!record) return;
    void this.push(nameKey(name), true);
  }

  stop(): void {
    this.stopped = true;
    if (this.flushTimer !== undefined) this.clock.clearTimer(this.flushTimer);
    this.flushTimer = undefined;
    for (const timer of this.retryTimers) this.clock.clearTimer(timer);
    this.retryTimers.clear();
  }

  private flush(): void {
    const due: string[] = [...this.extra];
    this.extra.clear();
    for (const row of this.state.table.onlineRows()) {
      const key = nameKey(row.name);
      const record = this.state.records.get(key);
      if (record?.validated && record.knownVersion < this.state.table.version && !due.includes(key)) due.push(key);
    }
    this.paced(due, 0);
  }

  private paced(keys: string[], start: number): void {
    const end = Math.min(keys.length, start + this.settings.broadcastBatch);
    for (let i = start; i < end; i++) void this.push(keys[i]!, false);
    if (end < keys.length) this.clock.setTimer(0, () => this.paced(keys, end));
  }

  private async push(key: string, full: boolean): Promise<void> {
    if (this.pushing.has(key)) {
      if (!full) this.again.add(key);
      else this.again.add(`full:${key}`);
      return;
    }
    const record = this.state.records.get(key);
    const row = this.state.table.get(key);
    if (!record || !row) return;
    this.pushing.add(key);
    let complete = false;
    try {
      const from = full ? 0 : record.knownVersion;
      const to = this.state.table.version;
      const rows = full ? this.state.table.rows() : this.state.table.changesSince(from);
      const parts = chunk(rows, TABLE_ROWS_PER_DATAGRAM);
      const address = { ip: row.ip, port: row.port };
      const replies = await Promise.all(
        parts.map((partRows, part) =>
          this.sender.request(
            address,
            { t: 'table', id: this.crypto.messageId(), token: record.token, from, to, part, parts: parts.length, full: full || from === 0, rows: partRows },
            this.settings.policies.push,
          ),
        ),
      );
      complete = replies.every((r) => r !== undefined);
      if (complete) record.knownVersion = Math.max(record.knownVersion, to);
    } finally {
      this.pushing.delete(key);
    }
    if (complete) this.failedRounds.delete(key);
    if (this.again.delete(`full:${key}`)) void this.push(key, true);
    else if (this.again.delete(key) && record.knownVersion < this.state.table.version) void this.push(key, false);
    else if (!complete) this.retryLater(key, full);
  }

  /**
   * A push that went unanswered is made again a few rounds later: nothing else would resend
   * it to a client the table does not change for (or to one just marked offline, which must
   * learn it to confirm again), and it would stay behind.
   */
  private retryLater(key: string, full: boolean): void {
    const rounds = this.failedRounds.get(key) ?? 0;
    if (this.stopped || rounds >= PUSH_RETRY_ROUNDS) {
      this.failedRounds.delete(key);
      return;
    }
    this.failedRounds.set(key, rounds + 1);
    const timer = this.clock.setTimer(this.settings.policies.push.ackTimeoutMs, () => {
      this.retryTimers.delete(timer);
      void this.push(key, full);
    });
    this.retryTimers.add(timer);
  }
}

function chunk(rows: TableRow[], size: number): TableRow[][] {
  if (rows.length === 0) return [[]];
  const out: TableRow[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
