import path from 'node:path';
import type { FileHandle, FileSystem, OpenMode } from '../../src/adapters/fs/file-system';
import type { SeededRandom } from '../../src/adapters/in-memory/seeded-random';

/** File content: what a reader sees now, and what an fsync last put on disk. */
class Inode {
  data: Buffer = Buffer.alloc(0);
  synced: Buffer = Buffer.alloc(0);
}

type Node = { readonly kind: 'dir' } | { readonly kind: 'file'; readonly inode: Inode };
type Namespace = Map<string, Node>;

/** A change to names (create, rename, link, unlink, mkdir), durable once its directory is fsynced. */
interface NameChange {
  readonly dirs: readonly string[];
  apply(names: Namespace): void;
}

interface DiskState {
  live: Namespace;
  durable: Namespace;
  pending: NameChange[];
}

/** `power` loses what was not fsynced; `process` (kill -9) keeps it all, the page cache survives. */
export type CrashKind = 'power' | 'process';

export interface PowerLossOptions {
  /** The operation (1-based) at which the crash happens; that operation and all later ones fail. */
  readonly crashAtOp?: number;
  readonly crashKind?: CrashKind;
}

const DIR: Node = { kind: 'dir' };

/** The error of every operation the simulated crash cut off: the only error a crashed process may see. */
export class SimulatedCrashError extends Error {
  override readonly name = 'SimulatedCrashError';
}

/** Whether `error` is (or wraps, through `cause` or an AggregateError) the simulated crash. */
export function isSimulatedCrash(error: unknown): boolean {
  if (error instanceof SimulatedCrashError) return true;
  if (error instanceof AggregateError) return error.errors.some(isSimulatedCrash);
  return error instanceof Error && error.cause !== undefined && isSimulatedCrash(error.cause);
}

function fail(code: string, what: string): Error {
  return Object.assign(new Error(`${code}: ${what}`), { code });
}

/**
 * A file system in memory that knows what is durable. On a power loss it keeps only what was
 * fsynced: file content as of each file's last `sync`, names as of each directory's last
 * `syncDir`. What it may keep beyond that is chosen by a seeded random source, as a disk might:
 * a prefix of the unsynced name changes (journals commit in order), and a torn prefix of each
 * file's unsynced appended bytes, sometimes ending in zeros (size updated, data never written).
 * Operations yield a random number of microtasks so concurrent callers interleave per seed.
 */
export class PowerLossFileSystem implements FileSystem {
  opCount = 0;
  crashed = false;

  constructor(
    private readonly random: SeededRandom,
    private readonly options: PowerLossOptions = {},
    private readonly state: DiskState = { live: new Map([['/', DIR]]), durable: new Map([['/', DIR]]), pending: [] },
  ) {}

  /** Crash now: every later operation of this instance fails, as the process is gone. */
  crash(kind: CrashKind): void {
    if (this.crashed) return;
    this.crashed = true;
    if (kind === 'power') this.losePower();
  }

  /** The same disk after a crash, seen by a new process. */
  restart(options: PowerLossOptions = {}): PowerLossFileSystem {
    if (!this.crashed) throw new Error('restart() needs a crash() first');
    return new PowerLossFileSystem(this.random, options, this.state);
  }

  /**
   * The files under `dir` as a reader would see them now, read without an operation (so the
   * crash schedule and the seeded interleaving are untouched): for checking what is on disk
   * independently of the stores that wrote it.
   */
  files(dir: string): Map<string, Buffer> {
    const d = path.resolve(dir);
    const found = new Map<string, Buffer>();
    for (const [p, node] of this.state.live) {
      if (node.kind === 'file' && p.startsWith(`${d}/`)) found.set(p, Buffer.from(node.inode.data));
    }
    return found;
  }

  mkdir(dir: string): Promise<string | undefined> {
    return this.op(() => {
      let first: string | undefined;
      const parts = path.resolve(dir).split('/').filter((p) => p !== '');
      for (let i = 1; i <= parts.length; i++) {
        const d = '/' + parts.slice(0, i).join('/');
        const node = this.state.live.get(d);
        if (node?.kind === 'file') throw fail('ENOTDIR', d);
        if (node) continue;
        this.change([path.dirname(d)], (names) => {
          if (names.get(path.dirname(d))?.kind === 'dir' && !names.has(d)) names.set(d, DIR);
        });
        first ??= d;
      }
      return first;
    });
  }

  readdir(dir: string): Promise<string[]> {
    return this.op(() => {
      const d = path.resolve(dir);
      return [...this.state.live.keys()].filter((p) => p !== '/' && path.dirname(p) === d).map((p) => path.basename(p));
    });
  }

  readFile(file: string): Promise<Buffer | undefined> {
    return this.op(() => {
      const node = this.state.live.get(path.resolve(file));
      if (node?.kind === 'dir') throw fail('EISDIR', file);
      return node ? Buffer.from(node.inode.data) : undefined;
    });
  }

  open(file: string, mode: OpenMode): Promise<FileHandle> {
    return this.op(() => {
      const p = path.resolve(file);
      if (this.state.live.get(path.dirname(p))?.kind !== 'dir') throw fail('ENOENT', file);
      const node = this.state.live.get(p);
      if (node?.kind === 'dir') throw fail('EISDIR', file);
      if (node && mode === 'exclusive') throw fail('EEXIST', file);
      if (node) {
        if (mode === 'truncate') node.inode.data = Buffer.alloc(0);
        return this.handle(node.inode);
      }
      const created: Node = { kind: 'file', inode: new Inode() };
      this.change([path.dirname(p)], (names) => {
        if (names.get(path.dirname(p))?.kind === 'dir') names.set(p, created);
      });
      return this.handle(created.inode);
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.op(() => {
      const [a, b] = [path.resolve(from), path.resolve(to)];
      const node = this.state.live.get(a);
      if (!node) throw fail('ENOENT', from);
      if (this.state.live.get(path.dirname(b))?.kind !== 'dir') throw fail('ENOENT', to);
      if (node.kind === 'dir' || this.state.live.get(b)?.kind === 'dir') throw fail('EISDIR', to);
      this.change([path.dirname(a), path.dirname(b)], (names) => {
        const moved = names.get(a);
        if (moved === undefined || names.get(path.dirname(b))?.kind !== 'dir') return;
        names.set(b, moved);
        names.delete(a);
      });
    });
  }

  link(existing: string, newName: string): Promise<void> {
    return this.op(() => {
      const [a, b] = [path.resolve(existing), path.resolve(newName)];
      const node = this.state.live.get(a);
      if (!node) throw fail('ENOENT', existing);
      if (node.kind === 'dir') throw fail('EPERM', existing);
      if (this.state.live.has(b)) throw fail('EEXIST', newName);
      if (this.state.live.get(path.dirname(b))?.kind !== 'dir') throw fail('ENOENT', newName);
      this.change([path.dirname(b)], (names) => {
        if (names.get(path.dirname(b))?.kind === 'dir' && !names.has(b)) names.set(b, node);
      });
    });
  }

  unlink(file: string): Promise<boolean> {
    return this.op(() => {
      const p = path.resolve(file);
      const node = this.state.live.get(p);
      if (!node) return false;
      if (node.kind === 'dir') throw fail('EISDIR', file);
      this.change([path.dirname(p)], (names) => {
        names.delete(p);
      });
      return true;
    });
  }

  syncDir(dir: string): Promise<void> {
    return this.op(() => {
      const d = path.resolve(dir);
      if (this.state.live.get(d)?.kind !== 'dir') throw fail('ENOENT', dir);
      const { live, durable } = this.state;
      for (const p of [...durable.keys()]) if (p !== '/' && path.dirname(p) === d) durable.delete(p);
      for (const [p, node] of live) if (p !== '/' && path.dirname(p) === d) durable.set(p, node);
      this.state.pending = this.state.pending.filter((c) => !c.dirs.every((x) => x === d));
    });
  }

  private handle(inode: Inode): FileHandle {
    let closed = false;
    const open = (): void => {
      if (closed) throw fail('EBADF', 'closed handle');
    };
    return {
      // The write the crash interrupts still reaches the page cache, possibly torn.
      append: (data) => this.op(() => {
        open();
        inode.data = Buffer.concat([inode.data, data]);
      }, true),
      truncate: (length) => this.op(() => {
        open();
        inode.data = Buffer.from(inode.data.subarray(0, length));
      }),
      sync: () => this.op(() => {
        open();
        inode.synced = Buffer.from(inode.data);
      }),
      close: () => this.op(() => {
        open();
        closed = true;
      }),
    };
  }

  private change(dirs: readonly string[], apply: (names: Namespace) => void): void {
    apply(this.state.live);
    this.state.pending.push({ dirs, apply });
  }

  /**
   * One operation: yield, then check for the crash and apply `effect` in the same synchronous
   * stretch, so no effect can land after a crash that another operation triggered meanwhile.
   */
  private async op<T>(effect: () => T, reachesCacheOnCrash = false): Promise<T> {
    for (let i = this.random.int(3); i > 0; i--) await Promise.resolve();
    if (this.crashed) throw new SimulatedCrashError('simulated crash: this process is gone');
    this.opCount++;
    if (this.opCount === this.options.crashAtOp) {
      if (reachesCacheOnCrash) effect();
      this.crash(this.options.crashKind ?? 'power');
      throw new SimulatedCrashError(`simulated ${this.options.crashKind ?? 'power'} crash at operation ${this.opCount}`);
    }
    return effect();
  }

  private losePower(): void {
    const names: Namespace = new Map(this.state.durable);
    if (this.random.chance(0.5)) {
      const kept = this.random.int(this.state.pending.length + 1);
      for (const c of this.state.pending.slice(0, kept)) c.apply(names);
    }
    // A name whose directory's own name did not survive is gone with it.
    for (const p of [...names.keys()].sort((x, y) => x.length - y.length)) {
      if (p !== '/' && names.get(path.dirname(p))?.kind !== 'dir') names.delete(p);
    }
    const seen = new Set<Inode>();
    for (const node of names.values()) {
      if (node.kind !== 'file' || seen.has(node.inode)) continue;
      seen.add(node.inode);
      node.inode.data = this.survivingContent(node.inode);
      node.inode.synced = Buffer.from(node.inode.data);
    }
    this.state.live = names;
    this.state.durable = new Map(names);
    this.state.pending = [];
  }

  private survivingContent(inode: Inode): Buffer {
    const { data, synced } = inode;
    const appended = data.length > synced.length && data.subarray(0, synced.length).equals(synced);
    if (!appended || !this.random.chance(0.6)) return Buffer.from(synced);
    const extra = this.random.int(data.length - synced.length + 1);
    const kept = Buffer.from(data.subarray(0, synced.length + extra));
    if (extra > 0 && this.random.chance(0.25)) kept.fill(0, kept.length - 1 - this.random.int(extra));
    return kept;
  }
}
