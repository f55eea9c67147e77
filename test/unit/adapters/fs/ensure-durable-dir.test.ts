import { expect } from 'chai';
import nodeFs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { ensureDurableDir, ensureDurableDirSync, NodeFileSystem, type FileSystem } from '../../../../src/adapters/fs/file-system';

/** A file system whose mkdir reports `created` and whose syncDir fails for the directories in `failing`, recording what it synced and when each sync ended. */
function fakeFs(created: string | undefined, failing: readonly string[]): { fs: FileSystem; synced: string[]; ended: string[] } {
  const synced: string[] = [];
  const ended: string[] = [];
  const base = new NodeFileSystem();
  const fs: FileSystem = Object.assign(Object.create(base) as FileSystem, {
    mkdir: async () => created,
    syncDir: async (dir: string) => {
      synced.push(dir);
      // The deepest takes longest: a caller that did not wait for all of them would see it missing.
      await new Promise((resolve) => setTimeout(resolve, 10 - synced.length));
      ended.push(dir);
      if (failing.includes(dir)) throw Object.assign(new Error(`EIO ${dir}`), { code: 'EIO' });
    },
  });
  return { fs, synced, ended };
}

const TARGET = path.resolve('/a/b/c');

describe('adapters/fs: ensureDurableDir', () => {
  it('syncs the parent of the directory and of every ancestor, and resolves only once all have finished', async () => {
    const { fs, synced, ended } = fakeFs(undefined, []);
    await ensureDurableDir(fs, TARGET);
    expect(synced).to.deep.equal([path.resolve('/a/b'), path.resolve('/a'), path.resolve('/')]);
    expect(ended).to.have.members(synced);
  });

  it('fails when the parent of a directory it created cannot be synced; a parent of one that existed is best effort', async () => {
    const created = fakeFs(path.resolve('/a/b'), [path.resolve('/a')]);
    let error: unknown;
    await ensureDurableDir(created.fs, TARGET).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal(`EIO ${path.resolve('/a')}`);
    expect(created.ended, 'the others still ran to the end').to.have.length(3);
    const existed = fakeFs(path.resolve('/a/b'), [path.resolve('/')]);
    await ensureDurableDir(existed.fs, TARGET);
    expect(existed.ended).to.have.length(3);
  });

  it('reports the deepest required failure when several fail', async () => {
    const { fs } = fakeFs(path.resolve('/a'), [path.resolve('/a/b'), path.resolve('/')]);
    let error: unknown;
    await ensureDurableDir(fs, TARGET).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal(`EIO ${path.resolve('/a/b')}`);
  });
});

describe('adapters/fs: ensureDurableDirSync', () => {
  let dir: string;
  beforeEach(() => {
    dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-durable-sync-'));
  });
  afterEach(() => {
    sinon.restore();
    nodeFs.rmSync(dir, { recursive: true, force: true });
  });

  /** The directories fsynced while `fn` runs, by path. */
  function syncedDuring(fn: () => void): string[] {
    const opened = new Map<number, string>();
    const open = sinon.stub(nodeFs, 'openSync').callsFake(((file: string, ...rest: unknown[]) => {
      const fd = (open.wrappedMethod as (...a: unknown[]) => number)(file, ...rest);
      opened.set(fd, path.resolve(file));
      return fd;
    }) as typeof nodeFs.openSync);
    const synced: string[] = [];
    const fsync = sinon.stub(nodeFs, 'fsyncSync').callsFake((fd: number) => {
      synced.push(opened.get(fd) ?? String(fd));
      (fsync.wrappedMethod as (fd: number) => void)(fd);
    });
    try {
      fn();
    } finally {
      open.restore();
      fsync.restore();
    }
    return synced;
  }

  it('syncs an existing ancestor once per process, and the parent of every directory it makes each time', () => {
    nodeFs.mkdirSync(path.join(dir, 'client'));
    const first = syncedDuring(() => ensureDurableDirSync(path.join(dir, 'client', 'secrets')));
    // secrets was made: its parent must sync; client, dir and the rest existed and sync too (a killed predecessor's names).
    expect(first.slice(0, 2)).to.deep.equal([path.join(dir, 'client'), dir]);
    const second = syncedDuring(() => ensureDurableDirSync(path.join(dir, 'client', 'keys')));
    // keys was made: client syncs again; the ancestors above it were synced already by this process.
    expect(second).to.deep.equal([path.join(dir, 'client')]);
    const third = syncedDuring(() => ensureDurableDirSync(path.join(dir, 'client', 'keys')));
    expect(third).to.deep.equal([]);
  });
});
