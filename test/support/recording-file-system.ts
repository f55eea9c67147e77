import path from 'node:path';
import type { FileHandle, FileSystem, OpenMode } from '../../src/adapters/fs/file-system';

/**
 * A spy on the file-system port: records every operation, in order, as a short line
 * (`append <file> m1,m2`, `sync-start <file>`, `sync-end <file>`, `syncDir <dir>`, …, with base
 * names only), and can hold fsyncs until released so a test can see who waits for which.
 */
export class RecordingFileSystem implements FileSystem {
  readonly events: string[] = [];
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;

  constructor(private readonly inner: FileSystem) {}

  /** Let the test add its own events (such as `resolved m1`) to the same timeline. */
  note(event: string): void {
    this.events.push(event);
  }

  holdSyncs(): void {
    this.held ??= new Promise<void>((resolve) => { this.release = resolve; });
  }

  releaseSyncs(): void {
    this.release?.();
    this.held = undefined;
    this.release = undefined;
  }

  count(prefix: string): number {
    return this.events.filter((e) => e.startsWith(prefix)).length;
  }

  async mkdir(dir: string, mode?: number): Promise<string | undefined> {
    this.note(`mkdir ${path.basename(dir)}`);
    return this.inner.mkdir(dir, mode);
  }

  readdir(dir: string): Promise<string[]> {
    this.note(`readdir ${path.basename(dir)}`);
    return this.inner.readdir(dir);
  }

  readFile(file: string): Promise<Buffer | undefined> {
    this.note(`readFile ${path.basename(file)}`);
    return this.inner.readFile(file);
  }

  async open(file: string, mode: OpenMode, permissions?: number): Promise<FileHandle> {
    const name = path.basename(file);
    const handle = await this.inner.open(file, mode, permissions);
    this.note(`open ${mode} ${name}`);
    return {
      append: async (data) => {
        await handle.append(data);
        const ids = [...Buffer.from(data).toString('utf8').matchAll(/"id":"([^"]*)"/g)].map((m) => m[1]).join(',');
        this.note(`append ${name} ${ids}`);
      },
      truncate: async (length) => {
        await handle.truncate(length);
        this.note(`truncate ${name} ${length}`);
      },
      sync: async () => {
        this.note(`sync-start ${name}`);
        await this.held;
        await handle.sync();
        this.note(`sync-end ${name}`);
      },
      close: async () => {
        await handle.close();
        this.note(`close ${name}`);
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    await this.inner.rename(from, to);
    this.note(`rename ${path.basename(from)} ${path.basename(to)}`);
  }

  async link(existing: string, newName: string): Promise<void> {
    await this.inner.link(existing, newName);
    this.note(`link ${path.basename(existing)} ${path.basename(newName)}`);
  }

  async unlink(file: string): Promise<boolean> {
    const removed = await this.inner.unlink(file);
    this.note(`unlink ${path.basename(file)}`);
    return removed;
  }

  async syncDir(dir: string): Promise<void> {
    await this.inner.syncDir(dir);
    this.note(`syncDir ${path.basename(dir)}`);
  }
}
