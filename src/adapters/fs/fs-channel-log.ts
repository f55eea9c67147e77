import path from 'node:path';
import type { ChannelEntry, ChannelLog, PendingChannelEntry } from '../../application/ports/channel-log';
import { StoreClosedError } from '../../application/ports/store-closed-error';
import { decodeLines, encodeLine } from './checksummed-lines';
import { ensureDurableDir, NodeFileSystem, type FileHandle, type FileSystem } from './file-system';
import { GroupSync } from './group-sync';
import { KeyedQueue } from './keyed-queue';

const LOG_NAME = 'channel.log';
const TEMP_NAME = 'channel.log.tmp';
/** The log is compacted once it holds this many lines more than twice the messages still owed. */
const COMPACT_SLACK_LINES = 2_000;
const QUEUE_KEY = 'log';

/**
 * A recorded message, or more members for one already recorded (a retried `send_all`). `owed`
 * only in compacted logs, where some members already had it.
 */
interface SendLine {
  readonly t: 'send';
  readonly id: string;
  readonly sender: string;
  readonly text: string;
  readonly at: number;
  readonly to: string[];
  readonly owed?: string[];
}

/** One member has the message. */
interface DoneLine {
  readonly t: 'done';
  readonly id: string;
  readonly to: string;
}

type Line = SendLine | DoneLine;

interface Owed {
  entry: ChannelEntry;
  readonly owed: Set<string>;
  /** The fsync covering the record; undefined once durable. A retried record waits for it too. */
  durable: Promise<void> | undefined;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function parseLine(body: unknown): Line | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const r = body as Record<string, unknown>;
  if (typeof r.id !== 'string') return undefined;
  if (r.t === 'done') return typeof r.to === 'string' ? { t: 'done', id: r.id, to: r.to } : undefined;
  if (r.t !== 'send' || typeof r.sender !== 'string' || typeof r.text !== 'string') return undefined;
  if (typeof r.at !== 'number' || !Number.isFinite(r.at) || !isStringArray(r.to)) return undefined;
  if (r.owed !== undefined && !isStringArray(r.owed)) return undefined;
  return { t: 'send', id: r.id, sender: r.sender, text: r.text, at: r.at, to: r.to, ...(r.owed ? { owed: r.owed } : {}) };
}

function sendLine(e: Owed): SendLine {
  const { id, sender, text, storedAtMs, recipients } = e.entry;
  const line: SendLine = { t: 'send', id, sender, text, at: storedAtMs, to: [...recipients] };
  return e.owed.size === recipients.length ? line : { ...line, owed: recipients.filter((r) => e.owed.has(r)) };
}

/**
 * The channel log on disk: `channel.log` in the server's data directory, one checksummed JSON
 * line per recorded message (`send`; a retry that adds members writes another for the same id)
 * and per member reached (`done`).
 *
 * Crash-safety ordering: `record` resolves only after the fsync covering its line (concurrent
 * records share one), and the server ACKs the `send_all` only then. `done` lines are not
 * fsynced on their own (the next record's fsync or the close covers them): one lost in a crash
 * makes its message owed again, which costs a redelivery its member shows once. Opening drops a
 * torn last line (a write cut by a crash, never acknowledged) and compacts the log to the
 * messages still owed; so does a long log at run time. Compaction writes a temp file, fsyncs it,
 * renames it over the log and fsyncs the directory, so a crash leaves the old log or the new
 * one, whole. The log is opened lazily, by the first call, after the server took the data
 * directory's lock.
 */
export class FsChannelLog implements ChannelLog {
  /** Torn last lines dropped when opening. */
  tornTailsDropped = 0;

  private readonly file: string;
  private readonly temp: string;
  private readonly queue = new KeyedQueue();
  private readonly entries = new Map<string, Owed>();
  private handle: FileHandle | undefined;
  private sync: GroupSync | undefined;
  /** `done` marks waiting for the write under way to end, written together by the next one. */
  private doneBatch: { readonly marks: Array<{ readonly id: string; readonly to: string }>; readonly written: Promise<void> } | undefined;
  /** Lines in the file now, to decide when to compact. */
  private lines = 0;
  private ready = false;
  private closed = false;
  /** `done` lines written since the last fsync request; the close syncs them. */
  private unsynced = false;

  constructor(
    private readonly dir: string,
    private readonly fs: FileSystem = new NodeFileSystem(),
  ) {
    this.file = path.join(dir, LOG_NAME);
    this.temp = path.join(dir, TEMP_NAME);
  }

  async record(entry: ChannelEntry): Promise<void> {
    // The fsync is awaited outside the queue (wrapped, so the task does not adopt it): records
    // queued behind this one write their lines meanwhile and share the next fsync.
    const step = await this.run(async (): Promise<{ durable?: Promise<void> }> => {
      const known = this.entries.get(entry.id);
      const have = new Set(known?.entry.recipients);
      const added = [...new Set(entry.recipients)].filter((r) => !have.has(r));
      if (added.length === 0) return known?.durable ? { durable: known.durable } : {};
      const line: SendLine = { t: 'send', id: entry.id, sender: entry.sender, text: entry.text, at: entry.storedAtMs, to: added };
      const sync = await this.write(line);
      this.unsynced = false;
      const owed = known ?? { entry: { ...entry, recipients: [] }, owed: new Set<string>(), durable: undefined };
      owed.entry = { ...owed.entry, recipients: [...owed.entry.recipients, ...added] };
      for (const r of added) owed.owed.add(r);
      const durable = sync.request();
      owed.durable = durable;
      // A failed fsync leaves the file's end unknown: reopen (and reread it) before the next write.
      durable.then(() => { if (owed.durable === durable) owed.durable = undefined; }, () => this.invalidate());
      this.entries.set(entry.id, owed);
      return { durable };
    });
    await step.durable;
  }

  delivered(id: string, recipientKey: string): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError('channel log'));
    // Marks made while an earlier write is under way wait in one batch and go out in one
    // write: a send_all to a thousand members costs a few writes, not one per member.
    const waiting = this.doneBatch;
    if (waiting) {
      waiting.marks.push({ id, to: recipientKey });
      return waiting.written;
    }
    const marks = [{ id, to: recipientKey }];
    const clear = (): void => {
      if (this.doneBatch?.marks === marks) this.doneBatch = undefined;
    };
    const written = this.run(() => {
      clear();
      return this.markDone(marks);
    });
    written.catch(clear);
    this.doneBatch = { marks, written };
    return written;
  }

  /** Write one `done` line per mark still owed, together; forget each message no member is owed. */
  private async markDone(marks: ReadonlyArray<{ readonly id: string; readonly to: string }>): Promise<void> {
    const lines: Line[] = [];
    const seen = new Set<string>();
    for (const { id, to } of marks) {
      const key = `${id}|${to}`;
      if (seen.has(key) || !this.entries.get(id)?.owed.has(to)) continue;
      seen.add(key);
      lines.push({ t: 'done', id, to });
    }
    if (lines.length === 0) return;
    await this.write(lines);
    this.unsynced = true;
    let finished = false;
    for (const { id, to } of marks) {
      const e = this.entries.get(id);
      if (!e) continue;
      e.owed.delete(to);
      if (e.owed.size > 0) continue;
      this.entries.delete(id);
      finished = true;
    }
    if (finished && this.lines > 2 * this.entries.size + COMPACT_SLACK_LINES) await this.reopenCompacted();
  }

  pending(): Promise<PendingChannelEntry[]> {
    return this.run(async () => {
      // Never report (or act on) a record that is not durable yet.
      await this.sync?.flush();
      return [...this.entries.values()].map((e) => ({
        entry: { ...e.entry, recipients: [...e.entry.recipients] },
        recipients: e.entry.recipients.filter((r) => e.owed.has(r)),
      }));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.idle();
    await this.release();
  }

  private run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError('channel log'));
    return this.queue.run(QUEUE_KEY, async () => {
      if (!this.ready) await this.open();
      return task();
    });
  }

  /** Read the log back (dropping a torn last line), then compact it to what is still owed. */
  private async open(): Promise<void> {
    await ensureDurableDir(this.fs, this.dir);
    this.entries.clear();
    const data = await this.fs.readFile(this.file);
    const decoded = decodeLines(data ?? Buffer.alloc(0), parseLine);
    if (decoded.tornTail) this.tornTailsDropped++;
    for (const line of decoded.records) {
      if (line.t === 'send') {
        // A second line for an id still owed adds members; once no one is owed it, a line records it afresh.
        const known = this.entries.get(line.id);
        const have = new Set(known?.entry.recipients);
        const added = [...new Set(line.to)].filter((r) => !have.has(r));
        const owed = known ?? { entry: { id: line.id, sender: line.sender, text: line.text, storedAtMs: line.at, recipients: [] }, owed: new Set<string>(), durable: undefined };
        owed.entry = { ...owed.entry, recipients: [...owed.entry.recipients, ...added] };
        const fresh = new Set(added);
        for (const r of line.owed ?? added) if (fresh.has(r)) owed.owed.add(r);
        if (owed.owed.size > 0) this.entries.set(line.id, owed);
        continue;
      }
      const e = this.entries.get(line.id);
      if (!e) continue;
      e.owed.delete(line.to);
      if (e.owed.size === 0) this.entries.delete(line.id);
    }
    // Compacting also makes durable what a killed predecessor may have left in the page cache only.
    await this.compact();
    await this.openAppend();
    this.ready = true;
  }

  private async openAppend(): Promise<void> {
    this.handle = await this.fs.open(this.file, 'append');
    this.sync = new GroupSync(this.handle);
  }

  /** Rewrite the log as one line per message still owed: temp file, fsync, rename, directory fsync. */
  private async compact(): Promise<void> {
    const handle = await this.fs.open(this.temp, 'truncate');
    try {
      const lines = [...this.entries.values()].map((e) => encodeLine(sendLine(e)));
      if (lines.length > 0) await handle.append(Buffer.concat(lines));
      // Rename only a synced temp, else a crash could swap the log for an empty or torn file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.fs.rename(this.temp, this.file);
    await this.fs.syncDir(this.dir);
    this.lines = this.entries.size;
  }

  private async reopenCompacted(): Promise<void> {
    try {
      await this.release();
      await this.compact();
      await this.openAppend();
    } catch (e) {
      this.invalidate();
      throw e;
    }
  }

  private async write(lines: Line | readonly Line[]): Promise<GroupSync> {
    const all = Array.isArray(lines) ? lines : [lines as Line];
    try {
      await this.handle!.append(all.length === 1 ? encodeLine(all[0]) : Buffer.concat(all.map((l) => encodeLine(l))));
    } catch (e) {
      // A partial line may end the log; appending after it would glue the next line to it.
      this.invalidate();
      throw e;
    }
    this.lines += all.length;
    return this.sync!;
  }

  /** Wait for pending fsyncs, then close the handle. */
  private async release(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    try {
      if (this.unsynced) await this.sync?.request();
      this.unsynced = false;
      await this.sync?.flush();
    } finally {
      this.handle = undefined;
      this.sync = undefined;
      await handle.close();
    }
  }

  /** What is on disk is unknown after a failed write or fsync: the next call reopens the log. */
  private invalidate(): void {
    if (!this.ready) return;
    this.ready = false;
    const handle = this.handle;
    this.handle = undefined;
    this.sync = undefined;
    handle?.close().catch(() => undefined);
  }

}
