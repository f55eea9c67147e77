import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsRegistryStore } from '../../src/adapters/fs/fs-registry-store';
import { InMemoryRegistryStore } from '../../src/adapters/in-memory/in-memory-registry-store';
import type { RegistryRecord, RegistryStore } from '../../src/application/ports/registry-store';
import { StoreClosedError } from '../../src/application/ports/store-closed-error';

/** Where a registry lives: each `open` is another server's store on the same location. */
interface RegistryLocation {
  store(): RegistryStore;
  remove(): void;
}

function record(name: string, overrides: Partial<RegistryRecord> = {}): RegistryRecord {
  return { name, ip: '127.0.0.1', port: 5000, online: true, proof: `proof-${name}`, token: `token-${name}`, version: 1, ...overrides };
}

function byName(records: readonly RegistryRecord[]): RegistryRecord[] {
  return [...records].sort((a, b) => a.name.localeCompare(b.name));
}

function registryStoreContract(adapter: string, newLocation: () => RegistryLocation): void {
  describe(`RegistryStore contract: ${adapter}`, () => {
    let location: RegistryLocation;
    let opened: RegistryStore[];

    const openStore = async (): Promise<RegistryStore> => {
      const store = location.store();
      await store.open();
      opened.push(store);
      return store;
    };

    const closeAll = async (): Promise<void> => {
      for (const store of opened.splice(0)) await store.close();
    };

    beforeEach(() => {
      location = newLocation();
      opened = [];
    });

    afterEach(async () => {
      await closeAll();
      location.remove();
    });

    it('loads nothing from a new location', async () => {
      expect(await (await openStore()).load()).to.deep.equal([]);
    });

    it('loads every saved record, the last save per name winning (names compared case-insensitively)', async () => {
      const store = await openStore();
      await store.save(record('Alice', { port: 1, version: 1 }));
      await store.save(record('bob', { version: 2 }));
      await store.save(record('alice', { port: 2, online: false, version: 3 }));
      expect(byName(await store.load())).to.deep.equal([record('alice', { port: 2, online: false, version: 3 }), record('bob', { version: 2 })]);
    });

    it('keeps the last of many concurrent saves of one name', async () => {
      const store = await openStore();
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(record('carol', { version: i }))));
      expect(await store.load()).to.deep.equal([record('carol', { version: 19 })]);
    });

    it('knows every record after close and a new open on the same location', async () => {
      const first = await openStore();
      await first.save(record('alice', { version: 1 }));
      await first.save(record('bob', { version: 2 }));
      await first.save(record('alice', { online: false, version: 3 }));
      await closeAll();
      const second = await openStore();
      expect(byName(await second.load())).to.deep.equal([record('alice', { online: false, version: 3 }), record('bob', { version: 2 })]);
      await second.save(record('dave', { version: 4 }));
      await closeAll();
      expect(await (await openStore()).load()).to.have.length(3);
    });

    it('reports the highest version saved, also after a new open', async () => {
      const store = await openStore();
      expect(await store.highestVersion()).to.equal(0);
      await store.save(record('alice', { version: 3 }));
      await store.save(record('bob', { version: 7 }));
      expect(await store.highestVersion()).to.equal(7);
      await closeAll();
      expect(await (await openStore()).highestVersion()).to.equal(7);
    });

    it('never reports a lower version after the row that carried the highest is rewritten', async () => {
      const store = await openStore();
      await store.save(record('alice', { version: 10 }));
      await store.save(record('alice', { version: 2, online: false }));
      await closeAll();
      const again = await openStore();
      expect(await again.load()).to.deep.equal([record('alice', { version: 2, online: false })]);
      expect(await again.highestVersion()).to.equal(10);
      await closeAll();
      expect(await (await openStore()).highestVersion()).to.equal(10);
    });

    it('keeps a reserved version across a new open, and ignores a reservation below it', async () => {
      const store = await openStore();
      await store.save(record('alice', { version: 4 }));
      await store.reserveVersion(64);
      await store.reserveVersion(20);
      expect(await store.highestVersion()).to.equal(64);
      await closeAll();
      const again = await openStore();
      expect(await again.highestVersion()).to.equal(64);
      expect(await again.load()).to.deep.equal([record('alice', { version: 4 })]);
      await again.reserveVersion(64);
      await again.save(record('bob', { version: 65 }));
      await closeAll();
      expect(await (await openStore()).highestVersion()).to.equal(65);
    });

    it('rejects calls made after close began with StoreClosedError, and close waits for the calls under way', async () => {
      const store = await openStore();
      const inFlight = store.save(record('alice', { version: 1 }));
      const closing = store.close();
      opened = opened.filter((s) => s !== store);
      for (const late of [() => store.save(record('bob', { version: 2 })), () => store.reserveVersion(9), () => store.load()]) {
        let error: unknown;
        await late().catch((e: unknown) => { error = e; });
        expect(error).to.be.instanceOf(StoreClosedError);
      }
      await inFlight;
      await closing;
      expect(await (await openStore()).load()).to.deep.equal([record('alice', { version: 1 })]);
    });

    it('refuses a second open while the first is open, and allows it after close', async () => {
      await openStore();
      const second = location.store();
      let refused: unknown;
      await second.open().catch((e: unknown) => { refused = e; });
      expect(refused).to.be.instanceOf(Error);
      await closeAll();
      await second.open();
      opened.push(second);
    });
  });
}

registryStoreContract('InMemoryRegistryStore', () => {
  // One instance is the location: a restarted in-memory server reuses it.
  const store = new InMemoryRegistryStore();
  return { store: () => store, remove: () => undefined };
});

function newDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-registry-contract-'));
}

registryStoreContract('FsRegistryStore', () => {
  const dir = newDataDir();
  return { store: () => new FsRegistryStore(dir), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
});

/** A pid with no process: 999999 unless that happens to be alive here. */
function deadPid(): number {
  for (let pid = 999_999; ; pid++) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}

describe('FsRegistryStore: one server per data directory', () => {
  let dir: string;
  let stores: FsRegistryStore[];
  let child: ChildProcess | undefined;

  beforeEach(() => {
    dir = newDataDir();
    stores = [];
  });

  afterEach(async () => {
    for (const s of stores) await s.close();
    child?.kill('SIGKILL');
    child = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const lockFile = (): string => path.join(dir, 'chatapp.lock');

  async function refusal(store: FsRegistryStore): Promise<NodeJS.ErrnoException> {
    try {
      await store.open();
    } catch (e) {
      return e as NodeJS.ErrnoException;
    }
    stores.push(store);
    throw new Error('open() should have been refused');
  }

  it('refuses a second instance on the same directory with ELOCKED and leaves the files alone', async () => {
    const first = new FsRegistryStore(dir);
    await first.open();
    stores.push(first);
    await first.save(record('alice'));
    const before = fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]);
    const error = await refusal(new FsRegistryStore(dir));
    expect(error.code).to.equal('ELOCKED');
    expect(error.message).to.equal(`another ChatApp server (pid ${process.pid}) is using ${dir}`);
    expect(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')])).to.deep.equal(before);
  });

  it('refuses when a live process of another pid holds the lock', async () => {
    child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const pid = child.pid!;
    fs.writeFileSync(lockFile(), `${pid}\n`);
    const error = await refusal(new FsRegistryStore(dir));
    expect(error.code).to.equal('ELOCKED');
    expect(error.message).to.equal(`another ChatApp server (pid ${pid}) is using ${dir}`);
    expect(fs.readFileSync(lockFile(), 'utf8')).to.equal(`${pid}\n`);
  });

  it('takes over a stale lock whose pid is dead, and removes its lock on close', async () => {
    fs.writeFileSync(lockFile(), `${deadPid()}\n`);
    const store = new FsRegistryStore(dir);
    await store.open();
    expect(fs.readFileSync(lockFile(), 'utf8')).to.equal(`${process.pid}\n`);
    await store.close();
    expect(fs.existsSync(lockFile())).to.equal(false);
  });

  it('drops a torn last record and keeps the ones before it', async () => {
    const first = new FsRegistryStore(dir);
    await first.open();
    await first.save(record('alice', { version: 1 }));
    await first.save(record('bob', { version: 2 }));
    await first.close();
    fs.appendFileSync(path.join(dir, 'registry.log'), '0badc0de {"name":"carol","ip":"127.0');
    const second = new FsRegistryStore(dir);
    await second.open();
    stores.push(second);
    expect(second.tornTailsDropped).to.equal(1);
    expect(byName(await second.load())).to.deep.equal([record('alice', { version: 1 }), record('bob', { version: 2 })]);
    await second.save(record('carol', { version: 3 }));
    await second.close();
    stores = [];
    const third = new FsRegistryStore(dir);
    await third.open();
    stores.push(third);
    expect(third.tornTailsDropped).to.equal(0);
    expect(await third.load()).to.have.length(3);
  });
});
