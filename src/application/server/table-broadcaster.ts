import { inject, injectable } from 'inversify';
import type { Address } from '../../domain/address';
import type { TableRow } from '../../domain/client-table';
import { nameKey } from '../../domain/nickname';
import { Clock, type TimerHandle } from '../ports/clock';
import { Crypto } from '../ports/crypto';
import { Logger } from '../ports/logger';
import { MAX_LINKED_FRAME_BYTES, type MessageOf, type Reply } from '../protocol/envelope';
import { rowWireBytes, TABLE_FRAME_MAX_BYTES } from '../protocol/table-row-wire';
import { ReliableSender } from '../reliable-sender';
import { ChatSettings } from '../settings';
import { ServerState } from './server-state';

/**
 * Room for rows in one table datagram: the limit less the most the rest of the datagram
 * takes (prefix, type, id, token, four numbers, the flag and the rows' length).
 */
export const PAGE_ROW_BYTES = MAX_LINKED_FRAME_BYTES - TABLE_FRAME_MAX_BYTES;
/** Rows per page at most: what receivers accept (MAX_ROWS in the wire schema). */
const MAX_ROWS_PER_PAGE = 208;

/** Rounds (each the push retry policy) an unanswered table push is made again before giving up. */
const PUSH_RETRY_ROUNDS = 3;

/**
 * Table datagrams awaiting their ACK at once, over all clients. Sending is ACK-clocked: a
 * datagram goes out when an earlier one is answered, so the server never has more queued
 * than it can hear back within one ACK wait (no spurious retransmissions under load), and
 * requests from clients are never stuck behind a backlog of table updates.
 */
const TABLE_DATAGRAMS_IN_FLIGHT = 1024;

/**
 * Parts of one update awaiting their ACK at once, per client: a whole table of thousands of
 * rows reaches a new client as a paced series, never as a burst that overflows its socket
 * buffer (32 parts ≈ 38 KB, well inside any default receive buffer).
 */
const PARTS_IN_FLIGHT_PER_CLIENT = 32;

/**
 * Pushes table changes to online clients, in rounds. Changes made while a round is under
 * way are coalesced into the next one, which starts when the round is answered (or one ACK
 * wait later): under a storm of changes each client gets one update per round, not one per
 * change, and with no load a change goes out at once. Each client gets the rows changed
 * since the version it last ACKed (so a client that missed an update gets it again), in
 * pages of as many rows as fit one datagram, at most one update in flight per client. All
 * table datagrams go through one ACK-clocked window (see TABLE_DATAGRAMS_IN_FLIGHT).
 */
@injectable()
export class TableBroadcaster {
  private flushTimer: TimerHandle | undefined;
  /** A round's pushes are in flight: further changes wait for the next round. */
  private roundActive = false;
  private roundTimer: TimerHandle | undefined;
  private batchTimer: TimerHandle | undefined;
  /** The table changed (or a client fell behind) since the current round started. */
  private dirty = false;
  private readonly pushing = new Set<string>();
  /**
   * Clients being sent the whole table, with the session it goes to: a request for the whole
   * table from that session meanwhile is answered by it (it is at the latest version when it
   * starts), instead of a second whole table right after.
   */
  private readonly pushingFull = new Map<string, string>();
  /** Clients to send the whole table in the next round (or once their push in flight ends). */
  private readonly wantFull = new Set<string>();
  /** Offline clients to include in the next update (marked offline for not answering). */
  private readonly extra = new Set<string>();
  /** Clients whose last push went unanswered, with how many rounds were made again. */
  private readonly failedRounds = new Map<string, number>();
  private readonly retryTimers = new Set<TimerHandle>();
  /** Pages of rows by base version (0: the whole table), valid while the table is at `pagesVersion`. */
  private readonly pages = new Map<number, TableRow[][]>();
  private pagesVersion = -1;
  /** Datagrams waiting for a slot (FIFO from `queueHead`), and how many are awaiting their ACK. */
  private queue: Array<() => void> = [];
  private queueHead = 0;
  private inFlight = 0;
  private issuedThisTurn = 0;
  private pumpTimer: TimerHandle | undefined;
  private stopped = false;
  /** Pushes made so far: with the round's base, each push's part ids are unique at any address. */
  private pushSerial = 0;
  private unanswered: (key: string, token: string) => void = () => undefined;

  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(Clock) private readonly clock: Clock,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(Logger) private readonly logger: Logger,
  ) {}

  /** A push that threw (a bug, never a peer's doing) is logged; the client stays behind and is retried. */
  private readonly pushFailed = (error: unknown): void => {
    this.logger.error('table push failed', { error: String(error) });
  };

  /**
   * Called with a client's name and session token when it answered none of its pushes through
   * every retry round: the server then probes it and marks that session offline if it is gone
   * (a silently gone client must not stay online, holding its address, for ever).
   */
  onUnanswered(listener: (key: string, token: string) => void): void {
    this.unanswered = listener;
  }

  /** The published table changed: update every online client soon (coalescing further changes). */
  changed(): void {
    this.dirty = true;
    if (!this.roundActive) this.scheduleFlush();
  }

  /** Include `name` in the next update although it is now offline. */
  alsoNotify(name: string): void {
    this.extra.add(nameKey(name));
  }

  /**
   * Send `name` the whole table, whatever version it holds: now, or with the next round if
   * one is under way. Whole tables asked for during a round (a storm of registrations) then
   * share one pagination of the table, at the next round's version, instead of one each.
   */
  sendFull(name: string): void {
    const record = this.state.record(name);
    if (!record) return;
    if (this.pushingFull.get(nameKey(name)) === record.token) return;
    if (!this.roundActive) {
      this.push(nameKey(name), true).catch(this.pushFailed);
      return;
    }
    this.wantFull.add(nameKey(name));
    this.changed();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of [this.flushTimer, this.roundTimer, this.batchTimer, this.pumpTimer, ...this.retryTimers]) {
      if (timer !== undefined) this.clock.clearTimer(timer);
    }
    this.flushTimer = undefined;
    this.roundTimer = undefined;
    this.batchTimer = undefined;
    this.pumpTimer = undefined;
    this.retryTimers.clear();
    // Datagrams never sent end as unanswered, so every push settles.
    const waiting = this.queue.slice(this.queueHead);
    this.queue = [];
    this.queueHead = 0;
    for (const start of waiting) start();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.stopped) return;
    this.flushTimer = this.clock.setTimer(0, () => {
      this.flushTimer = undefined;
      this.flush();
    });
  }

  private flush(): void {
    if (this.stopped) return;
    this.dirty = false;
    const version = this.state.published.version;
    const due = new Set<string>();
    // One whose push is in flight stays listed: that push may predate its going offline.
    for (const key of this.extra) {
      if (this.pushing.has(key)) continue;
      due.add(key);
      this.extra.delete(key);
    }
    for (const key of this.wantFull) {
      if (this.pushing.has(key)) continue;
      due.add(key);
    }
    for (const [key, record] of this.state.records) {
      if (!record.validated || record.knownVersion >= version || due.has(key)) continue;
      if (this.state.table.get(key)?.online) due.add(key);
    }
    if (due.size === 0) return;
    this.roundActive = true;
    const keys = [...due];
    let unsettled = keys.length;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      if (this.roundTimer !== undefined) this.clock.clearTimer(this.roundTimer);
      this.roundTimer = undefined;
      this.roundActive = false;
      if (this.dirty) this.scheduleFlush();
    };
    const settled = (): void => {
      unsettled -= 1;
      if (unsettled === 0) end();
    };
    // One id base for the round; every push adds its own serial and part number (see push).
    const base = this.crypto.messageId();
    // Pushes start `broadcastBatch` clients per timer turn: a round to 10,000 clients never
    // holds the event loop for long, so requests and ACKs are read in between.
    const issue = (start: number): void => {
      this.batchTimer = undefined;
      if (this.stopped) return;
      const stop = Math.min(keys.length, start + this.settings.broadcastBatch);
      for (let i = start; i < stop; i++) {
        const key = keys[i]!;
        const full = this.wantFull.delete(key);
        this.push(key, full, base).catch(this.pushFailed).finally(settled);
      }
      if (stop < keys.length) {
        this.batchTimer = this.clock.setTimer(0, () => issue(stop));
      } else if (!ended) {
        // A client that does not answer must not hold the others' next update for its whole retry schedule.
        this.roundTimer = this.clock.setTimer(this.settings.policies.push.ackTimeoutMs, end);
      }
    };
    issue(0);
  }

  /**
   * Send `key` what it lacks (or the whole table). Part ids are `<base>_<serial>_<part>`, the
   * serial counting every push this server made: unique even when two sessions share an
   * address (an old one not yet marked gone and a new one), where a shared id once made the
   * reliable sender refuse the second push. Clients of one round share the base (a fresh
   * random id per datagram costs more than the rest of a one-row update).
   */
  private async push(key: string, full: boolean, base = this.crypto.messageId()): Promise<void> {
    const record = this.state.records.get(key);
    if (this.pushing.has(key)) {
      // The push in flight ends by asking for a round if this client is still behind.
      if (full && this.pushingFull.get(key) !== record?.token) this.wantFull.add(key);
      return;
    }
    const row = this.state.table.get(key);
    if (!record || !row || this.stopped) return;
    this.pushing.add(key);
    let complete = false;
    const token = record.token;
    const from = full ? 0 : record.knownVersion;
    if (from === 0) {
      // Whole, at the latest version: it answers every earlier request for the whole table.
      this.wantFull.delete(key);
      this.pushingFull.set(key, token);
    }
    try {
      const to = this.state.published.version;
      // Base 36 keeps the id within the 32 characters a part id may have (PART_ID_MAX_CHARS) however long the server runs.
      const serial = (this.pushSerial += 1).toString(36);
      const parts = this.pagesSince(from);
      const address = { ip: row.ip, port: row.port };
      // Each part's id made once: a run ACK completes the parts before it by these same strings.
      const ids: string[] = [];
      const partId = (part: number): string => (ids[part] ??= `${base}_${serial}_${part.toString(36)}`);
      complete = await this.sendParts(address, parts.length, partId, (part) => ({
        t: 'table',
        id: partId(part),
        token,
        from,
        to,
        part,
        parts: parts.length,
        full: from === 0,
        rows: parts[part]!,
      }));
      if (complete) record.knownVersion = Math.max(record.knownVersion, to);
    } finally {
      this.pushing.delete(key);
      this.pushingFull.delete(key);
    }
    if (complete) this.failedRounds.delete(key);
    if (this.wantFull.has(key) || (complete && record.knownVersion < this.state.published.version)) this.changed();
    else if (!complete) this.retryLater(key, full, token);
  }

  /** The rows changed since `from` (the whole table for 0) in datagram-sized pages, shared by every client at that version. */
  private pagesSince(from: number): TableRow[][] {
    const table = this.state.published;
    const version = table.version;
    if (this.pagesVersion !== version) {
      this.pages.clear();
      this.pagesVersion = version;
    }
    let pages = this.pages.get(from);
    if (!pages) {
      // Without keys (protocol 10): 32 of a row's 38 bytes, and a client needs only the keys of
      // the few names it talks with, which it asks for (ServeKeyRequest).
      pages = paginate(withoutKeys(from === 0 ? table.rows() : table.changesSince(from)));
      this.pages.set(from, pages);
    }
    return pages;
  }

  /**
   * Send parts 0…count-1 to one client, at most PARTS_IN_FLIGHT_PER_CLIENT awaiting their
   * ACK; true if every part was ACKed. After a part goes unanswered the rest are not sent
   * (the client is gone or cut off; the whole push is made again later).
   *
   * A `run` ACK (protocol 9) stands for every part before the one it names as well: the client
   * holds them all (TableAssembler), so they are completed here as if each had its own ACK.
   */
  private async sendParts(address: Address, count: number, partId: (part: number) => string, message: (part: number) => MessageOf<'table'>): Promise<boolean> {
    // Most updates are one datagram: no lanes for them.
    if (count === 1) return (await this.request(address, () => message(0))) !== undefined;
    let next = 0;
    let ok = true;
    /** Parts below this are known ACKed. */
    let covered = 0;
    const lane = async (): Promise<void> => {
      while (ok && next < count) {
        const part = next++;
        const reply = await this.request(address, () => message(part));
        if (!reply) {
          ok = false;
          continue;
        }
        if (reply.t === 'ack' && reply.status === 'run' && part >= covered) {
          for (; covered < part; covered++) this.sender.handleReply({ t: 'ack', re: partId(covered) }, address);
          covered = part + 1;
        }
      }
    };
    const lanes: Array<Promise<void>> = [];
    for (let i = 0; i < Math.min(count, PARTS_IN_FLIGHT_PER_CLIENT); i++) lanes.push(lane());
    await Promise.all(lanes);
    return ok;
  }

  /** One table datagram through the shared window: sent when a slot is free, resolves with its ACK. */
  private request(address: Address, message: () => MessageOf<'table'>): Promise<Reply | undefined> {
    return new Promise((resolve) => {
      this.queue.push(() => {
        if (this.stopped) return resolve(undefined);
        this.inFlight += 1;
        const answered = (reply: Reply | undefined): void => {
          this.inFlight -= 1;
          resolve(reply);
          this.pump();
        };
        this.sender.request(address, message(), this.settings.policies.push).then(answered, (error: unknown) => {
          this.pushFailed(error);
          answered(undefined);
        });
      });
      this.pump();
    });
  }

  /**
   * Start waiting datagrams while slots are free, at most `broadcastBatch` per timer turn so
   * inbound datagrams (ACKs, requests) are read between batches.
   */
  private pump(): void {
    while (this.inFlight < TABLE_DATAGRAMS_IN_FLIGHT && this.queueHead < this.queue.length) {
      if (this.issuedThisTurn >= this.settings.broadcastBatch) {
        if (this.pumpTimer === undefined && !this.stopped) {
          this.pumpTimer = this.clock.setTimer(0, () => {
            this.pumpTimer = undefined;
            this.issuedThisTurn = 0;
            this.pump();
          });
        }
        return;
      }
      const start = this.queue[this.queueHead]!;
      this.queueHead += 1;
      this.issuedThisTurn += 1;
      start();
    }
    if (this.queueHead > 0 && this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    // A later turn starts a fresh batch even if this one never filled up.
    if (this.issuedThisTurn > 0 && this.pumpTimer === undefined && !this.stopped) {
      this.pumpTimer = this.clock.setTimer(0, () => {
        this.pumpTimer = undefined;
        this.issuedThisTurn = 0;
        this.pump();
      });
    }
  }

  /**
   * A push that went unanswered is made again a few rounds later: nothing else would resend
   * it to a client the table does not change for (or to one just marked offline, which must
   * learn it to confirm again), and it would stay behind.
   */
  private retryLater(key: string, full: boolean, token: string): void {
    const rounds = this.failedRounds.get(key) ?? 0;
    if (this.stopped) return;
    if (rounds >= PUSH_RETRY_ROUNDS) {
      this.failedRounds.delete(key);
      this.unanswered(key, token);
      return;
    }
    this.failedRounds.set(key, rounds + 1);
    const timer = this.clock.setTimer(this.settings.policies.push.ackTimeoutMs, () => {
      this.retryTimers.delete(timer);
      this.push(key, full).catch(this.pushFailed);
    });
    this.retryTimers.add(timer);
  }
}

function withoutKeys(rows: readonly TableRow[]): TableRow[] {
  return rows.map((row) => (row.key === undefined ? row : { name: row.name, ip: row.ip, port: row.port, online: row.online }));
}

/**
 * Rows in pages that each fit one datagram: as many rows as fit, each counted at its exact
 * size on the wire after the row before it (about 170 rows of 6-character names registered in
 * turn on one IPv4 address per page, 19 of the longest names on distinct IPv6 addresses).
 */
export function paginate(rows: readonly TableRow[]): TableRow[][] {
  if (rows.length === 0) return [[]];
  const pages: TableRow[][] = [];
  let page: TableRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    // A row's size depends on the row before it in its page (shared name prefix, same address).
    const size = rowWireBytes(row, page[page.length - 1]);
    if (page.length > 0 && (bytes + size > PAGE_ROW_BYTES || page.length === MAX_ROWS_PER_PAGE)) {
      pages.push(page);
      page = [row];
      bytes = rowWireBytes(row);
      continue;
    }
    page.push(row);
    bytes += size;
  }
  pages.push(page);
  return pages;
}
