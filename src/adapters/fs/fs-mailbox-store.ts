import { createHash } from 'node:crypto';
import path from 'node:path';
import { utf8Length } from '../../domain/message-text';
import { DEFAULT_MAILBOX_QUOTA, fitsQuota, type MailboxMessage, type MailboxQuota, type StoredMessage } from '../../domain/offline-mailbox';
import type { AppendOutcome, MailboxStore } from '../../application/ports/mailbox-store';
import { StoreClosedError } from '../../application/ports/store-closed-error';
import { decodeLines, encodeLine } from './checksummed-lines';
import { ensureDurableDir, NodeFileSystem, type FileHandle, type FileSystem } from './file-system';
import { GroupSync } from './group-sync';
import { KeyedQueue } from './keyed-queue';
import { parseMailboxLine, toRecord, toRefusedRecord } from './stored-message-record';

const LOG_SUFFIX = '.log';
const TEMP_SUFFIX = '.tmp';
/** Append handles kept open at once; idle mailboxes beyond this are closed (10,000 clients must not exhaust fds). */
const MAX_OPEN_FILES = 32;
/** Refused-count lines a file may gather before it is rewritten with one (a full mailbox under a flood of saves). */
const MAX_REFUSED_LINES = 64;
/** Refused ids remembered per recipient, so a retried save is counted once. */
const RECENT_REFUSED_IDS = 1_000;

interface Entry {
  readonly message: MailboxMessage;
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
  /** The `seq` the next stored message gets. */
  nextSeq: number;
  /** Messages refused for a full mailbox and not yet cleared. */
  refused: number;
  /** Refused-count lines in the file since it was last rewritten. */
  refusedLines: number;
  /** Ids refused lately, each with the fsync covering its count (undefined once durable). */
  readonly recentRefused: Map<string, Promise<void> | undefined>;
}

interface AppendStep {
  readonly outcome: AppendOutcome;
  readonly durable?: Promise<void>;
}

/**
 * Offline mailboxes on disk: one append-only file per recipient, `mailboxes/<sha256(key)>.log`
 * (file names never come from user input), one checksummed JSON line per message (with the
 * `seq` it was given, one more than the highest in the file), and a line with the refused
 * count each time it changes (the last one wins).
 *
 * Crash-safety ordering: an append resolves 'stored' only after the fsync covering its record
 * (and, when it created the file, the directory fsync that makes the name durable). Removal
 * rewrites the file to a temp file, fsyncs it, renames it over the log and fsyncs the directory,
 * so a crash leaves either the old or the new mailbox, never a mix. A torn last record (a write
 * cut by the crash, never acknowledged) is detected by its checksum, dropped and truncated away.
 * Operations on one recipient run one at a time; concurrent appends to one file share an fsync.
 * A failed rewrite (a full disk) removes its temp file and leaves the mailbox as it was.
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

  list(recipientKey: string): Promise<MailboxMessage[]> {
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

  async refused(recipientKey: string): Promise<number> {
    return this.run(recipientKey, async () => {
      const box = await this.mailbox(recipientKey);
      await this.flush(box);
      return box.refused;
    });
  }

  async clearRefused(recipientKey: string, count: number): Promise<void> {
    const step = await this.run(recipientKey, async (): Promise<{ durable?: Promise<void> }> => {
      const box = await this.mailbox(recipientKey);
      const left = Math.max(0, box.refused - Math.max(0, count));
      if (left === box.refused) return {};
      if (box.entries.length === 0 && left === 0) {
        box.refused = 0;
        await this.rewrite(box, []);
        return {};
      }
      return this.writeRefused(box, left);
    });
    await step.durable;
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
    if (this.closed) return Promise.reject(new StoreClosedError('mailbox store'));
    return this.queue.run(key, task);
  }

  private async appendNow(message: StoredMessage): Promise<AppendStep> {
    const box = await this.mailbox(message.recipient);
    const existing = box.byId.get(message.id);
    // A retry is acknowledged only once the first copy is on disk, not merely in memory.
    if (existing) return { outcome: 'duplicate', durable: existing.durable };
    const bytes = utf8Length(message.text);
    if (!fitsQuota(this.quota, box.entries.length, box.bytes, bytes)) return this.refuse(box, message.id);
    const record = toRecord({ ...message, seq: box.nextSeq });
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
    box.nextSeq++;
    return { outcome: 'stored', durable: entry.durable };
  }

  /** Count a refused message once per id, durably (the count line's fsync) before answering. */
  private async refuse(box: Mailbox, id: string): Promise<AppendStep> {
    if (box.recentRefused.has(id)) return { outcome: 'full', durable: box.recentRefused.get(id) };
    const { durable } = await this.writeRefused(box, box.refused + 1);
    box.recentRefused.set(id, durable);
    durable?.then(() => { if (box.recentRefused.get(id) === durable) box.recentRefused.set(id, undefined); }, () => box.recentRefused.delete(id));
    if (box.recentRefused.size > RECENT_REFUSED_IDS) box.recentRefused.delete(box.recentRefused.keys().next().value as string);
    return { outcome: 'full', durable };
  }

  /**
   * Set the box's refused count to `count`: a line appended (`durable` is its fsync), or,
   * when such lines have piled up, a rewrite (durable when this resolves).
   */
  private async writeRefused(box: Mailbox, count: number): Promise<{ durable?: Promise<void> }> {
    if (box.refusedLines >= MAX_REFUSED_LINES) {
      const before = box.refused;
      box.refused = count;
      try {
        await this.rewrite(box, box.entries);
      } catch (e) {
        box.refused = before;
        throw e;
      }
      return {};
    }
    let sync: GroupSync;
    try {
      sync = await this.writer(box);
      await box.handle!.append(encodeLine(toRefusedRecord(box.key, count)));
    } catch (e) {
      box.broken = true;
      throw e;
    }
    box.refused = count;
    box.refusedLines++;
    const durable = sync.request();
    durable.catch(() => { box.broken = true; });
    return { durable };
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
      nextSeq: 1, refused: 0, refusedLines: 0, recentRefused: new Map(),
    };
    const data = await this.fs.readFile(box.file);
    if (data === undefined) return box;
    const decoded = decodeLines(data, (body) => parseMailboxLine(body, key));
    let messages = 0;
    let seq = 0;
    const records: MailboxMessage[] = [];
    for (const line of decoded.records) {
      if (line.kind === 'refused') {
        box.refused = line.count;
        box.refusedLines++;
        continue;
      }
      messages++;
      // A line without `seq` (an older file) or out of line takes the next place: the file's order is the order stored.
      seq = line.seq !== undefined && line.seq > seq ? line.seq : seq + 1;
      records.push({ ...line.message, seq });
    }
    box.nextSeq = seq + 1;
    const kept = this.index(box, records);
    if (decoded.tornTail) this.tornTailsDropped++;
    if (decoded.corruptBeforeGood || kept < messages) {
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
  private index(box: Mailbox, records: readonly MailboxMessage[]): number {
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
    const empty = kept.length === 0 && box.refused === 0;
    const temp = box.file + TEMP_SUFFIX;
    try {
      await this.release(box);
      if (empty) {
        await this.fs.unlink(box.file);
      } else {
        const lines = kept.map((e) => encodeLine(e.message));
        if (box.refused > 0) lines.push(encodeLine(toRefusedRecord(box.key, box.refused)));
        const handle = await this.fs.open(temp, 'truncate');
        try {
          await handle.append(Buffer.concat(lines));
          // Rename only a synced temp: renamed first, a crash could leave an empty or torn mailbox.
          await handle.sync();
        } finally {
          await handle.close();
        }
        await this.fs.rename(temp, box.file);
      }
      await this.fs.syncDir(this.mailboxDir);
    } catch (e) {
      // The log is whole (the rename is atomic); the next call reloads it. A temp left behind
      // would hold on to the very space a full disk lacks.
      box.broken = true;
      if (!empty) await this.fs.unlink(temp).catch(() => undefined);
      throw e;
    }
    box.refusedLines = box.refused > 0 ? 1 : 0;
    box.exists = !empty;
    box.entries = [...kept];
    box.byId = new Map(kept.map((e) => [e.message.id, e]));
    box.bytes = kept.reduce((sum, e) => sum + e.bytes, 0);
  }
}
