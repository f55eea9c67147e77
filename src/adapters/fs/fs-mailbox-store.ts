import { createHash } from 'node:crypto';
import path from 'node:path';
import { utf8Length } from '../../domain/message-text';
import { DEFAULT_MAILBOX_QUOTA, fitsQuota, type MailboxQuota, type StoredMessage } from '../../domain/offline-mailbox';
import type { AppendOutcome, MailboxStore } from '../../application/ports/mailbox-store';
import { decodeLines, encodeLine } from './checksummed-lines';
import { ensureDurableDir, NodeFileSystem, type FileHandle, type FileSystem } from './file-system';
import { GroupSync } from './group-sync';
import { KeyedQueue } from './keyed-queue';
import { parseRecord, toRecord } from './stored-message-record';

const LOG_SUFFIX = '.log';
const TEMP_SUFFIX = '.tmp';
/** Append handles kept open at once; idle mailboxes beyond this are closed (10,000 clients must not exhaust fds). */
const MAX_OPEN_FILES = 32;

interface Entry {
  readonly message: StoredMessage;
  readonly bytes: number;
  /** Pending fsync covering this record; undefined once durable. A duplicate waits for it too. */
  durable: Promise<void> | undefined;
}

interface Mailbox {
  readonly key: string;
  readonly file: string;
  entries: Entry[];
  byId: Map<string, Entry>;
  bytes: number;
  /** Whether the file exists with a durable name. */
  exists: boolean;
  handle: FileHandle | undefined;
  sync: GroupSync | undefined;
  /** A write or fsync failed: what is on disk is unknown, so the next operation reloads it. */
  broken: boolean;
}

interface AppendStep {
  readonly outcome: AppendOutcome;
  readonly durable?: Promise<void>;
}

/**
 * Offline mailboxes on disk: one append-only file per recipient, `mailboxes/<sha256(key)>.log`
 * (file names never come from user input), one checksummed JSON line per message.
 *
 * Crash-safety ordering: an append resolves 'stored' only after the fsync covering its record
 * (and, when it created the file, the directory fsync that makes the name durable). Removal
 * rewrites the file to a temp file, fsyncs it, renames it over the log and fsyncs the directory,
 * so a crash leaves either the old or the new mailbox, never a mix. A torn last record (a write
 * cut by the crash, never acknowledged) is detected by its checksum, dropped and truncated away.
 * Operations on one recipient run one at a time; concurrent appends to one file share an fsync.
 */
export class FsMailboxStore implements MailboxStore {
  /** Mailbox files whose torn last record was dropped on load. */
  tornTailsDropped = 0;
  /** Mailbox files that held a corrupt record before good ones (damage, not a crash) and were rewritten. */
  corruptFilesRepaired = 0;

  private readonly mailboxDir: string;
  private readonly boxes = new Map<string, Mailbox>();
  /** Boxes with an open handle, least recently used first. */
  private readonly open = new Set<Mailbox>();
  private readonly queue = new KeyedQueue();
  private ready: Promise<void> | undefined;
  private closed = false;

  constructor(
    dir: string,
    private readonly quota: MailboxQuota = DEFAULT_MAILBOX_QUOTA,
    private readonly fs: FileSystem = new NodeFileSystem(),
  ) {
    this.mailboxDir = path.join(dir, 'mailboxes');
  }

  async append(message: StoredMessage): Promise<AppendOutcome> {
    const step = await this.run(message.recipient, () => this.appendNow(message));
    await step.durable;
    return step.outcome;
  }

  list(recipientKey: string): Promise<StoredMessage[]> {
    return this.run(recipientKey, async () => {
      const box = await this.mailbox(recipientKey);
      // Never hand out a record that is not durable yet: shown, then lost in a crash, then
      // saved again by the sender's retry, it would be shown twice.
      await this.flush(box);
      return box.entries.map((e) => ({ ...e.message }));
    });
  }

  remove(recipientKey: string, ids: readonly string[]): Promise<void> {
    return this.run(recipientKey, async () => {
      const box = await this.mailbox(recipientKey);
      const gone = new Set(ids);
      if (!box.entries.some((e) => gone.has(e.message.id))) return;
      await this.rewrite(box, box.entries.filter((e) => !gone.has(e.message.id)));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
    const errors: unknown[] = [];
    for (const box of [...this.open]) await this.release(box).catch((e: unknown) => errors.push(e));
    this.boxes.clear();
    if (errors.length > 0) throw errors[0];
  }

  private run<T>(key: string, task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('mailbox store is closed'));
    return this.queue.run(key, task);
  }

  private async appendNow(message: StoredMessage): Promise<AppendStep> {
    const box = await this.mailbox(message.recipient);
    const existing = box.byId.get(message.id);
    // A retry is acknowledged only once the first copy is on disk, not merely in memory.
    if (existing) return { outcome: 'duplicate', durable: existing.durable };
    const bytes = utf8Length(message.text);
    if (!fitsQuota(this.quota, box.entries.length, box.bytes, bytes)) return { outcome: 'full' };
    const record = toRecord(message);
    let sync: GroupSync;
    try {
      sync = await this.writer(box);
      await box.handle!.append(encodeLine(record));
    } catch (e) {
      // A half-written record may sit at the end: reload (and truncate it) before the next write.
      box.broken = true;
      throw e;
    }
    const entry: Entry = { message: record, bytes, durable: sync.request() };
    entry.durable!.then(() => { entry.durable = undefined; }, () => { box.broken = true; });
    box.entries.push(entry);
    box.byId.set(record.id, entry);
    box.bytes += bytes;
    return { outcome: 'stored', durable: entry.durable };
  }

  private async mailbox(key: string): Promise<Mailbox> {
    const cached = this.boxes.get(key);
    if (cached && !cached.broken) return cached;
    if (cached) {
      this.boxes.delete(key);
      await this.release(cached).catch(() => undefined);
    }
    await this.init();
    const box = await this.load(key);
    this.boxes.set(key, box);
    return box;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await ensureDurableDir(this.fs, this.mailboxDir);
      // A temp file is a rewrite whose rename never happened: the log beside it is the truth.
      for (const name of await this.fs.readdir(this.mailboxDir)) {
        if (name.endsWith(TEMP_SUFFIX)) await this.fs.unlink(path.join(this.mailboxDir, name));
      }
    })().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private async load(key: string): Promise<Mailbox> {
    const stem = createHash('sha256').update(key, 'utf8').digest('hex');
    const box: Mailbox = {
      key, file: path.join(this.mailboxDir, stem + LOG_SUFFIX), entries: [], byId: new Map(), bytes: 0,
      exists: false, handle: undefined, sync: undefined, broken: false,
    };
    const data = await this.fs.readFile(box.file);
    if (data === undefined) return box;
    const decoded = decodeLines(data, (body) => parseRecord(body, key));
    const kept = this.index(box, decoded.records);
    if (decoded.tornTail) this.tornTailsDropped++;
    if (decoded.corruptBeforeGood || kept < decoded.records.length) {
      this.corruptFilesRepaired++;
      await this.rewrite(box, box.entries);
      return box;
    }
    // What we read may sit only in the page cache of a killed predecessor: make the file and
    // its name durable before anything (a duplicate's ACK) is acknowledged on the strength of it.
    box.exists = true;
    try {
      const sync = await this.writer(box);
      if (decoded.tornTail) await box.handle!.truncate(decoded.goodLength);
      await sync.request();
      await this.fs.syncDir(this.mailboxDir);
    } catch (e) {
      await this.release(box).catch(() => undefined);
      throw e;
    }
    return box;
  }

  /** Fill `box` from records read back, keeping the first copy of an id; returns how many were kept. */
  private index(box: Mailbox, records: readonly StoredMessage[]): number {
    for (const message of records) {
      if (box.byId.has(message.id)) continue;
      const entry: Entry = { message, bytes: utf8Length(message.text), durable: undefined };
      box.entries.push(entry);
      box.byId.set(message.id, entry);
      box.bytes += entry.bytes;
    }
    return box.entries.length;
  }

  /** The box's append handle, opened (and the file created durably) if needed. */
  private async writer(box: Mailbox): Promise<GroupSync> {
    if (box.handle && box.sync) {
      this.open.delete(box);
      this.open.add(box);
      return box.sync;
    }
    const creating = !box.exists;
    box.handle = await this.fs.open(box.file, 'append');
    box.sync = new GroupSync(box.handle);
    this.open.add(box);
    // The new file's name is durable only once its directory is fsynced.
    if (creating) await this.fs.syncDir(this.mailboxDir);
    box.exists = true;
    this.evictIdleHandles(box);
    return box.sync;
  }

  private evictIdleHandles(current: Mailbox): void {
    for (const box of this.open) {
      if (this.open.size <= MAX_OPEN_FILES) return;
      if (box === current) continue;
      this.open.delete(box);
      // Released in the box's own queue, so it never closes under a write in progress.
      this.queue.run(box.key, () => this.release(box)).catch(() => { box.broken = true; });
    }
  }

  private async flush(box: Mailbox): Promise<void> {
    try {
      await box.sync?.flush();
    } catch (e) {
      box.broken = true;
      throw e;
    }
  }

  /** Wait for pending fsyncs, then close the handle. */
  private async release(box: Mailbox): Promise<void> {
    this.open.delete(box);
    const handle = box.handle;
    if (!handle) return;
    try {
      await this.flush(box);
    } finally {
      box.handle = undefined;
      box.sync = undefined;
      await handle.close();
    }
  }

  /**
   * Replace the box's file by exactly `kept`: temp file, fsync, rename, directory fsync (or
   * unlink and directory fsync when empty). The in-memory index changes only once that is done.
   */
  private async rewrite(box: Mailbox, kept: Entry[]): Promise<void> {
    try {
      await this.release(box);
      if (kept.length === 0) {
        await this.fs.unlink(box.file);
      } else {
        const temp = box.file + TEMP_SUFFIX;
        const handle = await this.fs.open(temp, 'truncate');
        try {
          await handle.append(Buffer.concat(kept.map((e) => encodeLine(e.message))));
          // Rename only a synced temp: renamed first, a crash could leave an empty or torn mailbox.
          await handle.sync();
        } finally {
          await handle.close();
        }
        await this.fs.rename(temp, box.file);
      }
      await this.fs.syncDir(this.mailboxDir);
    } catch (e) {
      box.broken = true;
      throw e;
    }
    box.exists = kept.length > 0;
    box.entries = [...kept];
    box.byId = new Map(kept.map((e) => [e.message.id, e]));
    box.bytes = kept.reduce((sum, e) => sum + e.bytes, 0);
  }
}
