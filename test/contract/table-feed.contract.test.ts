import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { InMemorySharedTable, InMemoryTableFeed } from '../../src/adapters/in-memory/in-memory-table-feed';
import { RedisTableFeed } from '../../src/adapters/redis/redis-table-feed';
import type { TableChange, TableFeed, TableSnapshot, TableSubscription } from '../../src/application/ports/table-feed';
import type { TableRow } from '../../src/domain/client-table';
import { uniquePrefix, useRedisServer } from '../support/redis-server';

/** One system's shared table: `instance()` is another server instance's feed on it. */
interface FeedSystem {
  /** On Redis each instance has its own connection, as separate processes would. */
  instance(): Promise<TableFeed>;
  /** The store loses everything (a Redis restarted empty). */
  wipe(): Promise<void>;
}

const WAIT_MS = 5_000;

function row(name: string, port = 5000, online = true): TableRow {
  return { name, ip: '127.0.0.1', port, online };
}

/** Records what a follower was told, and rebuilds the table from it as an instance would. */
class Recorder {
  readonly changes: TableChange[] = [];
  readonly resyncs: TableSnapshot[] = [];
  readonly table = new Map<string, TableRow>();
  version: number;

  constructor(start: TableSnapshot) {
    this.version = start.version;
    for (const r of start.rows) this.table.set(r.name.toLowerCase(), r);
  }

  readonly follower = {
    onChanges: (changes: readonly TableChange[]) => {
      for (const c of changes) {
        // Gap-free and in order, or the contract is broken.
        expect(c.version, 'versions delivered in order without gaps').to.equal(this.version + 1);
        this.version = c.version;
        this.changes.push(c);
        this.table.set(c.row.name.toLowerCase(), c.row);
      }
    },
    onResync: (snapshot: TableSnapshot) => {
      this.resyncs.push(snapshot);
      this.version = snapshot.version;
      this.table.clear();
      for (const r of snapshot.rows) this.table.set(r.name.toLowerCase(), r);
    },
  };

  async until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; at version ${this.version}, ${this.changes.length} changes, ${this.resyncs.length} resyncs`);
      await sleep(5);
    }
  }
}

function tableFeedContract(adapter: string, newSystem: (keep: number) => FeedSystem): void {
  describe(`TableFeed contract: ${adapter}`, () => {
    let feeds: TableFeed[];
    let subscriptions: TableSubscription[];

    beforeEach(() => {
      feeds = [];
      subscriptions = [];
    });
    afterEach(async () => {
      for (const s of subscriptions.splice(0)) await s.stop();
      for (const f of feeds.splice(0)) await f.close();
    });

    async function open(system: FeedSystem): Promise<TableFeed> {
      const feed = await system.instance();
      await feed.open();
      feeds.push(feed);
      return feed;
    }

    async function follow(feed: TableFeed): Promise<Recorder> {
      const start = await feed.snapshot();
      const recorder = new Recorder(start);
      subscriptions.push(feed.follow(start, recorder.follower));
      return recorder;
    }

    it('starts empty at version 0; every claim gets the next version of the whole system', async () => {
      const system = newSystem(10_000);
      const [a, b] = [await open(system), await open(system)];
      expect(await a.snapshot()).to.deep.include({ version: 0, rows: [] });
      expect(await a.claim(row('alice'), 'p-alice')).to.deep.equal({ ok: true, version: 1 });
      expect(await b.claim(row('bob'), 'p-bob')).to.deep.equal({ ok: true, version: 2 });
      expect(await a.claim(row('Alice', 5001, false), 'p-alice')).to.deep.equal({ ok: true, version: 3 });
      const snapshot = await b.snapshot();
      expect(snapshot.version).to.equal(3);
      expect(snapshot.epoch).to.equal((await a.snapshot()).epoch);
      expect([...snapshot.rows].sort((x, y) => x.name.localeCompare(y.name))).to.deep.equal([row('Alice', 5001, false), row('bob')]);
    });

    it('a name belongs to its first owner: another owner is refused and nothing changes', async () => {
      const system = newSystem(10_000);
      const a = await open(system);
      await a.claim(row('alice'), 'p-alice');
      expect(await a.claim(row('ALICE', 6000), 'p-mallory')).to.deep.equal({ ok: false, reason: 'owned' });
      expect(await a.snapshot()).to.deep.include({ version: 1, rows: [row('alice')] });
    });

    it('a change about one session (ifToken) never lands on a newer one: stale, nothing changes', async () => {
      const system = newSystem(10_000);
      const a = await open(system);
      const b = await open(system);
      await a.claim(row('alice'), 'p-alice', { token: 't1', home: '' });
      await b.claim(row('alice', 5001), 'p-alice', { token: 't2', home: '' });
      expect(await a.claim(row('alice', 5000, false), 'p-alice', { token: 't1', home: '', ifToken: 't1' })).to.deep.equal({ ok: false, reason: 'stale' });
      const snapshot = await a.snapshot();
      expect(snapshot).to.deep.include({ version: 2, rows: [row('alice', 5001)] });
      expect(snapshot.sessions.get('alice')).to.deep.equal({ owner: 'p-alice', token: 't2', home: '' });
      expect(await a.claim(row('alice', 5001, false), 'p-alice', { token: 't2', home: '', ifToken: 't2' })).to.deep.equal({ ok: true, version: 3 });
    });

    it('two instances claiming one free name at the same instant: exactly one wins, every time', async () => {
      const system = newSystem(10_000);
      const [a, b] = [await open(system), await open(system)];
      for (let trial = 0; trial < 50; trial++) {
        const name = `n${trial}`;
        const [first, second] = await Promise.all([a.claim(row(name, 1), `owner-a-${trial}`), b.claim(row(name, 2), `owner-b-${trial}`)]);
        expect([first.ok, second.ok].filter(Boolean), `trial ${trial}`).to.have.length(1);
      }
      expect((await a.snapshot()).rows).to.have.length(50);
    });

    it('followers on every instance get every change, in version order, whoever made it', async () => {
      const system = newSystem(10_000);
      const [a, b] = [await open(system), await open(system)];
      const [onA, onB] = [await follow(a), await follow(b)];
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) writes.push((i % 2 ? a : b).claim(row(`c${i % 10}`, 5000 + i), `owner-${i % 10}`));
      await Promise.all(writes);
      await onA.until(() => onA.version === 40, 'A to reach version 40');
      await onB.until(() => onB.version === 40, 'B to reach version 40');
      expect(onA.changes.map((c) => c.version)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(onB.changes).to.deep.equal(onA.changes);
      expect(onA.resyncs).to.deep.equal([]);
      const snapshot = await a.snapshot();
      expect(new Map(snapshot.rows.map((r) => [r.name.toLowerCase(), r]))).to.deep.equal(onA.table);
    });

    it('a follower behind what the feed keeps gets a snapshot, then the changes after it', async () => {
      const system = newSystem(5);
      const a = await open(system);
      const start = await a.snapshot();
      for (let i = 0; i < 12; i++) await a.claim(row(`c${i}`), `owner-${i}`);
      const late = new Recorder(start);
      subscriptions.push(a.follow(start, late.follower));
      await late.until(() => late.version === 12, 'the late follower to catch up');
      expect(late.resyncs.map((s) => s.version)).to.deep.equal([12]);
      expect(late.table.size).to.equal(12);
      await a.claim(row('after'), 'owner-after');
      await late.until(() => late.version === 13, 'the change after the snapshot');
      expect(late.changes.map((c) => c.version)).to.deep.equal([13]);
    });

    it('a store that lost its data (a new epoch) sends every follower a snapshot of the new table', async () => {
      const system = newSystem(10_000);
      const a = await open(system);
      const onA = await follow(a);
      await a.claim(row('alice'), 'p-alice');
      await onA.until(() => onA.version === 1, 'the first change');
      const before = (await a.snapshot()).epoch;
      await system.wipe();
      await a.claim(row('bob'), 'p-bob');
      await onA.until(() => onA.resyncs.length > 0 && onA.table.has('bob'), 'a resync on the new epoch');
      const last = onA.resyncs[onA.resyncs.length - 1]!;
      expect(last.epoch).to.not.equal(before);
      expect(onA.table.has('alice')).to.equal(false);
    });

    it('stop ends a follow: no more calls after it resolves', async () => {
      const system = newSystem(10_000);
      const a = await open(system);
      const onA = await follow(a);
      await subscriptions.pop()!.stop();
      await a.claim(row('alice'), 'p-alice');
      await sleep(700);
      expect(onA.changes).to.deep.equal([]);
      expect(onA.resyncs).to.deep.equal([]);
    });

    it('after close, calls reject with StoreClosedError', async () => {
      const system = newSystem(10_000);
      const a = await open(system);
      await a.close();
      let error: unknown;
      try {
        await a.claim(row('alice'), 'p-alice');
      } catch (e) {
        error = e;
      }
      expect((error as { code?: string } | undefined)?.code).to.equal('store-closed');
    });
  });
}

tableFeedContract('in-memory', (keep) => {
  const shared = new InMemorySharedTable(keep);
  return { instance: async () => new InMemoryTableFeed(shared), wipe: async () => shared.wipe() };
});

describe('TableFeed contract on Redis', () => {
  const redis = useRedisServer();

  describe('RedisTableFeed across connections and a Redis crash', () => {
    const feeds: RedisTableFeed[] = [];
    const subscriptions: TableSubscription[] = [];
    afterEach(async () => {
      for (const s of subscriptions.splice(0)) await s.stop();
      for (const f of feeds.splice(0)) await f.close();
    });

    async function feed(prefix: string): Promise<RedisTableFeed> {
      const f = new RedisTableFeed(await redis.connect(), prefix);
      await f.open();
      feeds.push(f);
      return f;
    }

    it('1,000 trials of two instances (two connections) claiming one free name at once: exactly one winner each', async function () {
      this.timeout(60_000);
      const prefix = uniquePrefix('race');
      const [a, b] = [await feed(prefix), await feed(prefix)];
      let winners = 0;
      for (let trial = 0; trial < 1_000; trial++) {
        const results = await Promise.all([a.claim(row(`r${trial}`, 1), `a${trial}`), b.claim(row(`r${trial}`, 2), `b${trial}`)]);
        const won = results.filter((r) => r.ok).length;
        expect(won, `trial ${trial}`).to.equal(1);
        winners += won;
      }
      expect(winners).to.equal(1_000);
      expect((await a.snapshot()).version).to.equal(1_000);
    });

    it('a follower keeps its place across a Redis kill -9 and restart: every change once, in order, no snapshot', async function () {
      this.timeout(30_000);
      const prefix = uniquePrefix('crash');
      const writer = await feed(prefix);
      const reader = await feed(prefix);
      const start = await reader.snapshot();
      const seen = new Recorder(start);
      subscriptions.push(reader.follow(start, seen.follower));
      for (let i = 0; i < 20; i++) await writer.claim(row(`before${i}`), `o${i}`);
      await seen.until(() => seen.version === 20, 'the changes before the crash');
      await redis.server().kill();
      await redis.server().restart();
      for (let i = 0; ; i++) {
        // Writes fail until the writer's connection is back; those that fail were not made.
        const done = await writer.claim(row('after'), 'o-after').then(() => true, () => false);
        if (done) break;
        if (i > 200) throw new Error('the writer never reconnected');
        await sleep(50);
      }
      await seen.until(() => seen.version === 21, 'the change after the restart');
      expect(seen.changes.map((c) => c.version)).to.deep.equal(Array.from({ length: 21 }, (_, i) => i + 1));
      expect(seen.resyncs).to.deep.equal([]);
      while (redis.client().status !== 'ready') await sleep(20);
    });
  });

  tableFeedContract('redis', (keep) => {
    const prefix = uniquePrefix('feed');
    return {
      instance: async () => new RedisTableFeed(await redis.connect(), prefix, { keep }),
      // Only this test's keys, as a Redis restarted empty would have none of them.
      wipe: async () => {
        const keys = await redis.client().keys(`${prefix}*`);
        if (keys.length > 0) await redis.client().del(...keys);
      },
    };
  });
});
