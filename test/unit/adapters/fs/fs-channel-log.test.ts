import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeLine } from '../../../../src/adapters/fs/checksummed-lines';
import { FsChannelLog } from '../../../../src/adapters/fs/fs-channel-log';
import { NodeFileSystem } from '../../../../src/adapters/fs/file-system';
import { SeededRandom } from '../../../../src/adapters/in-memory/seeded-random';
import type { ChannelEntry } from '../../../../src/application/ports/channel-log';
import { StoreClosedError } from '../../../../src/application/ports/store-closed-error';
import { PowerLossFileSystem } from '../../../support/power-loss-file-system';
import { RecordingFileSystem } from '../../../support/recording-file-system';

const POWER_LOSS_RUNS = 300;
const LOG = 'channel.log';

function entry(id: string, recipients: string[] = ['bob', 'carol']): ChannelEntry {
  return { id, sender: 'Alice', text: `text of ${id}`, storedAtMs: 1_700_000_000_000, recipients };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('FsChannelLog', () => {
  let root: string;
  let dir: string;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-fs-channel-log-'));
    dir = path.join(root, 'server-5000');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('waits in close() for the calls under way, and refuses calls made after it began with StoreClosedError', async () => {
    const log = new FsChannelLog(dir);
    const inFlight = log.record(entry('ch1'));
    const closing = log.close();
    for (const late of [() => log.record(entry('ch2')), () => log.delivered('ch1', 'bob'), () => log.pending()]) {
      let error: unknown;
      await late().catch((e: unknown) => { error = e; });
      expect(error).to.be.instanceOf(StoreClosedError);
    }
    await inFlight;
    await closing;
    const again = new FsChannelLog(dir);
    expect((await again.pending()).map((p) => p.entry.id)).to.deep.equal(['ch1']);
    await again.close();
  });

  describe('fsync ordering (spy on the file-system port)', () => {
    let spy: RecordingFileSystem;
    let log: FsChannelLog;

    beforeEach(() => {
      spy = new RecordingFileSystem(new NodeFileSystem());
      log = new FsChannelLog(dir, spy);
    });
    afterEach(async () => {
      spy.releaseSyncs();
      await log.close();
    });

    it('resolves a record only after an fsync of the log that began after its line was written', async () => {
      await log.pending();
      spy.holdSyncs();
      let resolved = false;
      const recording = log.record(entry('c1')).then(() => {
        resolved = true;
        spy.note('resolved c1');
      });
      await waitFor(() => spy.count(`sync-start ${LOG}`) > 0 && spy.events.some((e) => e === `append ${LOG} c1`), 'the fsync to start');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(resolved, 'resolved while its fsync was held').to.equal(false);
      spy.releaseSyncs();
      await recording;
      const e = spy.events;
      const written = e.indexOf(`append ${LOG} c1`);
      const started = e.findIndex((x, i) => i > written && x === `sync-start ${LOG}`);
      const ended = e.findIndex((x, i) => i > started && x === `sync-end ${LOG}`);
      expect(started, e.join('\n')).to.be.greaterThan(written);
      expect(ended, e.join('\n')).to.be.greaterThan(started).and.lessThan(e.indexOf('resolved c1'));
    });

    it('lets concurrent records share an fsync, none resolving before the fsync that covers its line', async () => {
      await log.pending();
      const before = spy.count(`sync-start ${LOG}`);
      spy.holdSyncs();
      const resolved: string[] = [];
      const record = (id: string): Promise<void> => log.record(entry(id)).then(() => {
        resolved.push(id);
        spy.note(`resolved ${id}`);
      });
      const pending = [record('c1')];
      await waitFor(() => spy.count(`sync-start ${LOG}`) === before + 1, 'the first held fsync');
      for (let i = 2; i <= 9; i++) pending.push(record(`c${i}`));
      await waitFor(() => spy.count(`append ${LOG}`) === 9, 'all writes');
      expect(resolved, 'resolved while the fsyncs were held').to.deep.equal([]);
      spy.releaseSyncs();
      await Promise.all(pending);
      const e = spy.events;
      // c1's fsync was under way before c2..c9 were written: one more fsync covers them all.
      expect(spy.count(`sync-start ${LOG}`) - before, e.join('\n')).to.equal(2);
      for (let i = 1; i <= 9; i++) {
        const written = e.indexOf(`append ${LOG} c${i}`);
        const started = e.findIndex((x, j) => j > written && x === `sync-start ${LOG}`);
        const ended = e.findIndex((x, j) => j > started && x === `sync-end ${LOG}`);
        expect(started, `c${i}\n${e.join('\n')}`).to.be.greaterThan(written);
        expect(ended, `c${i}\n${e.join('\n')}`).to.be.greaterThan(started).and.lessThan(e.indexOf(`resolved c${i}`));
      }
    });

    it('does not fsync a delivery mark by itself; close makes it durable', async () => {
      await log.record(entry('c1'));
      const before = spy.count('sync-start');
      await log.delivered('c1', 'bob');
      expect(spy.count('sync-start')).to.equal(before);
      await log.close();
      expect(spy.count(`sync-start ${LOG}`)).to.be.greaterThan(before);
      const reopened = new FsChannelLog(dir);
      expect((await reopened.pending()).map((p) => p.recipients)).to.deep.equal([['carol']]);
      await reopened.close();
    });

    it('compacts on open through a synced temp file renamed over the log, then a directory fsync', async () => {
      await log.pending();
      const e = spy.events;
      const tempSynced = e.indexOf(`sync-end ${LOG}.tmp`);
      const renamed = e.indexOf(`rename ${LOG}.tmp ${LOG}`);
      const dirSynced = e.findIndex((x, i) => i > renamed && x === 'syncDir server-5000');
      expect(tempSynced, e.join('\n')).to.be.greaterThan(-1);
      expect(renamed).to.be.greaterThan(tempSynced);
      expect(dirSynced).to.be.greaterThan(renamed);
    });
  });

  it('drops a torn last line (counted), keeps what came before, and appends soundly after it', async () => {
    const first = new FsChannelLog(dir);
    await first.record(entry('c1'));
    await first.record(entry('c2'));
    await first.close();
    const torn = encodeLine({ t: 'send', id: 'c3', sender: 'Alice', text: 'never acked', at: 1, to: ['bob'] });
    fs.appendFileSync(path.join(dir, LOG), torn.subarray(0, torn.length - 7));
    const second = new FsChannelLog(dir);
    expect((await second.pending()).map((p) => p.entry.id)).to.deep.equal(['c1', 'c2']);
    expect(second.tornTailsDropped).to.equal(1);
    await second.record(entry('c4'));
    await second.close();
    const third = new FsChannelLog(dir);
    expect((await third.pending()).map((p) => p.entry.id)).to.deep.equal(['c1', 'c2', 'c4']);
    expect(third.tornTailsDropped).to.equal(0);
    await third.close();
  });

  it('ignores a temp file left by a compaction a crash cut short: the log beside it is the truth', async () => {
    const first = new FsChannelLog(dir);
    await first.record(entry('c1'));
    await first.close();
    fs.writeFileSync(path.join(dir, `${LOG}.tmp`), encodeLine({ t: 'send', id: 'ghost', sender: 'x', text: 'x', at: 1, to: ['bob'] }).subarray(0, 20));
    const second = new FsChannelLog(dir);
    expect((await second.pending()).map((p) => p.entry.id)).to.deep.equal(['c1']);
    await second.close();
    expect(fs.readdirSync(dir).sort()).to.deep.equal([LOG]);
  });

  it('compacts a long log at run time down to what is still owed', async function () {
    this.timeout(20_000);
    const log = new FsChannelLog(dir);
    await log.record(entry('keep', ['zoe']));
    const ids = Array.from({ length: 1100 }, (_, i) => `c${i}`);
    await Promise.all(ids.map((id) => log.record(entry(id, ['bob']))));
    for (const id of ids) await log.delivered(id, 'bob');
    const lines = fs.readFileSync(path.join(dir, LOG), 'utf8').split('\n').filter((l) => l !== '');
    expect(lines.length, 'lines after compaction').to.be.lessThan(300);
    expect((await log.pending()).map((p) => p.entry.id)).to.deep.equal(['keep']);
    await log.close();
    const reopened = new FsChannelLog(dir);
    expect((await reopened.pending()).map((p) => [p.entry.id, p.recipients])).to.deep.equal([['keep', ['zoe']]]);
    await reopened.close();
  });

  describe(`simulated power loss at a random operation (${POWER_LOSS_RUNS} seeds)`, () => {
    const SIM_DIR = '/sim/data/server-5000';
    const RECIPIENTS = ['bob', 'carol', 'dave'];

    /** A seeded workload: records (some concurrent, some retried) and delivery marks. */
    interface Seen {
      /** Every recipient any record of the id named, with the first record's fields. */
      recorded: Map<string, ChannelEntry>;
      /** `id|recipient` of the records that resolved. */
      acked: Set<string>;
      deliveryCalled: Set<string>;
    }

    /** A seeded workload: records (some concurrent, some retried with other members) and delivery marks. */
    async function workload(log: FsChannelLog, random: SeededRandom, seen: Seen): Promise<void> {
      const ids: string[] = [];
      for (let step = 0; step < 12; step++) {
        const batch: Array<Promise<unknown>> = [];
        for (let k = 0, n = 1 + random.int(3); k < n; k++) {
          if (ids.length > 0 && random.chance(0.4)) {
            const id = ids[random.int(ids.length)]!;
            const to = seen.recorded.get(id)!.recipients[random.int(seen.recorded.get(id)!.recipients.length)]!;
            seen.deliveryCalled.add(`${id}|${to}`);
            batch.push(log.delivered(id, to));
            continue;
          }
          const retry = ids.length > 0 && random.chance(0.2);
          const id = retry ? ids[random.int(ids.length)]! : `c${step}-${k}`;
          // A retry may name other members (the table changed before the retried send_all).
          const e = entry(id, RECIPIENTS.filter(() => random.chance(0.7)));
          const first = seen.recorded.get(id);
          if (!first) ids.push(id);
          seen.recorded.set(id, { ...(first ?? e), recipients: [...new Set([...(first?.recipients ?? []), ...e.recipients])] });
          batch.push(log.record(e).then(() => { for (const r of e.recipients) seen.acked.add(`${id}|${r}`); }));
        }
        await Promise.allSettled(batch);
      }
    }

    it('never loses a recorded message still owed to anyone, and never invents one', async function () {
      this.timeout(60_000);
      let crashesMidRun = 0;
      for (let seed = 1; seed <= POWER_LOSS_RUNS; seed++) {
        const dry = new PowerLossFileSystem(new SeededRandom(seed));
        await workload(new FsChannelLog(SIM_DIR, dry), new SeededRandom(seed * 7), { recorded: new Map(), acked: new Set(), deliveryCalled: new Set() });
        const crashAtOp = 1 + new SeededRandom(seed * 13).int(dry.opCount + 2);
        const disk = new PowerLossFileSystem(new SeededRandom(seed), { crashAtOp, crashKind: 'power' });
        const seen: Seen = { recorded: new Map(), acked: new Set(), deliveryCalled: new Set() };
        const log = new FsChannelLog(SIM_DIR, disk);
        await workload(log, new SeededRandom(seed * 7), seen).catch(() => undefined);
        if (disk.crashed) crashesMidRun++;
        else disk.crash('power');
        const restarted = disk.restart();
        const reopened = new FsChannelLog(SIM_DIR, restarted);
        const context = `seed ${seed}, crash at operation ${crashAtOp}`;
        const pending = await reopened.pending();
        const byId = new Map(pending.map((p) => [p.entry.id, p]));
        expect(byId.size, `${context}: an id listed twice`).to.equal(pending.length);
        for (const acked of seen.acked) {
          if (seen.deliveryCalled.has(acked)) continue;
          const [id, to] = acked.split('|') as [string, string];
          expect(byId.get(id)?.recipients ?? [], `${context}: ${id} lost for ${to}`).to.include(to);
        }
        for (const p of pending) {
          const e = seen.recorded.get(p.entry.id);
          expect(e, `${context}: unexpected ${p.entry.id}`).to.not.equal(undefined);
          const { recipients, ...fields } = p.entry;
          const { recipients: all, ...expected } = e!;
          expect(fields, context).to.deep.equal(expected);
          expect(new Set(recipients).size, `${context}: a member listed twice`).to.equal(recipients.length);
          for (const to of [...recipients, ...p.recipients]) expect(all, context).to.include(to);
          for (const to of p.recipients) expect(recipients, context).to.include(to);
        }
        await reopened.close();
        // The recovered log is sound: a second reopen sees the same.
        const again = new FsChannelLog(SIM_DIR, restarted);
        expect(await again.pending(), context).to.deep.equal(pending);
        await again.close();
      }
      expect(crashesMidRun, 'runs where the crash interrupted the workload').to.be.greaterThan(POWER_LOSS_RUNS / 2);
    });
  });
});
