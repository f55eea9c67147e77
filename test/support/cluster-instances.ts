import { expect } from 'chai';
import { freeUdpPort, type ChatAppProcess, type ProcessPool } from './chatapp-process';
import type { RedisServerHarness } from './redis-server';

const WELCOME = '>>> [Welcome, You are registered.]';
const TABLE = '>>> [Client table updated.]';

/**
 * `count` `chatapp -s --redis` instances of one system (one prefix, one server key) on free
 * ports, each telling clients to reach it at `advertise`, once each has heard of the others.
 */
export async function startInstances(run: ProcessPool, redis: RedisServerHarness, prefix: string, advertise: string, count = 2): Promise<{ ports: number[]; instances: ChatAppProcess[] }> {
  const ports: number[] = [];
  const instances: ChatAppProcess[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freeUdpPort();
    const proc = run.start(['-s', String(port), '--redis', redis.server().url, '--redis-prefix', prefix, '--server-key', redis.server().serverKeyFile, '--advertise', advertise]);
    await proc.linesAfter(0, 1);
    ports.push(port);
    instances.push(proc);
  }
  // The first instances learn of the later ones at their next heartbeat (each second); clients
  // registering after that are told of all in their welcome.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  return { ports, instances };
}

/** A client of `name` registered at 127.0.0.1:`port`: its welcome and first table seen. */
export async function registeredClient(run: ProcessPool, name: string, port: number): Promise<ChatAppProcess> {
  const proc = run.start(['-c', name, '127.0.0.1', String(port), String(await freeUdpPort())]);
  expect(await proc.linesAfter(0, 2)).to.deep.equal([WELCOME, TABLE]);
  return proc;
}
