import { once } from 'node:events';
import type { Redis } from 'ioredis';
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
