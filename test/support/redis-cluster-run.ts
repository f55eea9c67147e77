import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import IORedis, { type Redis } from 'ioredis';
import type { TableClaim } from '../../src/application/ports/table-feed';
import { RedisMembership } from '../../src/adapters/redis/redis-membership';
import { TcpProxy } from './tcp-proxy';
import { RedisMailboxStore } from '../../src/adapters/redis/redis-mailbox-store';
import { RedisTableFeed } from '../../src/adapters/redis/redis-table-feed';
import { SeededRandom } from '../../src/adapters/in-memory/seeded-random';
import { RedisServerProcess, uniquePrefix, type RedisServerOptions } from './redis-server';

/** Saves kept in flight at once while Redis is killed. */
const WORKERS = 16;
/** Messages per recipient mailbox is far below this, so the quota never refuses one. */
const QUOTA = { maxMessages: 1_000_000, maxBytes: 1_000_000_000 };

/** Jepsen-style counts of one run of Redis kills. */
export interface KillFigures {
  readonly kills: number;
  /** Restarts that came up on their own on the same dir (all of them, or the run fails). */
  readonly restarts: number;
  readonly attempted: number;
  readonly acked: number;
  /** ACKed, then missing after the restarts. */
  readonly lost: number;
  /** Listed more than once. */
  readonly duplicated: number;
  /** Listed but never attempted. */
  readonly unexpected: number;
  /** Attempted without an answer (the connection dropped): either outcome is allowed. */
  readonly unanswered: number;
}

/** Counts of the name race. */
export interface RaceFigures {
  readonly trials: number;
  readonly oneWinner: number;
  readonly noWinner: number;
  readonly twoWinners: number;
}

async function ready(client: Redis): Promise<void> {
  while (client.status !== 'ready') await once(client, 'ready');
}

/**
 * `kills` times: keep `WORKERS` durable saves in flight through the Redis mailbox store, kill
 * the redis-server with SIGKILL once a random number of them were ACKed, restart it on the same
 * dir. Then list every mailbox and count what was ACKed but is missing, listed twice, or
 * listed but never attempted. With `appendonly no` (a negative control) the same checker must
 * report losses.
 */
export async function runRedisKills(options: { kills: number; seed: number; redis?: RedisServerOptions; progress?: (line: string) => void }): Promise<KillFigures> {
  const random = new SeededRandom(options.seed);
  const server = await RedisServerProcess.start(options.redis ?? {});
  const client = await server.connect();
  const prefix = uniquePrefix('cluster-test');
  const mailbox = new RedisMailboxStore(client, prefix, QUOTA);
  const attempted = new Map<string, string>();
  const acked = new Set<string>();
  let unanswered = 0;
  let restarts = 0;
  try {
    for (let kill = 0; kill < options.kills; kill++) {
      await ready(client);
      const killAfter = 1 + Math.floor(random.next() * 60);
      let ackedThisRound = 0;
      let killing: Promise<void> | undefined;
      let stop = false;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (!stop) {
          const id = `k${kill}-${next++}`;
          const recipient = `r${kill % 7}`;
          attempted.set(id, recipient);
          try {
            await mailbox.append({ id, recipient, sender: 'writer', kind: 'direct', storedAtMs: 1_700_000_000_000, text: `message ${id}` });
            acked.add(id);
            if (++ackedThisRound === killAfter) killing = server.kill();
          } catch {
            unanswered += 1;
            if (killing) stop = true;
          }
          if (killing) stop = true;
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, worker));
      await killing;
      await server.restart();
      restarts += 1;
      if ((kill + 1) % 50 === 0) options.progress?.(`${kill + 1} kills`);
    }
    await ready(client);
    const seen = new Map<string, number>();
    for (const recipient of new Set(attempted.values())) {
      for (const message of await mailbox.list(recipient)) seen.set(message.id, (seen.get(message.id) ?? 0) + 1);
    }
    return {
      kills: options.kills,
      restarts,
      attempted: attempted.size,
      acked: acked.size,
      lost: [...acked].filter((id) => !seen.has(id)).length,
      duplicated: [...seen.values()].filter((n) => n > 1).length,
      unexpected: [...seen.keys()].filter((id) => !attempted.has(id)).length,
      unanswered,
    };
  } finally {
    await mailbox.close();
    await client.quit().catch(() => client.disconnect());
    await server.stop();
  }
}

/**
 * `trials` times: two instances, each on its own connection, claim one free name at the same
 * instant through the Redis table feed; exactly one must win.
 */
export async function runNameRace(options: { trials: number }): Promise<RaceFigures> {
  const server = await RedisServerProcess.start();
  const clients = [await server.connect(), await server.connect()];
  const prefix = uniquePrefix('race');
  const feeds = clients.map((c) => new RedisTableFeed(c, prefix));
  try {
    for (const feed of feeds) await feed.open();
    let oneWinner = 0;
    let noWinner = 0;
    let twoWinners = 0;
    for (let trial = 0; trial < options.trials; trial++) {
      const name = `name${trial}`;
      const results = await Promise.all(feeds.map((feed, i) => feed.claim({ name, ip: '127.0.0.1', port: 5000 + i, online: true }, `owner-${i}-${trial}`)));
      const winners = results.filter((r) => r.ok).length;
      if (winners === 1) oneWinner += 1;
      else if (winners === 0) noWinner += 1;
      else twoWinners += 1;
    }
    return { trials: options.trials, oneWinner, noWinner, twoWinners };
  } finally {
    for (const feed of feeds) await feed.close();
    for (const c of clients) await c.quit().catch(() => c.disconnect());
    await server.stop();
  }
}

/** Counts of the cut-off run. */
export interface CutOffFigures {
  readonly trials: number;
  /** Writes the cut-off instance tried while cut off. */
  readonly attempted: number;
  /** Of those, answered as done while the instance was cut off (must be 0: nothing could be persisted). */
  readonly ackedWhileCut: number;
  /** Claims of the cut-off instance under its old id that took effect after healing (must be 0: fenced). */
  readonly acceptedAfterHeal: number;
  /** Trials where a survivor took over the cut-off instance's client (must be all). */
  readonly takenOver: number;
  /** Trials where the healed instance's heartbeat said it was declared dead (must be all). */
  readonly toldFenced: number;
}

/**
 * `trials` times: instance A reaches Redis through a TCP proxy, instance B directly. A joins
 * and homes a client; the proxy black-holes A's traffic; A tries to claim a row and to store a
 * message (neither may be answered while cut off); A's lease runs out and B takes over its
 * client; the proxy heals, so A's queued writes reach Redis late: its claim under the old id
 * must be refused (fenced) and its heartbeat must say it was declared dead. With `unfenced`
 * (a negative control) A's late claim names no home, as a writer without fencing would, and the
 * checker must count it accepted.
 */
export async function runCutOff(options: { trials: number; ttlMs?: number; unfenced?: boolean }): Promise<CutOffFigures> {
  const ttlMs = options.ttlMs ?? 600;
  const server = await RedisServerProcess.start();
  const proxy = await TcpProxy.start(server.port);
  const direct = await server.connect();
  const viaProxy = new IORedis(proxy.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: null });
  viaProxy.on('error', () => undefined);
  await viaProxy.connect();
  let attempted = 0;
  let ackedWhileCut = 0;
  let acceptedAfterHeal = 0;
  let takenOver = 0;
  let toldFenced = 0;
  try {
    for (let trial = 0; trial < options.trials; trial++) {
      const prefix = uniquePrefix('cutoff');
      const a = { members: new RedisMembership(viaProxy, prefix, { ttlMs }), feed: new RedisTableFeed(viaProxy, prefix), mailbox: new RedisMailboxStore(viaProxy, prefix, QUOTA) };
      const b = { members: new RedisMembership(direct, prefix, { ttlMs }), feed: new RedisTableFeed(direct, prefix) };
      await a.feed.open();
      const aId = await a.members.join({ ip: '127.0.0.1', port: 7001 });
      await b.members.join({ ip: '127.0.0.1', port: 7002 });
      await a.members.home('alice');
      await a.feed.claim({ name: 'alice', ip: '127.0.0.1', port: 6001, online: true }, 'owner-alice', { token: 't1', home: aId });
      proxy.blackHole();
      let cut = true;
      const writes = [
        a.feed.claim({ name: 'alice', ip: '127.0.0.1', port: 6001, online: false }, 'owner-alice', { token: 't1', home: options.unfenced ? '' : aId }),
        a.mailbox.append({ id: `m${trial}`, recipient: 'bob', sender: 'alice', kind: 'direct', storedAtMs: 1_700_000_000_000, text: 'while cut off' }),
      ];
      attempted += writes.length;
      for (const write of writes) {
        write.then(
          () => {
            if (cut) ackedWhileCut += 1;
          },
          () => undefined,
        );
      }
      // Heartbeats of A cannot get through: its lease runs out, and B takes its client over.
      const heartbeat = a.members.heartbeat();
      // B stays live meanwhile (it renews, as its server's timer would).
      for (const until = Date.now() + ttlMs + 200; Date.now() < until; ) {
        await sleep(ttlMs / 4);
        await b.members.heartbeat();
      }
      const takeovers = await b.members.reapDead();
      if (takeovers.some((t) => t.instance === aId && t.names.includes('alice'))) takenOver += 1;
      cut = false;
      proxy.heal();
      const [claim] = await Promise.allSettled(writes);
      if (claim.status === 'fulfilled' && (claim.value as TableClaim).ok) acceptedAfterHeal += 1;
      const late = await heartbeat.catch(() => true);
      if (!late && !(await a.members.heartbeat())) toldFenced += 1;
      await a.feed.close();
      await a.mailbox.close();
      await b.feed.close();
    }
    return { trials: options.trials, attempted, ackedWhileCut, acceptedAfterHeal, takenOver, toldFenced };
  } finally {
    proxy.heal();
    viaProxy.disconnect();
    await direct.quit().catch(() => direct.disconnect());
    await proxy.close();
    await server.stop();
  }
}
