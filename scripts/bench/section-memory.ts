import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsRegistryStore } from '../../src/adapters/fs/fs-registry-store';
import { serverDataDir } from '../../src/composition/data-dir';
import { BIN, ensureBuilt } from './build';
import { TimedProcess } from './proc';
import { freePort } from './raw-udp';
import type { SectionResult } from './report';
import { median, sleep } from './stats';

/**
 * (5) The server process's resident memory with 10,000 registered clients: the real
 * `chatapp -s` (compiled, file stores, logging) restarted on a data directory whose registry
 * holds 10,000 names, against the same server on an empty directory.
 */
export async function benchMemory(options: { clients: number }): Promise<Omit<SectionResult, 'seconds'>> {
  ensureBuilt();
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'chatapp-mem-'));
  try {
    const measure = async (dataDir: string, port: number): Promise<{ rss: number; startMs: number }> => {
      const server = new TimedProcess([BIN, '-s', String(port), '--data-dir', dataDir]);
      try {
        const i = await server.waitLine((l) => l.startsWith('>>> [Server listening'), 0, 60_000);
        const startMs = server.lines[i]!.atMs - server.startedAtMs;
        // Let start-up garbage be collected and the heap settle, then take the lowest of a few samples.
        const samples: number[] = [];
        for (let k = 0; k < 5; k++) {
          await sleep(400);
          samples.push(server.rssBytes());
        }
        return { rss: Math.min(...samples), startMs };
      } finally {
        await server.stop();
      }
    };
    const emptyPort = await freePort();
    const empty = await measure(path.join(base, 'empty'), emptyPort);

    const port = await freePort();
    const dataDir = path.join(base, 'full');
    const store = new FsRegistryStore(serverDataDir(dataDir, port));
    await store.open();
    const batch = 500;
    for (let i = 0; i < options.clients; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, options.clients - i) }, (_, k) => {
          const n = i + k;
          return store.save({
            name: `client${String(n).padStart(5, '0')}`,
            ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
            port: 20000 + (n % 40000),
            online: false,
            proof: createHash('sha256').update(randomBytes(24)).digest('base64url'),
            token: randomBytes(24).toString('base64url'),
            version: n + 1,
          });
        }),
      );
    }
    await store.close();
    const full = await measure(dataDir, port);
    const mb = (b: number): number => b / 2 ** 20;
    const perClient = (full.rss - empty.rss) / options.clients;
    return {
      id: 5,
      title: 'server memory',
      setup: 'the chatapp command itself (node bin/chatapp.js -s): its file stores in a temp --data-dir, its winston log file at info; removed afterwards',
      rows: [
        { section: '5', figure: `server RSS, ${options.clients} registered clients`, value: mb(full.rss), unit: 'MiB', baseline: mb(empty.rss), baselineLabel: 'same server, no clients', ratio: full.rss / empty.rss, target: '< 150 MB', met: full.rss < 150e6 },
        { section: '5', figure: '  per registered client', value: perClient, unit: 'B' },
        { section: '5', figure: `  server start → listening, ${options.clients} clients restored`, value: full.startMs, unit: 'ms', baseline: empty.startMs, baselineLabel: 'empty', ratio: full.startMs / empty.startMs },
      ],
      notes: [
        `the real server process (node bin/chatapp.js -s, file stores, winston log at info), RSS from /proc (lowest of 5 samples 0.4 s apart after it listens); ` +
          `its data directory holds a registry of ${options.clients} names (written beforehand with FsRegistryStore, all offline), which it restores into its table at start.`,
      ],
    };
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
}
