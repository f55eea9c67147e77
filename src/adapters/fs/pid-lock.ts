import path from 'node:path';
import type { FileSystem } from './file-system';

const OWNER_READ_ATTEMPTS = 4;
const OWNER_READ_PAUSE_MS = 25;
const TAKE_ATTEMPTS = 5;

/** Directories locked by a store in this very process (the pid in the file cannot tell them apart). */
const heldInThisProcess = new Set<string>();

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null ? (e as NodeJS.ErrnoException).code : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return errno(e) === 'EPERM';
  }
}

function lockedError(pid: number, dir: string): Error {
  return Object.assign(new Error(`another ChatApp server (pid ${pid}) is using ${dir}`), { code: 'ELOCKED' });
}

/**
 * One writer per data directory: a lock file holding the owner's pid, created with O_EXCL.
 * A lock whose pid is dead (a killed server) is stale and taken over; a live one refuses.
 */
export class PidLock {
  private readonly file: string;
  private held = false;

  constructor(private readonly fs: FileSystem, private readonly dir: string, name = 'chatapp.lock') {
    this.file = path.resolve(dir, name);
  }

  async acquire(): Promise<void> {
    if (this.held) return;
    if (heldInThisProcess.has(this.file)) throw lockedError(process.pid, this.dir);
    for (let attempt = 0; attempt < TAKE_ATTEMPTS; attempt++) {
      if (await this.tryCreate()) {
        this.held = true;
        heldInThisProcess.add(this.file);
        return;
      }
      const owner = await this.owner();
      // Our own pid here is a leftover of an earlier process that had the same pid.
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) throw lockedError(owner, this.dir);
      // Two servers taking over one stale lock at the same instant could both succeed; a
      // restart after kill -9 is not that race, and O_EXCL settles all the others.
      await this.fs.unlink(this.file);
    }
    throw new Error(`could not take the lock ${this.file}`);
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    heldInThisProcess.delete(this.file);
    await this.fs.unlink(this.file);
  }

  private async tryCreate(): Promise<boolean> {
    let handle;
    try {
      handle = await this.fs.open(this.file, 'exclusive', 0o644);
    } catch (e) {
      if (errno(e) === 'EEXIST') return false;
      throw e;
    }
    try {
      await handle.append(Buffer.from(`${process.pid}\n`, 'ascii'));
      await handle.sync();
    } catch (e) {
      await handle.close().catch(() => undefined);
      await this.fs.unlink(this.file).catch(() => undefined);
      throw e;
    }
    await handle.close();
    return true;
  }

  /**
   * The pid in the lock file. Only a whole line counts: a file still empty or torn after a short
   * wait (its writer died right after creating it, or a power cut kept `7` of `7123\n`, which
   * may name a live stranger) has none, and the lock is stale.
   */
  private async owner(): Promise<number | undefined> {
    for (let attempt = 0; attempt < OWNER_READ_ATTEMPTS; attempt++) {
      const text = (await this.fs.readFile(this.file))?.toString('ascii');
      if (text === undefined) return undefined;
      if (/^\d+\n$/.test(text)) return Number(text.trimEnd());
      await new Promise((resolve) => setTimeout(resolve, OWNER_READ_PAUSE_MS));
    }
    return undefined;
  }
}
