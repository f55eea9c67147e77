import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ensureBuilt } from './build';
import { TimedProcess } from './proc';
import { freePort } from './raw-udp';
import type { BenchRow, SectionResult } from './report';
import { median, nowMs, sleep } from './stats';

const WELCOME = '>>> [Welcome, You are registered.]';
const LISTENING = '>>> [Server listening';

/** Issue 13's targets, each against its yardstick measured in the same run. */
const START_RATIO_TARGET = 1.6;
const RSS_RATIO_TARGET = 1.25;

/** The memory yardstick: a bare Node process holding one bound UDP socket. */
const BARE_UDP_PROGRAM = `const s = require('node:dgram').createSocket('udp4'); s.bind(0, '127.0.0.1', () => process.stdout.write('ready\\n'));`;

/** Spawn → exit of `node -e 0`, in ms: the least a Node program can take. */
function nodeNothingMs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(nowMs() - started));
  });
}

/** Resident set size once a process has settled: the lowest of 5 samples 0.4 s apart. */
async function settledRss(proc: TimedProcess): Promise<number> {
  const samples: number[] = [];
  for (let k = 0; k < 5; k++) {
    await sleep(400);
    samples.push(proc.rssBytes());
  }
  return Math.min(...samples);
}

/**
 * (7) What a user feels first, through the real `chatapp` command: spawn → welcome line of
 * `chatapp -c` against spawn → exit of `node -e 0` (interleaved, medians), and the resident
 * memory of a client after registering and of an idle server against a bare Node process
 * holding one UDP socket. The code cache lives in a fresh cache directory: the first start
 * makes it (shown on its own line), the timed starts use it, as every start after a user's
 * first does.
 */
export async function benchStartup(options: { starts: number }): Promise<Omit<SectionResult, 'seconds'>> {
  ensureBuilt();
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'chatapp-startup-'));
  const env = { XDG_CACHE_HOME: path.join(base, 'cache') };
  const procs: TimedProcess[] = [];
  let serverPort = 0;
  const start = (args: string[]): TimedProcess => {
    const proc = new TimedProcess([BIN, ...args, '--data-dir', path.join(base, 'data')], env);
    procs.push(proc);
    return proc;
  };
  const stop = async (proc: TimedProcess): Promise<void> => {
    proc.endInput();
    await proc.stop();
  };
  const clientArgs = async (name: string): Promise<string[]> => ['-c', name, '127.0.0.1', String(serverPort), String(await freePort())];
  const rows: BenchRow[] = [];
  const mb = (bytes: number): number => bytes / 2 ** 20;
  try {
    serverPort = await freePort();
    const server = start(['-s', String(serverPort)]);
    await server.waitLine((l) => l.startsWith(LISTENING), 0, 30_000);

    const welcomeMs = async (name: string): Promise<number> => {
      const client = start(await clientArgs(name));
      const i = await client.waitLine((l) => l === WELCOME);
      const ms = client.lines[i]!.atMs - client.startedAtMs;
      await stop(client);
      return ms;
    };
    // The first start of this build: no code cache yet (it writes one as it ends).
    const firstMs = await welcomeMs('first');
    const starts: number[] = [];
    const nothing: number[] = [];
    for (let i = 0; i < options.starts; i++) {
      nothing.push(await nodeNothingMs());
      starts.push(await welcomeMs(`start${i}`));
    }
    const ratio = median(starts) / median(nothing);
    rows.push({
      section: '7',
      figure: `chatapp -c: spawn → welcome line (median of ${options.starts})`,
      value: median(starts),
      unit: 'ms',
      baseline: median(nothing),
      baselineLabel: 'node -e 0: spawn → exit',
      ratio,
      target: `≤ ${START_RATIO_TARGET}× node -e 0`,
      met: ratio <= START_RATIO_TARGET,
    });
    rows.push({ section: '7', figure: '  the first start of a build (no code cache yet)', value: firstMs, unit: 'ms', baseline: median(nothing), ratio: firstMs / median(nothing) });

    const bare = new TimedProcess(['-e', BARE_UDP_PROGRAM]);
    procs.push(bare);
    await bare.waitLine((l) => l === 'ready');
    const bareRss = await settledRss(bare);
    await stop(bare);

    const client = start(await clientArgs('resident'));
    await client.waitLine((l) => l === WELCOME);
    const clientRss = await settledRss(client);
    await stop(client);

    // A server of its own on a fresh data directory: the one above has seen every client.
    const idle = new TimedProcess([BIN, '-s', String(await freePort()), '--data-dir', path.join(base, 'idle')], env);
    procs.push(idle);
    await idle.waitLine((l) => l.startsWith(LISTENING), 0, 30_000);
    const idleRss = await settledRss(idle);
    await stop(idle);

    for (const [figure, rss] of [
      ['client RSS after registering', clientRss],
      ['idle server RSS', idleRss],
    ] as const) {
      rows.push({
        section: '7',
        figure,
        value: mb(rss),
        unit: 'MiB',
        baseline: mb(bareRss),
        baselineLabel: 'bare node holding a UDP socket',
        ratio: rss / bareRss,
        target: `≤ ${RSS_RATIO_TARGET}× bare`,
        met: rss / bareRss <= RSS_RATIO_TARGET,
      });
    }
    return {
      id: 7,
      title: 'start-up and resident memory',
      setup: 'the chatapp command itself (node bin/chatapp.js: the bundle, its code cache in a temp XDG_CACHE_HOME): file stores in a temp --data-dir, winston log files at info; removed afterwards',
      rows,
      notes: [
        `start-up: ${options.starts} clients with new names, each from spawn to its welcome line on stdout (then stopped), interleaved with as many \`node -e 0\` from spawn to exit; medians. ` +
          'RSS from /proc, the lowest of 5 samples 0.4 s apart: the client after its welcome line, a server of its own on an empty data directory after it listens, ' +
          'and the yardstick, a bare node process with one UDP socket bound.',
      ],
    };
  } finally {
    for (const p of procs.reverse()) await stop(p);
    await fsp.rm(base, { recursive: true, force: true });
  }
}
