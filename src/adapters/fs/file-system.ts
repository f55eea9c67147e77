import fs, { promises as fsp, writeSync } from 'node:fs';
import path from 'node:path';
import { makeDirSync } from './make-dir';

/** An open file the stores write through; `sync` is the only thing that makes its bytes durable. */
export interface FileHandle {
  /** Write `data` at the current end of the file (the file was opened for appending or truncated). */
  append(data: Uint8Array): Promise<void>;
  /**
   * Write `data` at the end of the file before returning, when this handle can (opened with
   * `writeNow`, and `data` small): true once written, false if it cannot (use `append`).
   * Throws if the write failed, which may leave part of `data` in the file. Absent: never.
   */
  appendNow?(data: Uint8Array): boolean;
  /** Cut the file to `length` bytes (durable only after `sync`). */
  truncate(length: number): Promise<void>;
  /** fsync: the file's content and size are on disk when this resolves. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How an opened file starts: `append` creates it if missing and keeps its content, `truncate`
 * creates or empties it, `exclusive` creates it and fails with code EEXIST if it exists (O_EXCL).
 */
export type OpenMode = 'append' | 'truncate' | 'exclusive';

/** How an opened file is written; every field may be ignored by a file system that cannot honour it. */
export interface OpenOptions {
  /**
   * Write small appends without leaving the thread (a write(2) into the page cache takes a
   * microsecond or two, a round trip through the thread pool tens): for a record that someone
   * waits for on the way to an answer, such as the client's seen key before its ACK.
   */
  readonly writeNow?: boolean;
}

/**
 * Every disk operation the file stores make, so a test can substitute a file system that
 * records the order of operations or simulates a power loss. Creating, renaming, linking and
 * unlinking a name is durable only after `syncDir` of its directory.
 */
export interface FileSystem {
  /** mkdir -p; resolves to the first directory it created, or undefined if all existed. */
  mkdir(dir: string, mode?: number): Promise<string | undefined>;
  /** Names in `dir`, or an empty list if it does not exist. */
  readdir(dir: string): Promise<string[]>;
  /** The whole file, or undefined if it does not exist. */
  readFile(file: string): Promise<Buffer | undefined>;
  open(file: string, mode: OpenMode, permissions?: number, options?: OpenOptions): Promise<FileHandle>;
  /** Atomically replace `to` by `from`. */
  rename(from: string, to: string): Promise<void>;
  /** Give `existing` a second name; fails with code EEXIST if `newName` exists (never clobbers). */
  link(existing: string, newName: string): Promise<void>;
  /** Remove a name; resolves false if it did not exist. */
  unlink(file: string): Promise<boolean>;
  /** fsync a directory, making the creations, renames and unlinks of names in it durable. */
  syncDir(dir: string): Promise<void>;
}

const OPEN_FLAGS: Record<OpenMode, string> = { append: 'a', truncate: 'w', exclusive: 'wx' };

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

/** Appends up to this size are written on the spot when the file was opened with `writeNow`. */
const WRITE_NOW_MAX_BYTES = 64 * 1024;

class NodeFileHandle implements FileHandle {
  constructor(
    private readonly handle: fsp.FileHandle,
    private readonly writeNow = false,
  ) {}

  appendNow(data: Uint8Array): boolean {
    if (!this.writeNow || data.length > WRITE_NOW_MAX_BYTES) return false;
    let written = 0;
    while (written < data.length) written += writeSync(this.handle.fd, data, written, data.length - written);
    return true;
  }

  async append(data: Uint8Array): Promise<void> {
    if (this.appendNow(data)) return;
    // write(2) may be short (ENOSPC, signals); loop so a record is never silently cut.
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await this.handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }

  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** The real file system through node:fs/promises. */
export class NodeFileSystem implements FileSystem {
  async mkdir(dir: string, mode = 0o777): Promise<string | undefined> {
    return makeDirSync(dir, mode);
  }

  async readdir(dir: string): Promise<string[]> {
    try {
      return await fsp.readdir(dir);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
  }

  async readFile(file: string): Promise<Buffer | undefined> {
    try {
      return await fsp.readFile(file);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  }

  async open(file: string, mode: OpenMode, permissions = 0o666, options: OpenOptions = {}): Promise<FileHandle> {
    return new NodeFileHandle(await fsp.open(file, OPEN_FLAGS[mode], permissions), options.writeNow);
  }

  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }

  link(existing: string, newName: string): Promise<void> {
    return fsp.link(existing, newName);
  }

  async unlink(file: string): Promise<boolean> {
    try {
      await fsp.unlink(file);
      return true;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false;
      throw e;
    }
  }

  async syncDir(dir: string): Promise<void> {
    // Windows cannot open a directory for fsync; its metadata is journaled by NTFS anyway.
    if (process.platform === 'win32') return;
    const handle = await fsp.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/**
 * mkdir -p `dir`, then fsync the parent of `dir` and of each of its ancestors: a directory's
 * name lives in its parent, and files synced inside a directory whose own name is not durable
 * vanish with it on power loss. Existing directories are synced too, since a predecessor
 * killed between its mkdir and its fsync leaves names that only look durable. Only the parents
 * of directories created here must sync; the rest are best effort (a parent we may not read,
 * say). The syncs run at once, not one after another: every directory exists once mkdir has
 * returned, so their order does not matter, only that all have finished before this resolves
 * (one after another they were a dozen thread-pool round trips on every client start).
 */
export async function ensureDurableDir(fs: FileSystem, dir: string, mode?: number): Promise<void> {
  const target = path.resolve(dir);
  const parents = parentsToSync(target, await fs.mkdir(target, mode));
  const results = await Promise.allSettled(parents.map((p) => fs.syncDir(p.dir)));
  // The deepest required failure, as when they ran one after another.
  const failed = results.findIndex((r, i) => r.status === 'rejected' && parents[i]!.required);
  if (failed >= 0) throw (results[failed] as PromiseRejectedResult).reason;
}

/**
 * The parent of `target` and of each of its ancestors, deepest first, each `required` when the
 * directory under it was created (`first` is the outermost directory mkdir made, if any).
 */
function parentsToSync(target: string, first: string | undefined): Array<{ readonly dir: string; readonly required: boolean }> {
  const parents: Array<{ readonly dir: string; readonly required: boolean }> = [];
  let created = first !== undefined;
  for (let d = target; path.dirname(d) !== d; d = path.dirname(d)) {
    parents.push({ dir: path.dirname(d), required: created });
    if (first !== undefined && d === path.resolve(first)) created = false;
  }
  return parents;
}

/** Directories ensureDurableDirSync has synced in this process (see there). */
const SYNCED_EXISTING = new Set<string>();

/**
 * ensureDurableDir done on the spot, for the few small files a client makes at a name's first
 * registration while it waits for nothing else: one after another the syncs of unchanged
 * directories take microseconds, where each trip through the thread pool waits for a pool
 * thread and then for the event loop. The same directories are synced, with the same rule for
 * which failures count.
 */
export function ensureDurableDirSync(dir: string, mode?: number): void {
  const target = path.resolve(dir);
  let failure: { readonly error: unknown } | undefined;
  for (const parent of parentsToSync(target, makeDirSync(target, mode))) {
    // An existing directory is synced against a killed predecessor's unsynced names: once a
    // process has done that, doing it again for its next file (a name's key after its
    // secret) guards against nothing. A directory created here is always synced.
    if (!parent.required && SYNCED_EXISTING.has(parent.dir)) continue;
    try {
      syncDirSync(parent.dir);
      SYNCED_EXISTING.add(parent.dir);
    } catch (error) {
      // The deepest required failure, as ensureDurableDir reports it.
      if (parent.required) failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}

/** fsync a directory on the spot (see ensureDurableDirSync). */
export function syncDirSync(dir: string): void {
  // Windows cannot open a directory for fsync; its metadata is journaled by NTFS anyway.
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
