import path from 'node:path';
import { nameKey } from '../../domain/nickname';
import type { RegistryRecord, RegistryStore } from '../../application/ports/registry-store';
import { decodeLines, encodeLine } from './checksummed-lines';
import { ensureDurableDir, NodeFileSystem, type FileHandle, type FileSystem } from './file-system';
import { GroupSync } from './group-sync';
import { KeyedQueue } from './keyed-queue';
import { PidLock } from './pid-lock';
import { parseRegistryBody, toRegistryBody } from './registry-record-codec';

const LOG_NAME = 'registry.log';
const TEMP_NAME = 'registry.log.tmp';

/**
 * The server's registry on disk: an append-only log of checksummed JSON lines, the last record
 * per name key winning, guarded by a pid lock so two servers never share one data directory.
 *
 * Crash-safety ordering: `save` resolves only after the fsync covering its line (concurrent
 * saves share one). `open` takes the lock before touching anything, drops a torn last line,
 * and compacts the log to one line per name through a temp file, fsync, rename and directory
 * fsync, so a crash during compaction leaves the old log or the new one, whole.
 */
export class FsRegistryStore implements RegistryStore {
  /** Torn last records dropped when opening. */
  tornTailsDropped = 0;

  private readonly lock: PidLock;
  private readonly queue = new KeyedQueue();
  private readonly latest = new Map<string, RegistryRecord>();
  private handle: FileHandle | undefined;
  private sync: GroupSync | undefined;
  /** A write or fsync failed: the log's end is unknown, so nothing more is written until reopened. */
  private failure: unknown;

  constructor(
    private readonly dir: string,
    private readonly fs: FileSystem = new NodeFileSystem(),
  ) {
    this.lock = new PidLock(fs, dir);
  }

  async open(): Promise<void> {
    if (this.handle) throw new Error(`registry store for ${this.dir} is already open`);
    await ensureDurableDir(this.fs, this.dir);
    // The lock comes first: a refused second server must not touch the first one's files.
    await this.lock.acquire();
    try {
      await this.recover();
      this.handle = await this.fs.open(this.logFile(), 'append');
      this.sync = new GroupSync(this.handle);
      this.failure = undefined;
    } catch (e) {
      await this.lock.release().catch(() => undefined);
      throw e;
    }
  }

  async load(): Promise<RegistryRecord[]> {
    this.assertOpen();
    return [...this.latest.values()].map((r) => ({ ...r }));
  }

  async save(record: RegistryRecord): Promise<void> {
    const handle = this.assertOpen();
    const sync = this.sync!;
    const body = toRegistryBody(record);
    const durable = await this.queue.run('log', async () => {
      if (this.failure !== undefined) throw this.failure;
      try {
        await handle.append(encodeLine(body));
      } catch (e) {
        // A partial line may end the log; appending after it would glue the next record to it.
        this.failure = e;
        throw e;
      }
      this.latest.set(nameKey(body.name), body);
      return { done: sync.request() };
    });
    try {
      await durable.done;
    } catch (e) {
      this.failure = e;
      throw e;
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    await this.queue.idle();
    try {
      await this.sync!.flush().catch(() => undefined);
      await handle.close();
    } finally {
      this.handle = undefined;
      this.sync = undefined;
      await this.lock.release();
    }
  }

  private assertOpen(): FileHandle {
    if (!this.handle) throw new Error(`registry store for ${this.dir} is not open`);
    return this.handle;
  }

  private logFile(): string {
    return path.join(this.dir, LOG_NAME);
  }

  private async recover(): Promise<void> {
    this.latest.clear();
    const data = await this.fs.readFile(this.logFile());
    const decoded = decodeLines(data ?? Buffer.alloc(0), parseRegistryBody);
    for (const record of decoded.records) this.latest.set(nameKey(record.name), record);
    if (decoded.tornTail) this.tornTailsDropped++;
    const compact = data === undefined || decoded.tornTail || decoded.corruptBeforeGood || decoded.records.length > this.latest.size;
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

  /** Rewrite the log as one line per name: temp file, fsync, rename, directory fsync. */
  private async compact(): Promise<void> {
    const temp = path.join(this.dir, TEMP_NAME);
    const handle = await this.fs.open(temp, 'truncate');
    try {
      const lines = [...this.latest.values()].map((r) => encodeLine(r));
      if (lines.length > 0) await handle.append(Buffer.concat(lines));
      // Rename only a synced temp, else a crash could swap the registry for an empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.fs.rename(temp, this.logFile());
    await this.fs.syncDir(this.dir);
  }
}
