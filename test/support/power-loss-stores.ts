import { createHash } from 'node:crypto';
import fc from 'fast-check';
import path from 'node:path';
import { FsChannelLog } from '../../src/adapters/fs/fs-channel-log';
import { FsRegistryStore } from '../../src/adapters/fs/fs-registry-store';
import { FsSeenStore } from '../../src/adapters/fs/fs-seen-store';
import { SeededRandom } from '../../src/adapters/in-memory/seeded-random';
import type { ChannelEntry } from '../../src/application/ports/channel-log';
import type { RegistryRecord } from '../../src/application/ports/registry-store';
import { countBy } from './disk-records';
import { isSimulatedCrash, PowerLossFileSystem, type CrashKind } from './power-loss-file-system';
import { diskRecords, mustSucceed, newTally, settle, type PowerLossHooks, type PowerLossOutcome, type Tally } from './power-loss-property';

/**
 * The power-loss property for the channel log, the registry and the seen store (the mailbox is
 * in `power-loss-property.ts`). A seeded workload per store runs over a simulated disk that
 * crashes at a drawn operation; the files are then read record by record (never through the
 * store's loader) and the reopened store is asked what it holds, and both are compared with what
 * the store acknowledged. Then the workload writes again on the recovered store, power is lost
 * once more, and the same comparison runs again.
 */

export type OtherStore = 'channel-log' | 'registry' | 'seen';

export interface StoreScenario {
  readonly fsSeed: number;
  readonly workSeed: number;
  /** Where in the run's operations the crash falls; ≥ the last one means "after the run". */
  readonly crashFraction: number;
  readonly crashKind: CrashKind;
}

export const storeScenario: fc.Arbitrary<StoreScenario> = fc.record({
  fsSeed: fc.nat(),
  workSeed: fc.nat(),
  crashFraction: fc.integer({ min: 0, max: 9999 }).map((n) => n / 10_000),
  crashKind: fc.constantFrom<CrashKind>('power', 'power', 'process'),
});

const STEPS = 10;

interface Workload {
  /** Run the workload's operations on a store over `disk` (crashing or not). */
  run(disk: PowerLossFileSystem, tally: Tally): Promise<void>;
  /** After the crash: read the disk, reopen, audit, write again, lose power, audit again. */
  recover(disk: PowerLossFileSystem, tally: Tally): Promise<{ acked: number; tornTailsDropped: number }>;
  /** Release what `run` left open (the count run's store). */
  dispose(): Promise<void>;
}

type WorkloadFactory = (random: SeededRandom, dir: string) => Workload;

let runCounter = 0;

export async function runStoreScenario(store: OtherStore, scenario: StoreScenario, hooks: PowerLossHooks = {}): Promise<PowerLossOutcome> {
  const factory = WORKLOADS[store];
  // A directory per run: the registry's pid lock remembers, per process, the directories it holds.
  const dir = `/sim/${store}-${++runCounter}`;
  const dry = new PowerLossFileSystem(new SeededRandom(scenario.fsSeed));
  const counting = factory(new SeededRandom(scenario.workSeed), `${dir}-count`);
  await settle([counting.run(dry, newTally())], dry, newTally(), store);
  await counting.dispose();
  const crashAtOp = 1 + Math.floor(scenario.crashFraction * (dry.opCount + 1));

  const disk = new PowerLossFileSystem(new SeededRandom(scenario.fsSeed), { crashAtOp, crashKind: scenario.crashKind });
  const tally = newTally();
  const workload = factory(new SeededRandom(scenario.workSeed), dir);
  await settle([workload.run(disk, tally)], disk, tally, `${store} workload`);
  const crashedMidRun = disk.crashed;
  disk.crash(scenario.crashKind);
  const restarted = disk.restart();
  await hooks.afterCrash?.(restarted);
  let figures = { acked: 0, tornTailsDropped: 0 };
  await mustSucceed(tally, `${store} after the crash`, async () => {
    figures = await workload.recover(restarted, tally);
  });
  return { store, crashedMidRun, ...figures, ...tally, problems: tally.problems };
}

function problem(tally: Tally, kind: 'lost' | 'duplicated' | 'unexpected', n: number, text: string): void {
  tally[kind] += n;
  tally.problems.push(text);
}

/** Close a store whose process the crash ended; only the crash's own error may come out. */
async function closeCrashed(close: () => Promise<void>, tally: Tally, what: string): Promise<void> {
  try {
    await close();
  } catch (e) {
    if (isSimulatedCrash(e)) return;
    tally.errors++;
    tally.problems.push(`${what}: closing after the crash: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Channel log

const MEMBERS = ['bob', 'carol', 'dave'];

interface ChannelLedger {
  /** Per id: the fields every record of it carries, and every member any record of it named. */
  readonly recorded: Map<string, { entry: ChannelEntry; members: Set<string> }>;
  /** `id|member` pairs of records that resolved. */
  readonly acked: Set<string>;
  /** `id|member` pairs marked delivered (issued; the mark may be lost in a crash, which is allowed). */
  readonly delivered: Set<string>;
}

const pair = (id: string, member: string): string => `${id}|${member}`;

function channelWorkload(random: SeededRandom, dir: string): Workload {
  const ledger: ChannelLedger = { recorded: new Map(), acked: new Set(), delivered: new Set() };
  let log: FsChannelLog | undefined;

  const record = (target: FsChannelLog, id: string, members: string[]): Promise<void> => {
    const known = ledger.recorded.get(id);
    const entry: ChannelEntry = known
      ? { ...known.entry, recipients: members }
      : { id, sender: `s${id.length % 3}`, text: `text of ${id} ✓`, storedAtMs: 1_700_000_000_000 + ledger.recorded.size, recipients: members };
    const kept = known ?? { entry, members: new Set<string>() };
    for (const m of members) kept.members.add(m);
    ledger.recorded.set(id, kept);
    return target.record(entry).then(() => { for (const m of members) ledger.acked.add(pair(id, m)); });
  };

  /** What the disk says is owed: every `send` line names members, `owed` (if present) those still owed; `done` settles one. */
  const owedOnDisk = (disk: PowerLossFileSystem, tally: Tally, when: string): Set<string> => {
    const live = new Map<string, { recipients: Set<string>; owed: Set<string> }>();
    for (const { record: raw } of diskRecords(disk, dir, '.log')) {
      const line = raw as { t?: string; id?: string; to?: unknown; owed?: unknown; sender?: string; text?: string; at?: number };
      const id = String(line.id);
      if (line.t === 'done') {
        const e = live.get(id);
        e?.owed.delete(String(line.to));
        if (e && e.owed.size === 0) live.delete(id);
        continue;
      }
      const known = ledger.recorded.get(id);
      const to = Array.isArray(line.to) ? line.to.map(String) : [];
      if (line.t !== 'send' || !known || known.entry.sender !== line.sender || known.entry.text !== line.text || known.entry.storedAtMs !== line.at) {
        problem(tally, 'unexpected', 1, `${when}: on disk, a channel line never recorded or misread: ${JSON.stringify(raw)}`);
        continue;
      }
      const e = live.get(id) ?? { recipients: new Set<string>(), owed: new Set<string>() };
      const fresh = to.filter((m) => !e.recipients.has(m));
      const newlyOwed = Array.isArray(line.owed) ? line.owed.map(String) : fresh;
      for (const m of to) {
        if (!known.members.has(m)) problem(tally, 'unexpected', 1, `${when}: on disk, ${id} owed to ${m}, never recorded for it`);
        if (e.owed.has(m)) problem(tally, 'duplicated', 1, `${when}: on disk, ${id} recorded again for ${m} while still owed to it`);
      }
      for (const m of to) e.recipients.add(m);
      for (const m of newlyOwed) if (fresh.includes(m)) e.owed.add(m);
      if (e.owed.size > 0) live.set(id, e);
    }
    const owed = new Set<string>();
    for (const [id, e] of live) for (const m of e.owed) owed.add(pair(id, m));
    return owed;
  };

  const audit = async (disk: PowerLossFileSystem, target: FsChannelLog, tally: Tally, when: string): Promise<void> => {
    const onDisk = owedOnDisk(disk, tally, when);
    const pending = await target.pending();
    const reported = new Set<string>();
    for (const p of pending) {
      const known = ledger.recorded.get(p.entry.id);
      for (const m of p.recipients) {
        if (reported.has(pair(p.entry.id, m))) problem(tally, 'duplicated', 1, `${when}: pending() names ${m} twice for ${p.entry.id}`);
        reported.add(pair(p.entry.id, m));
        if (!known || !known.members.has(m) || known.entry.text !== p.entry.text || known.entry.sender !== p.entry.sender) {
          problem(tally, 'unexpected', 1, `${when}: pending() owes ${p.entry.id} to ${m}, never recorded so`);
        }
      }
    }
    for (const a of ledger.acked) {
      if (ledger.delivered.has(a)) continue;
      const where = [onDisk.has(a) ? '' : 'on disk', reported.has(a) ? '' : 'from pending()'].filter((w) => w !== '');
      if (where.length > 0) problem(tally, 'lost', 1, `${when}: channel ${a} acknowledged but missing ${where.join(' and ')}`);
    }
  };

  return {
    async run(disk, tally) {
      log = new FsChannelLog(dir, disk);
      const ids: string[] = [];
      for (let step = 0; step < STEPS; step++) {
        const batch: Promise<unknown>[] = [];
        for (let k = 0, n = 1 + random.int(3); k < n; k++) {
          const deliverable = [...ledger.acked].filter((a) => !ledger.delivered.has(a));
          if (deliverable.length > 0 && random.chance(0.35)) {
            const a = deliverable[random.int(deliverable.length)]!;
            ledger.delivered.add(a);
            const [id, m] = a.split('|') as [string, string];
            batch.push(log.delivered(id, m));
            continue;
          }
          const retry = ids.length > 0 && random.chance(0.25);
          const id = retry ? ids[random.int(ids.length)]! : `c${step}-${k}`;
          if (!retry) ids.push(id);
          // A retry may name other members (the table changed before the retried send_all).
          const members = MEMBERS.filter(() => random.chance(0.7));
          batch.push(record(log, id, members.length > 0 ? members : [MEMBERS[0]!]));
        }
        await settle(batch, disk, tally, `channel log step ${step}`);
        if (disk.crashed) return;
      }
    },
    async recover(disk, tally) {
      if (log) await closeCrashed(() => log!.close(), tally, 'channel log');
      const reopened = new FsChannelLog(dir, disk);
      await audit(disk, reopened, tally, 'after the crash');
      // The senders retry what was not acknowledged, and one delivery completes.
      for (const [id, r] of ledger.recorded) {
        const unacked = [...r.members].filter((m) => !ledger.acked.has(pair(id, m)));
        if (unacked.length > 0) await record(reopened, id, unacked);
      }
      const next = [...ledger.acked].find((a) => !ledger.delivered.has(a));
      if (next) {
        ledger.delivered.add(next);
        const [id, m] = next.split('|') as [string, string];
        await reopened.delivered(id, m);
      }
      disk.crash('power');
      const last = disk.restart();
      const final = new FsChannelLog(dir, last);
      await audit(last, final, tally, 'after the second power loss');
      await final.close();
      return { acked: ledger.acked.size, tornTailsDropped: reopened.tornTailsDropped + final.tornTailsDropped };
    },
    async dispose() {
      await log?.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Registry

const NAMES = ['alice', 'bob', 'carol', 'dave'];

function registryWorkload(random: SeededRandom, dir: string): Workload {
  /** Every save in the order it was made (the store writes them in that order); versions increase with it. */
  const issued: RegistryRecord[] = [];
  const acked = new Set<number>();
  let store: FsRegistryStore | undefined;

  const save = (target: FsRegistryStore, name: string): Promise<void> => {
    const version = issued.length + 1;
    const record: RegistryRecord = { name, ip: '127.0.0.1', port: 6000 + random.int(1000), online: random.chance(0.5), proof: `proof-${name}`, token: `t${version}`, version };
    issued.push(record);
    return target.save(record).then(() => { acked.add(version); });
  };

  const same = (a: RegistryRecord, b: RegistryRecord): boolean =>
    a.name === b.name && a.ip === b.ip && a.port === b.port && a.online === b.online && a.proof === b.proof && a.token === b.token && a.version === b.version;

  /** Per name, the record that must win now: the last acknowledged save, or a later one that reached the disk unacknowledged. */
  const check = (winners: Map<string, RegistryRecord>, tally: Tally, when: string, where: string): void => {
    for (const [name, w] of winners) {
      const made = issued.find((r) => r.version === w.version);
      if (!made || !same(made, w)) problem(tally, 'unexpected', 1, `${when}: ${where}, ${name} is ${JSON.stringify(w)}, never saved`);
    }
    for (const name of NAMES) {
      const lastAcked = [...issued].reverse().find((r) => r.name === name && acked.has(r.version));
      if (!lastAcked) continue;
      const w = winners.get(name);
      if (!w || w.version < lastAcked.version) {
        problem(tally, 'lost', 1, `${when}: ${where}, ${name} is ${w ? `at version ${w.version}` : 'gone'}, acknowledged at version ${lastAcked.version}`);
      }
    }
  };

  const audit = async (disk: PowerLossFileSystem, target: FsRegistryStore, tally: Tally, when: string): Promise<void> => {
    const records = diskRecords(disk, dir, '.log').map(({ record }) => record as RegistryRecord);
    const counts = countBy(records, (r) => `${r.name}@${r.version}`);
    for (const [key, n] of counts) if (n > 1) problem(tally, 'duplicated', n - 1, `${when}: on disk, registry record ${key} written ${n} times`);
    const onDisk = new Map<string, RegistryRecord>();
    for (const r of records) onDisk.set(String(r.name), r);
    check(onDisk, tally, when, 'on disk');
    await target.open();
    const loaded = await target.load();
    const byName = new Map<string, RegistryRecord>();
    for (const r of loaded) {
      if (byName.has(r.name)) problem(tally, 'duplicated', 1, `${when}: load() returns ${r.name} twice`);
      byName.set(r.name, r);
    }
    check(byName, tally, when, 'loaded');
  };

  return {
    async run(disk, tally) {
      store = new FsRegistryStore(dir, disk);
      try {
        await store.open();
      } catch (e) {
        if (!(disk.crashed && isSimulatedCrash(e))) throw e;
        return;
      }
      for (let step = 0; step < STEPS; step++) {
        const batch: Promise<unknown>[] = [];
        for (let k = 0, n = 1 + random.int(3); k < n; k++) batch.push(save(store, NAMES[random.int(NAMES.length)]!));
        await settle(batch, disk, tally, `registry step ${step}`);
        if (disk.crashed) return;
      }
    },
    async recover(disk, tally) {
      if (store) await closeCrashed(() => store!.close(), tally, 'registry');
      const reopened = new FsRegistryStore(dir, disk);
      await audit(disk, reopened, tally, 'after the crash');
      // A server saves again after the restart (a log-in, a status change).
      for (let k = 0, n = 1 + random.int(3); k < n; k++) await save(reopened, NAMES[random.int(NAMES.length)]!);
      disk.crash('power');
      await closeCrashed(() => reopened.close(), tally, 'registry');
      const last = disk.restart();
      const final = new FsRegistryStore(dir, last);
      await audit(last, final, tally, 'after the second power loss');
      await final.close();
      return { acked: acked.size, tornTailsDropped: reopened.tornTailsDropped + final.tornTailsDropped };
    },
    async dispose() {
      await store?.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Seen store

/** Small, so the files are compacted (past 2 × kept lines) and old keys dropped during the runs. */
const SEEN_KEPT = 5;
const SEEN_NAMES = ['alice', 'bob'];

function seenWorkload(random: SeededRandom, dir: string): Workload {
  /** Per name, every add in the order made (a key may be added again: shown once more after a lost key). */
  const adds = new Map<string, string[]>(SEEN_NAMES.map((n) => [n, []]));
  /**
   * `name|index` of the adds that resolved and were then covered by a flush that resolved: an
   * add resolves once written (a killed process keeps it), only a flush promises a power loss
   * will not take it.
   */
  const acked = new Set<string>();
  /** Resolved adds no flush has covered yet. */
  let written: string[] = [];
  let store: FsSeenStore | undefined;
  let nextKey = 0;

  const add = (target: FsSeenStore, name: string, key: string): Promise<void> => {
    const list = adds.get(name)!;
    const index = list.length;
    list.push(key);
    return target.add(name, key).then(() => { written.push(`${name}|${index}`); });
  };
  const flush = async (target: FsSeenStore): Promise<void> => {
    const covered = written;
    written = [];
    await target.flush();
    for (const a of covered) acked.add(a);
  };

  const fileOf = (name: string): string => `${createHash('sha256').update(name, 'utf8').digest('hex')}.log`;

  /** Keys that must still be kept for `name`: acknowledged, with fewer than `kept` other keys added after their last add. */
  const mustKeep = (name: string): string[] => {
    const list = adds.get(name)!;
    const keys: string[] = [];
    list.forEach((key, i) => {
      if (!acked.has(`${name}|${i}`) || list.indexOf(key, i + 1) >= 0) return;
      const later = new Set(list.slice(i + 1));
      if (later.size < SEEN_KEPT) keys.push(key);
    });
    return keys;
  };

  const audit = async (disk: PowerLossFileSystem, target: FsSeenStore, tally: Tally, when: string): Promise<void> => {
    const records = diskRecords(disk, path.join(dir, 'seen'), '.log');
    for (const name of SEEN_NAMES) {
      const list = adds.get(name)!;
      const keys = records.filter((r) => r.file === fileOf(name)).map(({ record }) => String((record as { k?: unknown }).k));
      for (const [key, n] of countBy(keys, (k) => k)) {
        const written = list.filter((k) => k === key).length;
        if (written === 0) problem(tally, 'unexpected', n, `${when}: on disk, ${name} has key ${key}, never added`);
        else if (n > written) problem(tally, 'duplicated', n - written, `${when}: on disk, ${name}'s key ${key} ${n} times, added ${written}`);
      }
      const loaded = await target.load(name);
      if (new Set(loaded).size !== loaded.length) problem(tally, 'duplicated', loaded.length - new Set(loaded).size, `${when}: load(${name}) repeats keys: ${loaded.join(' ')}`);
      for (const key of loaded) if (!list.includes(key)) problem(tally, 'unexpected', 1, `${when}: load(${name}) returns ${key}, never added`);
      for (const key of mustKeep(name)) {
        const where = [keys.includes(key) ? '' : 'on disk', loaded.includes(key) ? '' : 'from load()'].filter((w) => w !== '');
        if (where.length > 0) problem(tally, 'lost', 1, `${when}: ${name}'s key ${key} acknowledged but missing ${where.join(' and ')}`);
      }
    }
  };

  return {
    async run(disk, tally) {
      store = new FsSeenStore(dir, disk, SEEN_KEPT);
      for (let step = 0; step < STEPS; step++) {
        const batch: Promise<unknown>[] = [];
        for (let k = 0, n = 1 + random.int(3); k < n; k++) {
          const name = SEEN_NAMES[random.int(SEEN_NAMES.length)]!;
          const earlier = adds.get(name)!;
          const key = earlier.length > 0 && random.chance(0.15) ? earlier[random.int(earlier.length)]! : `${name}|k${nextKey++}`;
          batch.push(add(store, name, key));
        }
        if (random.chance(0.5)) batch.push(flush(store));
        await settle(batch, disk, tally, `seen store step ${step}`);
        if (disk.crashed) return;
      }
    },
    async recover(disk, tally) {
      if (store) await closeCrashed(() => store!.close(), tally, 'seen store');
      // Written by the crashed process and never flushed: no flush of a new process covers them.
      written = [];
      const reopened = new FsSeenStore(dir, disk, SEEN_KEPT);
      await audit(disk, reopened, tally, 'after the crash');
      for (const name of SEEN_NAMES) await add(reopened, name, `${name}|k${nextKey++}`);
      await flush(reopened);
      disk.crash('power');
      const last = disk.restart();
      const final = new FsSeenStore(dir, last, SEEN_KEPT);
      await audit(last, final, tally, 'after the second power loss');
      await final.close();
      return { acked: acked.size, tornTailsDropped: 0 };
    },
    async dispose() {
      await store?.close();
    },
  };
}

const WORKLOADS: Record<OtherStore, WorkloadFactory> = {
  'channel-log': channelWorkload,
  registry: registryWorkload,
  seen: seenWorkload,
};
