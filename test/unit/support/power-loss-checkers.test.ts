import { expect } from 'chai';
import { crc32 } from 'node:zlib';
import { FsMailboxStore } from '../../../src/adapters/fs/fs-mailbox-store';
import { SeededRandom } from '../../../src/adapters/in-memory/seeded-random';
import { PowerLossFileSystem, SimulatedCrashError } from '../../support/power-loss-file-system';
import { readDiskRecords } from '../../support/disk-records';
import { newTally, runPowerLossScenario, settle, type PowerLossOutcome, type PowerLossScenario } from '../../support/power-loss-property';
import { runStoreScenario, type OtherStore, type StoreScenario } from '../../support/power-loss-stores';

/**
 * Negative controls of the power-loss property (test/support/power-loss-property.ts and
 * power-loss-stores.ts): a record written twice on disk after the crash must be counted as
 * duplicated, although the stores' loaders hide it, and runs without damage must count nothing.
 */
describe('power-loss checkers (negative controls)', () => {
  /** Append a second copy of every good record of every store log under /sim, as a faulty writer might. */
  async function duplicateEveryRecord(disk: PowerLossFileSystem): Promise<void> {
    let copied = 0;
    for (const [file, data] of disk.files('/sim')) {
      if (!file.endsWith('.log')) continue;
      const lines: Buffer[] = [];
      for (let start = 0, end = data.indexOf(0x0a); end >= 0; start = end + 1, end = data.indexOf(0x0a, start)) {
        const line = data.subarray(start, end + 1);
        if (readDiskRecords(line).records.length === 1) lines.push(line);
      }
      if (lines.length === 0) continue;
      // A torn tail would glue the copy to it: append after the good records only.
      const handle = await disk.open(file, 'truncate');
      await handle.append(Buffer.concat([...lines, ...lines]));
      await handle.sync();
      await handle.close();
      copied += lines.length;
    }
    if (copied === 0) throw new Error('the control found no record to duplicate');
  }

  const figures = (o: PowerLossOutcome): Record<string, number> => ({ lost: o.lost, duplicated: o.duplicated, unexpected: o.unexpected, errors: o.errors });
  const clean = { lost: 0, duplicated: 0, unexpected: 0, errors: 0 };

  describe('mailbox', () => {
    const scenario: PowerLossScenario = {
      fsSeed: 7,
      batches: [
        [{ kind: 'append', recipient: 0, retry: null, text: 'one', channel: false }, { kind: 'append', recipient: 1, retry: null, text: 'two', channel: true }],
        [{ kind: 'append', recipient: 0, retry: null, text: 'three', channel: false }],
      ],
      crashFraction: 0.9999,
      crashKind: 'process',
      freshAfter: [false, false, false],
      deliverAfter: false,
    };

    it('counts nothing when nothing is wrong', async () => {
      const o = await runPowerLossScenario(scenario);
      expect(figures(o), o.problems.join('\n')).to.deep.equal(clean);
      expect(o.acked).to.equal(3);
    });

    it('counts a record written twice on disk, which the mailbox loader hides', async () => {
      let bobListed: string[] = [];
      const o = await runPowerLossScenario(scenario, {
        afterCrash: async (disk) => {
          await duplicateEveryRecord(disk);
          // What the old checker saw: the loader keeps the first copy of an id (and rewrites
          // bob's file clean, so only alice's two doubled records are left for the audit).
          bobListed = (await new FsMailboxStore('/sim/data', undefined, disk).list('bob')).map((m) => m.id);
        },
      });
      expect(bobListed).to.deep.equal(['m1']);
      expect(o.duplicated, o.problems.join('\n')).to.equal(2);
      expect(o.problems.join('\n')).to.include('alice/m0 written 2 times');
      expect(o.lost + o.unexpected + o.errors, o.problems.join('\n')).to.equal(0);
    });
  });

  const SCENARIOS: StoreScenario[] = [];
  for (const crashFraction of [0.3, 0.6, 0.9999]) {
    for (const crashKind of ['power', 'process'] as const) {
      for (const seed of [1, 2]) SCENARIOS.push({ fsSeed: seed * 101, workSeed: seed, crashFraction, crashKind });
    }
  }

  for (const store of ['channel-log', 'registry', 'seen'] as OtherStore[]) {
    describe(store, () => {
      it(`counts nothing when nothing is wrong (${SCENARIOS.length} fixed scenarios)`, async () => {
        for (const scenario of SCENARIOS) {
          const o = await runStoreScenario(store, scenario);
          const context = `${JSON.stringify(scenario)}\n${o.problems.join('\n')}`;
          expect(figures(o), context).to.deep.equal(clean);
          expect(o.acked, context).to.be.greaterThan(0);
        }
      });

      it('counts records written twice on disk', async () => {
        const scenario: StoreScenario = { fsSeed: 5, workSeed: 3, crashFraction: 0.9999, crashKind: 'process' };
        const o = await runStoreScenario(store, scenario, { afterCrash: duplicateEveryRecord });
        expect(o.duplicated, o.problems.join('\n')).to.be.greaterThan(0);
        expect(o.problems.join('\n')).to.match(/on disk/);
      });
    });
  }

  it('ignores only the errors the simulated crash caused; any other error is counted', async () => {
    const disk = new PowerLossFileSystem(new SeededRandom(1), { crashAtOp: 2 });
    await disk.mkdir('/sim');
    const cut = disk.readdir('/sim');
    const after = disk.readdir('/sim');
    const tally = newTally();
    await settle([cut, after, Promise.reject(new Error('a store bug')), Promise.reject(new TypeError('x is undefined'))], disk, tally, 'control');
    expect(disk.crashed).to.equal(true);
    expect(tally.errors).to.equal(2);
    expect(tally.problems.join('\n')).to.include('a store bug').and.to.include('x is undefined');
    // Before the crash, even the crash's kind of error is not excused.
    const healthy = new PowerLossFileSystem(new SeededRandom(1));
    const early = newTally();
    await settle([Promise.reject(new SimulatedCrashError('not after a crash'))], healthy, early, 'control');
    expect(early.errors).to.equal(1);
  });

  it('reads every good record of a file, repeats included, and skips torn or damaged lines', () => {
    const line = (body: unknown): string => {
      const json = Buffer.from(JSON.stringify(body));
      return `${crc32(json).toString(16).padStart(8, '0')} ${json.toString()}\n`;
    };
    const data = Buffer.from(line({ k: 'a' }) + line({ k: 'a' }) + '00000000 {"k":"bad"}\n' + line({ k: 'b' }) + line({ k: 'c' }).slice(0, 12));
    expect(readDiskRecords(data)).to.deep.equal({ records: [{ k: 'a' }, { k: 'a' }, { k: 'b' }], badLines: 2 });
  });
});
