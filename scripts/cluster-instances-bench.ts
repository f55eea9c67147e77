import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerModule } from 'inversify';
import { performance } from 'node:perf_hooks';
import { ChatClient } from '../src/application/client/chat-client';
import { ChatView, type ChatEvent } from '../src/application/ports/chat-view';
import { Logger } from '../src/application/ports/logger';
import { ChatServer } from '../src/application/server/chat-server';
import { InMemoryNetwork } from '../src/adapters/in-memory/in-memory-network';
import { RedisTableFeed } from '../src/adapters/redis/redis-table-feed';
import { defaultSettings, type ClientConfig, type ServerConfig } from '../src/composition/config';
import { createContainer } from '../src/composition/create-container';
import { inMemoryModule } from '../src/composition/in-memory-module';
import { memoryStoresModule } from '../src/composition/memory-stores-module';
import { redisStoresModule } from '../src/composition/redis-stores-module';
import { systemModule } from '../src/composition/system-module';
import { ChatAppProcess, freeUdpPort } from '../test/support/chatapp-process';
import type { RedisServerProcess } from '../test/support/redis-server';
import { silentLogger } from './bench/nodes';

/** Figures of server instances over one real Redis, in one process on an in-memory network, real time. */


class CountingView implements ChatView {
  tables = 0;
  channel = 0;
  show(event: ChatEvent): void {
    if (event.kind === 'table-updated') this.tables += 1;
    if (event.kind === 'channel-received') this.channel += 1;
  }
}

const settings = defaultSettings();
const BASE_PORT = 20_000;

export interface BenchSystem {
  readonly network: InMemoryNetwork;
  instance(port: number): Promise<ChatServer>;
  client(name: string, serverPort: number): Promise<{ client: ChatClient; view: CountingView }>;
  stop(): Promise<void>;
}

/** Instances of one system under `prefix` of `redis`, and clients, on one in-memory network. */
export function benchSystem(redis: RedisServerProcess, prefix: string): BenchSystem {
  const network = new InMemoryNetwork({ seed: 1 });
  const stops: Array<() => Promise<void>> = [];
  const node = (view: ChatView): ContainerModule =>
    new ContainerModule(({ bind }) => {
      bind(ChatView).toConstantValue(view);
      bind(Logger).toConstantValue(silentLogger);
    });
  return {
    network,
    async instance(port) {
      const config: ServerConfig = { role: 'server', port, settings };
      const container = createContainer(config, [
        inMemoryModule(network, config),
        redisStoresModule(redis.url, prefix, { quota: settings.mailboxQuota, allowVolatile: false, onVolatile: () => undefined, advertiseIp: '127.0.0.1' }),
        systemModule(),
        node(new CountingView()),
      ]);
      const server = container.get(ChatServer);
      await server.start();
      stops.push(() => server.stop());
      return server;
    },
    async client(name, serverPort) {
      const config: ClientConfig = { role: 'client', name, server: { ip: '127.0.0.1', port: serverPort }, port: 0, settings };
      const view = new CountingView();
      const container = createContainer(config, [inMemoryModule(network, config), memoryStoresModule(), systemModule(), node(view)]);
      const client = container.get(ChatClient);
      await client.start();
      stops.push(() => client.stop());
      return { client, view };
    },
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      network.close();
    },
  };
}

async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * A registration on instance A, until every client on B and C printed the table update:
 * `changes` times, with `perInstance` clients on each of B and C. Baseline: the same with every
 * client on A (one instance, no feed hop).
 */
export async function tableChangeAcrossInstances(redis: RedisServerProcess, prefix: string, changes: number, perInstance: number): Promise<{ p50: number; p99: number; oneP50: number; oneP99: number }> {
  const run = async (spread: boolean, tag: string): Promise<number[]> => {
    const system = benchSystem(redis, `${prefix}${tag}:`);
    try {
      const ports = [BASE_PORT, BASE_PORT + 1, BASE_PORT + 2];
      for (const port of spread ? ports : ports.slice(0, 1)) await system.instance(port);
      const watchers: CountingView[] = [];
      for (let i = 0; i < perInstance * 2; i++) {
        const port = spread ? ports[1 + (i % 2)]! : ports[0]!;
        watchers.push((await system.client(`w${i}`, port)).view);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const latencies: number[] = [];
      for (let i = 0; i < changes; i++) {
        const before = watchers.map((w) => w.tables);
        const started = performance.now();
        await system.client(`n${i}`, ports[0]!);
        await until(() => watchers.every((w, j) => w.tables > before[j]!));
        latencies.push(performance.now() - started);
      }
      return latencies;
    } finally {
      await system.stop();
    }
  };
  const spread = await run(true, 'spread');
  const one = await run(false, 'one');
  return { p50: quantile(spread, 0.5), p99: quantile(spread, 0.99), oneP50: quantile(one, 0.5), oneP99: quantile(one, 0.99) };
}

/** A new instance's start (connect, load the table and every record, join) with `rows` names in the shared table. */
export async function instanceStartWithTable(redis: RedisServerProcess, prefix: string, rows: number): Promise<number> {
  const client = await redis.connect();
  const feed = new RedisTableFeed(client, prefix);
  await feed.open();
  const pipeline: Array<Promise<unknown>> = [];
  for (let i = 0; i < rows; i++) {
    pipeline.push(feed.claim({ name: `c${i}`, ip: '127.0.0.1', port: 30_000 + (i % 30_000), online: i % 3 !== 0 }, `owner-${i}`, { token: `t${i}`, home: '' }));
    if (pipeline.length >= 500) await Promise.all(pipeline.splice(0));
  }
  await Promise.all(pipeline);
  await feed.close();
  await client.quit();
  const system = benchSystem(redis, prefix);
  try {
    const started = performance.now();
    await system.instance(BASE_PORT + 10);
    return performance.now() - started;
  } finally {
    await system.stop();
  }
}

/**
 * `send_all` from one client until all `members` others showed it, `rounds` times, with the
 * members split over two instances (the sender on the first), beside the same on one instance.
 * Returns the median time of a round for each.
 */
export async function sendAllSplit(redis: RedisServerProcess, prefix: string, members: number, rounds: number): Promise<{ twoMs: number; oneMs: number }> {
  const run = async (instances: number, tag: string): Promise<number> => {
    const system = benchSystem(redis, `${prefix}${tag}:`);
    try {
      const ports = Array.from({ length: instances }, (_, i) => BASE_PORT + 20 + i);
      for (const port of ports) await system.instance(port);
      const sender = await system.client('sender', ports[0]!);
      const views: CountingView[] = [];
      for (let i = 0; i < members; i++) views.push((await system.client(`m${i}`, ports[i % instances]!)).view);
      // Let the table pushes of all those registrations settle.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const times: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const before = views.map((v) => v.channel);
        const started = performance.now();
        await sender.client.submit({ kind: 'send_all', text: `round ${round}` });
        await until(() => views.every((v, i) => v.channel > before[i]!), 60_000);
        times.push(performance.now() - started);
      }
      return quantile(times, 0.5);
    } finally {
      await system.stop();
    }
  };
  const oneMs = await run(1, 'one');
  const twoMs = await run(2, 'two');
  return { twoMs, oneMs };
}

/**
 * Real processes: two `chatapp -s --redis` instances, `clients` `chatapp -c` on the first;
 * the first is killed with SIGKILL and every client at once types a `send_all`: the time from
 * the kill until the last of them printed the server's ACK (five unanswered tries, the move,
 * the request again on the survivor).
 */
export async function killToServed(redis: RedisServerProcess, prefix: string, clients: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-bench-kill-'));
  const procs: ChatAppProcess[] = [];
  try {
    const ports = [await freeUdpPort(), await freeUdpPort()];
    const instances = [];
    for (const port of ports) {
      const proc = new ChatAppProcess(['-s', String(port), '--redis', redis.url, '--redis-prefix', prefix, '--server-key', redis.serverKeyFile, '--advertise', '127.0.0.1', '--data-dir', dir]);
      procs.push(proc);
      await proc.linesAfter(0, 1, 10_000);
      instances.push(proc);
    }
    // The first instance hears of the second at its next heartbeat; clients then learn both.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const users = [];
    for (let i = 0; i < clients; i++) {
      const proc = new ChatAppProcess(['-c', `k${i}`, '127.0.0.1', String(ports[0]), String(await freeUdpPort()), '--data-dir', dir]);
      procs.push(proc);
      await proc.waitFor('>>> [Client table updated.]', 10_000);
      users.push(proc);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const killed = performance.now();
    await instances[0]!.kill('SIGKILL');
    for (const user of users) user.type('send_all after the kill');
    await Promise.all(users.map((user) => user.waitFor('>>> [Message received by Server.]', 20_000)));
    return performance.now() - killed;
  } finally {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
