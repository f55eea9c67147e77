import path from 'node:path';
import type { FileHandle, FileSystem, OpenMode } from '../../src/adapters/fs/file-system';

/** The operations a fault can be injected into. */
export type FaultyOp = 'open' | 'append' | 'truncate' | 'sync' | 'rename' | 'unlink' | 'syncDir';

interface Fault {
  readonly op: FaultyOp;
  /** Matches the base name of the file (or directory) operated on. */
  readonly file: RegExp;
  /** How many more times it fires; Infinity until cleared. */
  times: number;
  readonly code: string;
  /** For `append`: bytes written before the failure (a short write on a full disk). */
  readonly partialBytes: number;
}

/**
 * A file-system port that passes everything to `inner` except the operations a test told it
 * to fail (a full disk: ENOSPC, an I/O error: EIO), so a store's failure paths can be driven.
 */
export class FaultyFileSystem implements FileSystem {
  private faults: Fault[] = [];
  /** Every fault that fired, as `<op> <base name> <code>`. */
  readonly fired: string[] = [];

  constructor(private readonly inner: FileSystem) {}

  /** Make `op` on files whose base name matches `file` fail `times` times (default: until `heal`). */
  fail(op: FaultyOp, file: RegExp, options: { times?: number; code?: string; partialBytes?: number } = {}): void {
    this.faults.push({ op, file, times: options.times ?? Infinity, code: options.code ?? 'ENOSPC', partialBytes: options.partialBytes ?? 0 });
  }

  /** Space is back: no more injected failures. */
  heal(): void {
    this.faults = [];
  }

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
    this.check('open', file);
    const handle = await this.inner.open(file, mode, permissions);
    return {
      append: async (data) => {
        const fault = this.take('append', file);
        if (fault) {
          if (fault.partialBytes > 0) await handle.append(data.subarray(0, Math.min(fault.partialBytes, data.length)));
          throw this.error(fault, file);
        }
        await handle.append(data);
      },
      truncate: async (length) => {
        this.check('truncate', file);
        await handle.truncate(length);
      },
      sync: async () => {
        this.check('sync', file);
        await handle.sync();
      },
      close: () => handle.close(),
    };
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', to);
    await this.inner.rename(from, to);
  }

  link(existing: string, newName: string): Promise<void> {
    return this.inner.link(existing, newName);
  }

  async unlink(file: string): Promise<boolean> {
    this.check('unlink', file);
    return this.inner.unlink(file);
  }

  async syncDir(dir: string): Promise<void> {
    this.check('syncDir', dir);
    await this.inner.syncDir(dir);
  }

  private check(op: FaultyOp, file: string): void {
    const fault = this.take(op, file);
    if (fault) throw this.error(fault, file);
  }

  private take(op: FaultyOp, file: string): Fault | undefined {
    const fault = this.faults.find((f) => f.op === op && f.times > 0 && f.file.test(path.basename(file)));
    if (!fault) return undefined;
    fault.times--;
    this.fired.push(`${op} ${path.basename(file)} ${fault.code}`);
    return fault;
  }

  private error(fault: Fault, file: string): NodeJS.ErrnoException {
    return Object.assign(new Error(`${fault.code}: injected failure, ${fault.op} ${file}`), { code: fault.code });
  }
}
