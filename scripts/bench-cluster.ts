import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FsMailboxStore } from '../src/adapters/fs/fs-mailbox-store';
import { RedisMailboxStore } from '../src/adapters/redis/redis-mailbox-store';
import type { MailboxStore } from '../src/application/ports/mailbox-store';
import { RedisServerProcess, uniquePrefix } from '../test/support/redis-server';
import { instanceStartWithTable, killToServed, sendAllSplit, tableChangeAcrossInstances } from './cluster-instances-bench';
import { numberFlag, parseFlags } from './script-flags';

/**
 * `npm run bench:cluster`: durable saves through Redis (`appendonly yes`, `appendfsync always`,
 * a redis-server of its own) beside same-run baselines: raw `XADD`s on the same Redis, and the
 * file mailbox store (fsync per save, group commit) on this machine's temp dir. Prints saves/s
 * and save → ACK p50/p99 with `--concurrency` saves in flight and one at a time, and the Redis
 * commands per save from `INFO commandstats`. Then server instances over that Redis, in this
 * process on an in-memory network: a table change on instance A until every client on B and C
 * printed it (beside the same with every client on A alone), and a new instance's start with a
 * 10,000-row shared table.
 */

const USAGE = `usage: npm run bench:cluster -- [--saves N] [--concurrency N] [--members N]
  --saves N        saves per figure (default 5000; one at a time: a fifth of it)
  --concurrency N  saves in flight for the concurrent figures (default 64)
  --members N      channel members for the send_all figure (default 1000)
  --help           this text`;

interface Figure {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function measure(count: number, concurrency: number, save: (i: number) => Promise<unknown>): Promise<Figure> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await save(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { perSecond: (count / elapsedMs) * 1000, p50Ms: at(0.5), p99Ms: at(0.99) };
}

function row(label: string, f: Figure, baseline?: Figure): string {
  const ratio = baseline ? `  ${(f.perSecond / baseline.perSecond).toFixed(2)}× raw` : '';
  return `${label.padEnd(44)} ${f.perSecond.toFixed(0).padStart(7)} saves/s  p50 ${f.p50Ms.toFixed(2)} ms  p99 ${f.p99Ms.toFixed(2)} ms${ratio}`;
}

function commandCalls(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) calls.set(m[1]!, Number(m[2]));
  }
  return calls;
}

async function main(): Promise<number> {
  const values = parseFlags('bench:cluster', USAGE, process.argv.slice(2), { saves: { type: 'string' }, concurrency: { type: 'string' }, members: { type: 'string' }, help: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const saves = numberFlag('bench:cluster', USAGE, 'saves', values.saves, 10, 10_000_000, true) ?? 5000;
  const concurrency = numberFlag('bench:cluster', USAGE, 'concurrency', values.concurrency, 1, 10_000, true) ?? 64;
  const serial = Math.max(10, Math.floor(saves / 5));
  const members = numberFlag('bench:cluster', USAGE, 'members', values.members, 2, 100_000, true) ?? 1000;
  const server = await RedisServerProcess.start();
  const client = await server.connect();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-bench-cluster-'));
  const quota = { maxMessages: 10_000_000, maxBytes: 10_000_000_000 };
  const text = 'x'.repeat(100);
  const message = (store: string, i: number) => ({ id: `${store}-${i}`, recipient: `r${i % 50}`, sender: 'bench', kind: 'direct' as const, storedAtMs: Date.now(), text });
  try {
    const prefix = uniquePrefix('bench');
    const raw = (tag: string) => (i: number) => client.xadd(`${prefix}raw:${tag}:${i % 50}`, '*', 'id', `${tag}-${i}`, 'text', text);
    const redisStore: MailboxStore = new RedisMailboxStore(client, prefix, quota);
    const fileStore: MailboxStore = new FsMailboxStore(dir, quota);
    const rawMany = await measure(saves, concurrency, raw('many'));
    await client.config('RESETSTAT');
    const redisMany = await measure(saves, concurrency, (i) => redisStore.append(message('many', i)));
    const calls = commandCalls(await client.info('commandstats'));
    const fileMany = await measure(saves, concurrency, (i) => fileStore.append(message('many', i)));
    const rawOne = await measure(serial, 1, raw('one'));
    const redisOne = await measure(serial, 1, (i) => redisStore.append(message('one', i)));
    const fileOne = await measure(serial, 1, (i) => fileStore.append(message('one', i)));
    await redisStore.close();
    await fileStore.close();
    const perSave = [...calls]
      .filter(([name, n]) => !name.startsWith('info') && !name.startsWith('config') && n / saves >= 0.005)
      .map(([name, n]) => `${name} ${(n / saves).toFixed(2)}`)
      .join(', ');
    process.stdout.write(
      [
        `durable saves, ${concurrency} in flight (${saves} saves):`,
        row('  raw XADD, same Redis (baseline)', rawMany),
        row('  Redis mailbox store (one Lua script)', redisMany, rawMany),
        row('  file mailbox store (fsync, group commit)', fileMany, rawMany),
        `one at a time (${serial} saves):`,
        row('  raw XADD, same Redis (baseline)', rawOne),
        row('  Redis mailbox store', redisOne, rawOne),
        row('  file mailbox store', fileOne, rawOne),
        `Redis commands per save (evalsha is the one round trip; the rest run inside its script): ${perSave}`,
      ].join('\n') + '\n',
    );
    const change = await tableChangeAcrossInstances(server, `${prefix}change:`, 50, 10);
    process.stdout.write(
      `table change on A (a registration) until all 20 clients on B and C printed it, 50 changes: p50 ${change.p50.toFixed(1)} ms  p99 ${change.p99.toFixed(1)} ms` +
        `  (baseline, all 20 clients on A alone: p50 ${change.oneP50.toFixed(1)} ms  p99 ${change.oneP99.toFixed(1)} ms; ${(change.p50 / change.oneP50).toFixed(2)}×)\n`,
    );
    const startMs = await instanceStartWithTable(server, `${prefix}start:`, 10_000);
    const split = await sendAllSplit(server, `${prefix}split:`, members, 10);
    const ratio = split.twoMs / split.oneMs;
    process.stdout.write(
      `send_all to ${members} members, median of 10: over 2 instances ${split.twoMs.toFixed(0)} ms, on 1 instance ${split.oneMs.toFixed(0)} ms: ${ratio.toFixed(2)}× (target ≤ 1.2×: ${ratio <= 1.2 ? 'met' : 'missed'})\n`,
    );
    const servedMs = await killToServed(server, `${prefix}kill:`, 20);
    process.stdout.write(`instance kill -9 until the last of its 20 clients had a send_all served by the survivor: ${servedMs.toFixed(0)} ms (target ≤ 5,000 ms: ${servedMs <= 5000 ? 'met' : 'missed'})\n`);
    process.stdout.write(`a new instance ready with a 10,000-row shared table: ${startMs.toFixed(0)} ms (target < 1,000 ms: ${startMs < 1000 ? 'met' : 'missed'})\n`);
    return 0;
  } finally {
    await client.quit().catch(() => client.disconnect());
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:cluster failed to run: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
