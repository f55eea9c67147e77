import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeFileSystem } from '../../../../src/adapters/fs/file-system';
import { FsRegistryStore } from '../../../../src/adapters/fs/fs-registry-store';
import { SeededRandom } from '../../../../src/adapters/in-memory/seeded-random';
import type { RegistryRecord } from '../../../../src/application/ports/registry-store';
import { FaultyFileSystem } from '../../../support/faulty-file-system';
import { RecordingFileSystem } from '../../../support/recording-file-system';
import { PowerLossFileSystem, type CrashKind } from '../../../support/power-loss-file-system';

function record(name: string, version: number, overrides: Partial<RegistryRecord> = {}): RegistryRecord {
  return { name, ip: '127.0.0.1', port: 5000 + version, online: true, proof: `proof-${name}`, token: `token-${name}-${version}`, version, ...overrides };
}

function byName(records: readonly RegistryRecord[]): RegistryRecord[] {
  return [...records].sort((a, b) => a.name.localeCompare(b.name));
}

async function rejection(promise: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await promise;
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('expected a rejection');
}

describe('FsRegistryStore', () => {
  let dir: string;
  let stores: FsRegistryStore[];

  const open = async (fileSystem: FaultyFileSystem | NodeFileSystem = new NodeFileSystem(), compactSlackLines?: number): Promise<FsRegistryStore> => {
    const store = new FsRegistryStore(dir, fileSystem, { compactSlackLines });
    await store.open();
    stores.push(store);
    return store;
  };
  const closeAll = async (): Promise<void> => {
    for (const store of stores.splice(0)) await store.close();
  };
  const logLines = (): number => fs.readFileSync(path.join(dir, 'registry.log'), 'utf8').split('\n').length - 1;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-registry-'));
    stores = [];
  });

  afterEach(async () => {
    await closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('saves made while an append is under way go out together: 200 concurrent saves take a few appends, and every one is durable and read back', async () => {
    const recording = new RecordingFileSystem(new NodeFileSystem());
    const store = new FsRegistryStore(dir, recording);
    await store.open();
    stores.push(store);
    const before = recording.count('append registry.log');
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.save(record(`n${i}`, i + 1))));
    const appends = recording.count('append registry.log') - before;
    expect(appends).to.be.at.least(1);
    expect(appends).to.be.at.most(5);
    await closeAll();
    const reopened = await open();
    expect((await reopened.load()).map((r) => r.name).sort()).to.deep.equal(Array.from({ length: 200 }, (_, i) => `n${i}`).sort());
    expect(await reopened.highestVersion()).to.equal(200);
  });

  describe('a write that fails once does not fail the later ones', () => {
    for (const [what, op, partialBytes] of [
      ['a short write on a full disk', 'append', 20],
      ['an append that writes nothing', 'append', 0],
      ['an fsync', 'sync', 0],
    ] as const) {
      it(`after ${what}: the next saves succeed and are durable`, async () => {
        const faulty = new FaultyFileSystem(new NodeFileSystem());
        const store = await open(faulty);
        await store.save(record('alice', 1));
        faulty.fail(op, /^registry\.log$/, { times: 1, code: op === 'sync' ? 'EIO' : 'ENOSPC', partialBytes });
        const error = await rejection(store.save(record('bob', 2)));
        expect(error.code).to.equal(op === 'sync' ? 'EIO' : 'ENOSPC');
        expect(faulty.fired).to.have.length(1);
        await store.save(record('carol', 3));
        await store.reserveVersion(40);
        await store.save(record('alice', 4, { online: false }));
        await closeAll();
        const again = await open();
        // bob's save was refused, not forgotten: the server's table had it, and it is written with the rest.
        expect(byName(await again.load())).to.deep.equal([record('alice', 4, { online: false }), record('bob', 2), record('carol', 3)]);
        expect(await again.highestVersion()).to.equal(40);
        expect(again.tornTailsDropped).to.equal(0);
      });
    }

    it('keeps refusing while the disk stays full, and works again once space is back', async () => {
      const faulty = new FaultyFileSystem(new NodeFileSystem());
      const store = await open(faulty);
      await store.save(record('alice', 1));
      faulty.fail('append', /^registry\.log/, { partialBytes: 10 });
      expect((await rejection(store.save(record('bob', 2)))).code).to.equal('ENOSPC');
      expect((await rejection(store.save(record('carol', 3)))).code).to.equal('ENOSPC');
      faulty.heal();
      await store.save(record('dave', 4));
      await closeAll();
      const again = await open();
      expect((await again.load()).map((r) => r.name).sort()).to.deep.equal(['alice', 'bob', 'carol', 'dave']);
      expect(fs.readdirSync(dir).sort()).to.deep.equal(['chatapp.lock', 'registry.log']);
    });
  });

  describe('compaction while running', () => {
    it('rewrites the log in the background once it grows past twice the live rows plus the slack', async () => {
      const store = await open(new NodeFileSystem(), 10);
      for (let v = 1; v <= 200; v++) await store.save(record(`user${v % 3}`, v));
      expect(store.compactions).to.be.greaterThan(0);
      expect(logLines()).to.be.at.most(2 * 4 + 10 + 1);
      await store.save(record('user0', 201));
      expect(byName(await store.load())).to.deep.equal([record('user0', 201), record('user1', 199), record('user2', 200)]);
      await closeAll();
      const again = await open();
      expect(byName(await again.load())).to.deep.equal([record('user0', 201), record('user1', 199), record('user2', 200)]);
      expect(await again.highestVersion()).to.equal(201);
    });

    it('keeps concurrent saves made during a compaction', async () => {
      const store = await open(new NodeFileSystem(), 4);
      await Promise.all(Array.from({ length: 60 }, (_, i) => store.save(record(`user${i % 7}`, i + 1))));
      await closeAll();
      expect(store.compactions).to.be.greaterThan(0);
      const loaded = byName(await (await open()).load());
      expect(loaded.map((r) => [r.name, r.version])).to.deep.equal(
        Array.from({ length: 7 }, (_, k) => [`user${k}`, 60 - ((60 - 1 - k) % 7)]).sort(),
      );
    });
  });

  describe('simulated crash at every operation of a run that compacts', () => {
    const DIR = '/sim/data';

    /** Saves and reservations, one after another; returns what was acknowledged. */
    async function workload(fsys: PowerLossFileSystem): Promise<{ acked: Map<string, number>; reserved: number; compactions: number }> {
      const acked = new Map<string, number>();
      let reserved = 0;
      const store = new FsRegistryStore(DIR, fsys, { compactSlackLines: 3 });
      try {
        await store.open();
        for (let v = 1; v <= 24; v++) {
          if (v % 8 === 0) {
            await store.reserveVersion(v + 100);
            reserved = v + 100;
          }
          const name = `user${v % 3}`;
          await store.save(record(name, v));
          acked.set(name, v);
        }
        await store.close();
      } catch (e) {
        // Only the simulated crash may end the run: this process is gone. Release the in-process lock bookkeeping.
        if (!fsys.crashed) throw e;
        await store.close().catch(() => undefined);
      }
      return { acked, reserved, compactions: store.compactions };
    }

    for (const kind of ['power', 'process'] as CrashKind[]) {
      it(`never loses an acknowledged save or reservation (${kind} loss)`, async () => {
        const counting = new PowerLossFileSystem(new SeededRandom(7));
        const { compactions } = await workload(counting);
        const total = counting.opCount;
        expect(total).to.be.greaterThan(50);
        expect(compactions, 'compactions during the run').to.be.at.least(2);
        for (let crashAtOp = 1; crashAtOp <= total + 1; crashAtOp++) {
          const disk = new PowerLossFileSystem(new SeededRandom(crashAtOp), { crashAtOp, crashKind: kind });
          const { acked, reserved } = await workload(disk);
          disk.crash(kind);
          const after = disk.restart();
          const store = new FsRegistryStore(DIR, after, { compactSlackLines: 3 });
          await store.open();
          const loaded = new Map((await store.load()).map((r) => [r.name, r]));
          const highest = await store.highestVersion();
          for (const [name, version] of acked) {
            const got = loaded.get(name);
            expect(got, `crash at ${crashAtOp}: ${name}`).to.not.equal(undefined);
            // The last acknowledged save, or a later one whose acknowledgement the crash cut off.
            expect(got!.version, `crash at ${crashAtOp}: ${name}`).to.be.at.least(version);
            expect(got, `crash at ${crashAtOp}: ${name}`).to.deep.equal(record(name, got!.version));
          }
          const maxAcked = Math.max(0, reserved, ...acked.values());
          expect(highest, `crash at ${crashAtOp}: highest version`).to.be.at.least(maxAcked);
          await store.save(record('after', highest + 1));
          await store.close();
        }
      });
    }
  });
});
