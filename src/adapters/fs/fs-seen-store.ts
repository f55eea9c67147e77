import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { SEEN_KEYS_KEPT, type SeenStore } from '../../application/ports/seen-store';
import { decodeLines, encodeLine } from './checksummed-lines';
import { ensureDurableDir, NodeFileSystem, type FileHandle, type FileSystem } from './file-system';
import { GroupSync } from './group-sync';
import { KeyedQueue } from './keyed-queue';

/** Who chatted with whom is private: the folder and files are its owner's only. */
const SEEN_FILE_MODE = 0o600;
const SEEN_DIR_MODE = 0o700;
/** The longest a written key waits for its fsync to start: the window a power cut can take keys from. */
export const SEEN_SYNC_DELAY_MS = 20;
/** A shown key is written on the way to the message's ACK: on the spot, not through the thread pool. */
const WRITE_NOW = { writeNow: true } as const;

/** One name's log, open for appending. */
interface NameLog {
  readonly file: string;
  /** The keys kept, in the order of their last line (a Map keeps insertion order), each once. */
  readonly keys: Map<string, true>;
  /** Lines in the file now, to decide when to compact. */
  lines: number;
  handle: FileHandle;
  sync: GroupSync;
  /** Set while an fsync of what was written is due (see `syncDelayMs`). */
  syncTimer?: ReturnType<typeof setTimeout> | undefined;
}

function parseLine(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const k = (body as Record<string, unknown>).k;
  return typeof k === 'string' ? k : undefined;
}

/**
 * Shown-message keys in `<dir>/seen/<sha256(nameKey)>.log` (never a name in a path), one
 * checksummed JSON line per key, readable only by its owner.
 *
 * `add` resolves once its line is written to the file (so a process that exits or is killed
 * keeps it); adds made while a write is under way are written together by the next one. The
 * fsync follows the write within `syncDelayMs`, shared by every write made meanwhile, and
 * nobody waits for it: a power loss may forget the keys written since the last fsync that
 * finished (`flush` waits for one), which costs at most a message shown twice after the
 * restart. Opening drops a torn
 * last line and fsyncs what a killed predecessor left. The file holds at most `2 × kept`
 * lines: past that it is compacted to the `kept` most recent keys by writing a temp file,
 * fsyncing it, renaming it over the log and fsyncing the folder, so a crash leaves the old log
 * or the new one, whole. Files are opened lazily, per name, by the first call.
 * One process writes a name's log at a time: only the client online under a name shows (and
 * adds) messages, and the server lets one client at a time be online under a name.
 */
export class FsSeenStore implements SeenStore {
  private readonly seenDir: string;
  private readonly queue = new KeyedQueue();
  private readonly logs = new Map<string, NameLog>();
  /** Per name, the keys added while its queue was busy, written together when their turn comes. */
  private readonly batches = new Map<string, { readonly keys: string[]; readonly written: Promise<void> }>();
  /** Names whose log was dropped after a failure with writes maybe not synced: flush reopens (and so syncs) them. */
  private readonly reopenOwed = new Set<string>();
  /** A background fsync that failed since the last flush or close, which report it. */
  private syncFailure: unknown;

  constructor(
    dir: string,
    private readonly fs: FileSystem = new NodeFileSystem(),
    private readonly kept = SEEN_KEYS_KEPT,
    /** How long after a write its fsync starts, so the writes of a run of messages share it. */
    private readonly syncDelayMs = SEEN_SYNC_DELAY_MS,
  ) {
    this.seenDir = path.join(dir, 'seen');
  }

  load(nameKey: string): Promise<string[]> {
    return this.queue.run(nameKey, async () => [...(await this.open(nameKey)).keys.keys()]);
  }

  add(nameKey: string, key: string): Promise<void> {
    // Keys added while an earlier write of this name is under way wait in one batch and go
    // out in one write: a burst of messages costs a few writes, not one each.
    const waiting = this.batches.get(nameKey);
    if (waiting) {
      waiting.keys.push(key);
      return waiting.written;
    }
    const keys = [key];
    const written = this.queue.run(nameKey, () => {
      if (this.batches.get(nameKey)?.keys === keys) this.batches.delete(nameKey);
      return this.write(nameKey, keys);
    });
    this.batches.set(nameKey, { keys, written });
    return written;
  }

  async flush(): Promise<void> {
    await this.queue.idle();
    for (const nameKey of [...this.reopenOwed]) {
      await this.queue.run(nameKey, () => this.open(nameKey));
      this.reopenOwed.delete(nameKey);
    }
    for (const [nameKey, log] of [...this.logs]) {
      if (log.syncTimer !== undefined) this.syncNow(nameKey, log);
      await log.sync.flush().catch(() => undefined);
    }
    // Every failure of those fsyncs was recorded by its own handler (see write) before ours ran.
    const failure = this.syncFailure;
    this.syncFailure = undefined;
    if (failure !== undefined) throw failure;
  }

  async close(): Promise<void> {
    await this.queue.idle();
    const logs = [...this.logs];
    for (const [nameKey, log] of logs) if (log.syncTimer !== undefined) this.syncNow(nameKey, log);
    this.logs.clear();
    for (const [, log] of logs) {
      await log.sync.flush().catch(() => undefined);
      await log.handle.close().catch(() => undefined);
    }
    const failure = this.syncFailure;
    this.syncFailure = undefined;
    if (failure !== undefined) throw failure;
  }

  addNow(nameKey: string, key: string): boolean {
    // Only when nothing of this name is under way or waiting: the key must not overtake them.
    const log = this.logs.get(nameKey);
    if (!log || this.batches.has(nameKey) || this.queue.busy(nameKey) || !log.handle.appendNow) return false;
    try {
      if (!log.handle.appendNow(encodeLine({ k: key }))) return false;
    } catch (e) {
      this.invalidate(nameKey, log);
      throw e;
    }
    if (this.written(log, [key])) void this.queue.run(nameKey, () => (this.logs.get(nameKey) === log ? this.reopenCompacted(nameKey, log) : Promise.resolve())).catch(() => undefined);
    else this.syncSoon(nameKey, log);
    return true;
  }

  /** Append `keys` as one write; the fsync is requested, not awaited (see the class). */
  private async write(nameKey: string, keys: readonly string[]): Promise<void> {
    const log = await this.open(nameKey);
    try {
      await log.handle.append(Buffer.concat(keys.map((k) => encodeLine({ k }))));
    } catch (e) {
      // A partial line may end the file; appending after it would glue the next line to it.
      this.invalidate(nameKey, log);
      throw e;
    }
    if (this.written(log, keys)) await this.reopenCompacted(nameKey, log);
    else this.syncSoon(nameKey, log);
  }

  /** Count `keys` as written to `log`; true if the file is now long enough to compact. */
  private written(log: NameLog, keys: readonly string[]): boolean {
    log.lines += keys.length;
    for (const key of keys) remember(log.keys, key, this.kept);
    return log.lines > 2 * this.kept;
  }

  /**
   * Messages come in runs: one fsync a little later covers the keys of the whole run and
   * leaves the disk and the CPU to the messages meanwhile.
   */
  private syncSoon(nameKey: string, log: NameLog): void {
    if (log.syncTimer !== undefined) return;
    log.syncTimer = setTimeout(() => this.syncNow(nameKey, log), this.syncDelayMs);
    log.syncTimer.unref?.();
  }

  private syncNow(nameKey: string, log: NameLog): void {
    cancelSync(log);
    log.sync.request().catch((e: unknown) => {
      // The file's end is unknown after a failed fsync: reopen (and reread, and fsync) it on
      // the next call; the next flush or close reports the failure.
      this.syncFailure ??= e;
      this.invalidate(nameKey, log);
    });
  }

  private async open(nameKey: string): Promise<NameLog> {
    const known = this.logs.get(nameKey);
    if (known) return known;
    const file = path.join(this.seenDir, `${createHash('sha256').update(nameKey, 'utf8').digest('hex')}.log`);
    const data = await this.fs.readFile(file);
    const decoded = decodeLines(data ?? Buffer.alloc(0), parseLine);
    const keys = new Map<string, true>();
    for (const key of decoded.records) remember(keys, key, this.kept);
    await ensureDurableDir(this.fs, this.seenDir, SEEN_DIR_MODE);
    const partial = { file, keys, lines: decoded.records.length };
    // Appending after a torn or damaged line would glue the next line to it: rewrite first.
    if (decoded.tornTail || decoded.corruptBeforeGood || partial.lines > 2 * this.kept) await this.compact(partial);
    const handle = await this.fs.open(file, 'append', SEEN_FILE_MODE, WRITE_NOW);
    // Before anything is acknowledged through this log: what a killed predecessor left only in
    // the page cache becomes durable, and so does the file's name if this open created it.
    try {
      await handle.sync();
      await this.fs.syncDir(this.seenDir);
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw e;
    }
    const log: NameLog = { ...partial, handle, sync: new GroupSync(handle) };
    this.logs.set(nameKey, log);
    return log;
  }

  /** Rewrite `log` as its kept keys: temp file, fsync, rename, folder fsync. */
  private async compact(log: { readonly file: string; readonly keys: Map<string, true>; lines: number }): Promise<void> {
    const temp = `${log.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await this.fs.open(temp, 'exclusive', SEEN_FILE_MODE);
    try {
      try {
        const lines = [...log.keys.keys()].map((k) => encodeLine({ k }));
        if (lines.length > 0) await handle.append(Buffer.concat(lines));
        // Rename only a synced temp, else a crash could swap the log for an empty or torn file.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.fs.rename(temp, log.file);
    } catch (e) {
      await this.fs.unlink(temp).catch(() => undefined);
      throw e;
    }
    await this.fs.syncDir(this.seenDir);
    log.lines = log.keys.size;
  }

  private async reopenCompacted(nameKey: string, log: NameLog): Promise<void> {
    // Drop the log first: whatever happens below, the next call rereads the file from scratch.
    this.logs.delete(nameKey);
    // The compacted file is synced whole, so the fsync due for the old one is not needed; if
    // the compaction fails, the next flush reopens the file, which syncs it.
    cancelSync(log);
    this.reopenOwed.add(nameKey);
    await log.sync.flush().catch(() => undefined);
    await log.handle.close().catch(() => undefined);
    await this.compact(log);
    const handle = await this.fs.open(log.file, 'append', SEEN_FILE_MODE, WRITE_NOW);
    this.logs.set(nameKey, { ...log, handle, sync: new GroupSync(handle), syncTimer: undefined });
    this.reopenOwed.delete(nameKey);
  }

  /** What is on disk is unknown after a failed write or fsync: the next call reopens the file. */
  private invalidate(nameKey: string, log: NameLog): void {
    if (this.logs.get(nameKey) !== log) return;
    this.logs.delete(nameKey);
    // Reopening fsyncs the file, which covers what this log wrote: the next flush reopens it.
    cancelSync(log);
    this.reopenOwed.add(nameKey);
    log.handle.close().catch(() => undefined);
  }
}

function cancelSync(log: NameLog): void {
  if (log.syncTimer !== undefined) clearTimeout(log.syncTimer);
  log.syncTimer = undefined;
}

/** Make `key` the most recent of `keys`, dropping the oldest beyond `kept`. */
function remember(keys: Map<string, true>, key: string, kept: number): void {
  keys.delete(key);
  keys.set(key, true);
  if (keys.size > kept) keys.delete(keys.keys().next().value as string);
}
