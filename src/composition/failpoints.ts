import { writeSync } from 'node:fs';
import path from 'node:path';
import type { FileHandle, FileSystem, OpenMode } from '../adapters/fs/file-system';

/**
 * Named places where a crash test makes the server kill itself (SIGKILL, as `kill -9` would):
 * - `before-fsync`: just before an fsync of a file or directory;
 * - `after-fsync-before-ack`: just after an fsync, before whatever waited for it (an ACK) runs;
 * - `after-ack`: a few milliseconds after an fsync, once the ACK that waited for it has left;
 * - `during-rewrite`: inside a crash-safe rewrite (temp file written, synced, renamed, directory synced);
 * - `torn-write`: halfway through appending a record, leaving a torn last record on disk.
 */
export const FAILPOINTS = ['before-fsync', 'after-fsync-before-ack', 'after-ack', 'during-rewrite', 'torn-write'] as const;

/**
 * Points that do not kill, for tests of the process-level policy:
 * - `unhandled-rejection`: just after an fsync, leaves a rejected promise that nothing handles
 *   (the fsync itself succeeds), as a forgotten `void promise` that fails would.
 */
export const FAULT_POINTS = ['unhandled-rejection'] as const;

export type FailpointName = (typeof FAILPOINTS)[number];
export type FaultPointName = (typeof FAULT_POINTS)[number];

export interface Failpoint {
  readonly name: FailpointName | FaultPointName;
  /** Chance that each pass through the point kills the process. */
  readonly probability: number;
}

const DEFAULT_PROBABILITY = 0.05;
const AFTER_ACK_MAX_DELAY_MS = 10;
const TEMP_SUFFIX = '.tmp';
const LOG_SUFFIX = '.log';

/**
 * `<name>[:<probability>]` from the CHATAPP_FAILPOINT variable, undefined when unset; an Error
 * for anything else, so a mistyped failpoint never silently tests nothing.
 */
export function parseFailpoint(value: string | undefined): Failpoint | undefined | Error {
  if (value === undefined || value === '') return undefined;
  const [name, rawProbability] = value.split(':');
  const known: readonly string[] = [...FAILPOINTS, ...FAULT_POINTS];
  if (name === undefined || !known.includes(name)) return new Error(`unknown failpoint ${JSON.stringify(name)}; use one of ${known.join(', ')}`);
  const probability = rawProbability === undefined ? DEFAULT_PROBABILITY : Number(rawProbability);
  if (!Number.isFinite(probability) || probability < 0 || probability > 1) return new Error(`failpoint probability must be between 0 and 1, got ${rawProbability}`);
  return { name: name as FailpointName | FaultPointName, probability };
}

/**
 * The server's file system with a failpoint armed: passes every operation through, and at the
 * named point kills the whole process with SIGKILL (no handler, no flush, like `kill -9`),
 * after a line on stderr saying which point fired, so a crash test can tell its runs apart.
 */
export class FailpointFileSystem implements FileSystem {
  private lastRenamedDir: string | undefined;
  private afterAckArmed = false;

  constructor(
    private readonly inner: FileSystem,
    private readonly failpoint: Failpoint,
    private readonly random: () => number = Math.random,
  ) {}

  mkdir(dir: string, mode?: number): Promise<string | undefined> {
    return this.inner.mkdir(dir, mode);
  }

  readdir(dir: string): Promise<string[]> {
    return this.inner.readdir(dir);
  }

  readFile(file: string): Promise<Buffer | undefined> {
    return this.inner.readFile(file);
  }

  async open(file: string, mode: OpenMode, permissions?: number): Promise<FileHandle> {
    const temp = file.endsWith(TEMP_SUFFIX);
    if (temp) this.maybe('during-rewrite', `creating ${path.basename(file)}`);
    const handle = await this.inner.open(file, mode, permissions);
    return {
      append: async (data) => {
        if (temp) this.maybe('during-rewrite', `writing ${path.basename(file)}`);
        // Only record logs: a lock file's pid is one tiny write, which kill -9 cannot tear.
        if (file.endsWith(LOG_SUFFIX) && data.length > 1 && this.roll('torn-write')) {
          // A strict prefix reaches the file, then the process dies: a torn last record.
          await handle.append(data.subarray(0, 1 + Math.floor(this.random() * (data.length - 1))));
          this.fire('torn-write', `appending to ${path.basename(file)}`);
        }
        await handle.append(data);
      },
      truncate: (length) => handle.truncate(length),
      sync: async () => {
        this.maybe('before-fsync', `fsync of ${path.basename(file)}`);
        if (temp) this.maybe('during-rewrite', `fsync of ${path.basename(file)}`);
        await handle.sync();
        this.afterSync(`fsync of ${path.basename(file)}`);
      },
      close: () => handle.close(),
    };
  }

  async rename(from: string, to: string): Promise<void> {
    const rewrite = from.endsWith(TEMP_SUFFIX);
    if (rewrite) this.maybe('during-rewrite', `renaming ${path.basename(from)}`);
    await this.inner.rename(from, to);
    if (rewrite) {
      this.lastRenamedDir = path.dirname(path.resolve(to));
      this.maybe('during-rewrite', `after renaming ${path.basename(from)}, before the directory fsync`);
    }
  }

  link(existing: string, newName: string): Promise<void> {
    return this.inner.link(existing, newName);
  }

  unlink(file: string): Promise<boolean> {
    return this.inner.unlink(file);
  }

  async syncDir(dir: string): Promise<void> {
    this.maybe('before-fsync', `fsync of directory ${path.basename(dir)}`);
    await this.inner.syncDir(dir);
    if (this.lastRenamedDir === path.resolve(dir)) {
      this.lastRenamedDir = undefined;
      this.maybe('during-rewrite', `after the directory fsync of a rewrite`);
    }
    this.afterSync(`fsync of directory ${path.basename(dir)}`);
  }

  private afterSync(where: string): void {
    if (this.roll('unhandled-rejection')) {
      writeSync(2, `chatapp: failpoint unhandled-rejection fired (${where})\n`);
      // Deliberately without a handler: this is what the process-level policy must survive.
      void Promise.reject(new Error(`failpoint unhandled-rejection (${where})`));
    }
    this.maybe('after-fsync-before-ack', where);
    if (this.afterAckArmed || !this.roll('after-ack')) return;
    this.afterAckArmed = true;
    // Whatever waited for this fsync (an ACK) runs first; the kill comes a moment later.
    setTimeout(() => this.fire('after-ack', `${where}, ACK sent`), Math.floor(this.random() * AFTER_ACK_MAX_DELAY_MS));
  }

  private roll(name: FailpointName | FaultPointName): boolean {
    return this.failpoint.name === name && this.random() < this.failpoint.probability;
  }

  private maybe(name: FailpointName, where: string): void {
    if (this.roll(name)) this.fire(name, where);
  }

  private fire(name: FailpointName, where: string): void {
    writeSync(2, `chatapp: failpoint ${name} fired (${where})\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
