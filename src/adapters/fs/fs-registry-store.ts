import path from 'node:path';
import { nameKey } from '../../domain/nickname';
import type { RegistryRecord, RegistryStore } from '../../application/ports/registry-store';
import { StoreClosedError } from '../../application/ports/store-closed-error';
import { decodeLines, encodeLine } from './checksummed-lines';
import { ensureDurableDir, NodeFileSystem, type FileHandle, type FileSystem } from './file-system';
import { GroupSync } from './group-sync';
import { KeyedQueue } from './keyed-queue';
import { PidLock } from './pid-lock';
import { parseRegistryLine, toRegistryBody, toVersionBody } from './registry-record-codec';

const LOG_NAME = 'registry.log';
const TEMP_NAME = 'registry.log.tmp';
const QUEUE_KEY = 'log';
/** The log is compacted at run time once it holds this many lines more than twice the live ones. */
export const REGISTRY_COMPACT_SLACK_LINES = 2_000;

export interface FsRegistryStoreOptions {
  /** See REGISTRY_COMPACT_SLACK_LINES; small in tests, to compact often. */
  readonly compactSlackLines?: number;
}

type State = 'new' | 'open' | 'closing' | 'closed';

/** Lines written together in one append (see FsRegistryStore.write). */
interface WriteBatch {
  readonly lines: Buffer[];
  readonly applies: Array<() => void>;
  highest: number;
  readonly step: Promise<{ done: Promise<void> }>;
}

/**
 * The server's registry on disk: an append-only log of checksummed JSON lines, the last record
 * per name key winning, plus version marks (the highest table version reserved), guarded by a
 * pid lock so two servers never share one data directory.
 *
 * Crash-safety ordering: `save` and `reserveVersion` resolve only after the fsync covering
 * their line (concurrent calls share one). `open` takes the lock before touching anything,
 * drops a torn last line, and compacts the log to one line per name and one version mark
 * through a temp file, fsync, rename and directory fsync, so a crash during compaction leaves
 * the old log or the new one, whole. The same compaction runs while the server runs, once the
 * log has grown past twice its live lines plus a slack, queued with the writes.
 *
 * A failed write or fsync leaves the log's end unknown (a partial line, or pages the kernel
 * dropped): the call rejects, and the next write first rewrites the whole log from memory the
 * same way, so one failure never fails every later write.
 */
export class FsRegistryStore implements RegistryStore {
  /** Torn last records dropped when opening. */
  tornTailsDropped = 0;
  /** Compactions made while open (not counting the one at open). */
  compactions = 0;

  private readonly lock: PidLock;
  private readonly queue = new KeyedQueue();
  private readonly latest = new Map<string, RegistryRecord>();
  private readonly compactSlackLines: number;
  private handle: FileHandle | undefined;
  private sync: GroupSync | undefined;
  private state: State = 'new';
  private closing: Promise<void> | undefined;
  /** Lines in the log now, to decide when to compact. */
  private lines = 0;
  /** The highest version saved or reserved (perhaps not durable yet). */
  private highest = 0;
  /** The highest version known durable. */
  private durableHighest = 0;
  /** A write or fsync failed: the next write rewrites the log first. */
  private broken = false;
  private compactionQueued = false;
  /** Lines waiting for the append under way to end, written together by the next one. */
  private batch: WriteBatch | undefined;

  constructor(
    private readonly dir: string,
    private readonly fs: FileSystem = new NodeFileSystem(),
    options: FsRegistryStoreOptions = {},
  ) {
    this.lock = new PidLock(fs, dir);
    this.compactSlackLines = options.compactSlackLines ?? REGISTRY_COMPACT_SLACK_LINES;
  }

  async open(): Promise<void> {
    if (this.state === 'open' || this.state === 'closing') throw new Error(`registry store for ${this.dir} is already open`);
    await ensureDurableDir(this.fs, this.dir);
    // The lock comes first: a refused second server must not touch the first one's files.
    await this.lock.acquire();
    try {
      await this.recover();
      await this.openAppend();
      this.broken = false;
      this.durableHighest = this.highest;
      this.state = 'open';
      this.closing = undefined;
    } catch (e) {
      await this.releaseHandle();
      await this.lock.release().catch(() => undefined);
      throw e;
    }
  }

  async load(): Promise<RegistryRecord[]> {
    this.assertOpen();
    return [...this.latest.values()].map((r) => ({ ...r }));
  }

  async highestVersion(): Promise<number> {
    this.assertOpen();
    return this.highest;
  }

  async save(record: RegistryRecord): Promise<void> {
    const body = toRegistryBody(record);
    await this.write(encodeLine(body), body.version, () => this.latest.set(nameKey(body.name), body));
  }

  async reserveVersion(version: number): Promise<void> {
    if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`not a table version: ${version}`);
    this.assertOpen();
    if (version <= this.durableHighest) return;
    await this.write(encodeLine(toVersionBody(version)), version, () => undefined);
  }

  close(): Promise<void> {
    if (this.state !== 'open') return this.closing ?? Promise.resolve();
    this.state = 'closing';
    this.closing = (async () => {
      try {
        await this.queue.idle();
        await this.releaseHandle();
      } finally {
        this.state = 'closed';
        await this.lock.release();
      }
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.state === 'closing' || this.state === 'closed') throw new StoreClosedError(`registry store for ${this.dir}`);
    if (this.state !== 'open') throw new Error(`registry store for ${this.dir} is not open`);
  }

  /**
   * Append a line in the queue (after repairing the log if an earlier write failed), apply it
   * in memory, and resolve after the fsync that covers it. Lines written while an append is
   * under way wait in one batch and go out together in the next append, which one fsync then
   * covers: a storm of registrations costs a few appends, not one event-loop round trip each
   * (one at a time, those held a server to about 150 confirms a second under load). The fsync
   * is awaited outside the queue, so batches queued meanwhile share it.
   */
  private async write(line: Buffer, version: number, apply: () => void): Promise<void> {
    this.assertOpen();
    let batch = this.batch;
    if (!batch) {
      // The queue runs its task in a later microtask at the earliest, by when `fresh` is set.
      const fresh: WriteBatch = {
        lines: [],
        applies: [],
        highest: 0,
        step: this.queue.run(QUEUE_KEY, () => {
          if (this.batch === fresh) this.batch = undefined;
          return this.writeBatch(fresh);
        }),
      };
      this.batch = batch = fresh;
    }
    batch.lines.push(line);
    batch.applies.push(apply);
    batch.highest = Math.max(batch.highest, version);
    const step = await batch.step;
    await step.done;
  }

  private async writeBatch(batch: WriteBatch): Promise<{ done: Promise<void> }> {
    // In memory first: if the write fails, the repair rewrites the log with it, as the
    // server's table has it whatever the disk said.
    for (const apply of batch.applies) apply();
    const version = batch.highest;
    this.highest = Math.max(this.highest, version);
    if (this.broken) {
      // The rewrite holds these lines too, synced.
      await this.rewrite();
      return { done: Promise.resolve() };
    }
    const sync = this.sync!;
    try {
      await this.handle!.append(batch.lines.length === 1 ? batch.lines[0]! : Buffer.concat(batch.lines));
    } catch (e) {
      // A partial line may end the log; appending after it would glue the next record to it.
      this.broken = true;
      throw e;
    }
    this.lines += batch.lines.length;
    const done = sync.request();
    done.then(
      () => { this.durableHighest = Math.max(this.durableHighest, version); },
      () => { this.broken = true; },
    );
    if (this.lines > 2 * (this.latest.size + 1) + this.compactSlackLines) this.compactInBackground();
    return { done };
  }

  /** Queue a compaction behind the writes; a failure leaves the log broken, repaired by the next write. */
  private compactInBackground(): void {
    if (this.compactionQueued) return;
    this.compactionQueued = true;
    this.queue.run(QUEUE_KEY, async () => {
      this.compactionQueued = false;
      await this.rewrite();
      this.compactions++;
    }).catch(() => undefined);
  }

  /**
   * Replace the log by what is in memory (every line whose write was attempted, so nothing a
   * caller may have been told is durable is lost), then append to the new file.
   */
  private async rewrite(): Promise<void> {
    this.broken = true;
    await this.releaseHandle();
    await this.compact();
    await this.openAppend();
    this.broken = false;
  }

  private logFile(): string {
    return path.join(this.dir, LOG_NAME);
  }

  private async recover(): Promise<void> {
    this.latest.clear();
    this.highest = 0;
    const data = await this.fs.readFile(this.logFile());
    const decoded = decodeLines(data ?? Buffer.alloc(0), parseRegistryLine);
    for (const line of decoded.records) {
      if (line.kind === 'record') this.latest.set(nameKey(line.record.name), line.record);
      this.highest = Math.max(this.highest, line.kind === 'record' ? line.record.version : line.version);
    }
    this.lines = decoded.records.length;
    if (decoded.tornTail) this.tornTailsDropped++;
    const compact = data === undefined || decoded.tornTail || decoded.corruptBeforeGood || this.lines > this.latest.size + 1;
    if (compact) {
      await this.compact();
      return;
    }
    await this.fs.unlink(path.join(this.dir, TEMP_NAME));
    // What we read may sit only in the page cache of a killed predecessor: make it durable now.
    const handle = await this.fs.open(this.logFile(), 'append');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.fs.syncDir(this.dir);
  }

  /** Rewrite the log as one line per name and a version mark: temp file, fsync, rename, directory fsync. */
  private async compact(): Promise<void> {
    const temp = path.join(this.dir, TEMP_NAME);
    const highest = this.highest;
    const handle = await this.fs.open(temp, 'truncate');
    try {
      const lines = [...this.latest.values()].map((r) => encodeLine(r));
      // The mark keeps the highest version even when no remaining row carries it.
      lines.push(encodeLine(toVersionBody(highest)));
      await handle.append(Buffer.concat(lines));
      // Rename only a synced temp, else a crash could swap the registry for an empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.fs.rename(temp, this.logFile());
    await this.fs.syncDir(this.dir);
    this.lines = this.latest.size + 1;
    this.durableHighest = Math.max(this.durableHighest, highest);
  }

  private async openAppend(): Promise<void> {
    this.handle = await this.fs.open(this.logFile(), 'append');
    this.sync = new GroupSync(this.handle);
  }

  /** Wait for the fsyncs under way (their callers learn how they went), then close the handle. */
  private async releaseHandle(): Promise<void> {
    const handle = this.handle;
    const sync = this.sync;
    this.handle = undefined;
    this.sync = undefined;
    if (!handle) return;
    await sync?.flush().catch(() => undefined);
    await handle.close().catch(() => undefined);
  }
}
