/**
 * `npm run fuzz`: hostile input against real processes, with every figure printed and checked.
 *
 *   npm run fuzz -- [--count N] [--seed N] [--rate N] [--flood-seconds N] [--window-ms N] (strict: an unknown flag exits 2)
 *
 * 1. Fuzz: N datagrams (default 100,000; random bytes, mutations of valid messages of every
 *    type, oversize, empty, truncated, hostile text) from 64 source ports, each to a real
 *    server process, a real client process (`bin/chatapp.js`, temp --data-dir, --log-file)
 *    and an in-process server in a child Node with --expose-gc (for heap after GC).
 *    Checks: processes alive; 0 uncaught exceptions (no stack trace on stderr, 0 error-level
 *    log lines); 0 replies to unparseable datagrams; child server heap after GC within +20 MB
 *    of its baseline (the real server's RSS is printed too, for information); a chat round
 *    trip right after, typed on the client's stdin, under 100 ms.
 * 2. Amplification: every request type from a fresh socket at the real server and client over
 *    a 5 s window: bytes received ÷ bytes sent ≤ 1.0 for each.
 * 3. Flood: 10,000 datagrams/s from one socket at the real server for 10 s: replies to it
 *    within burst + rate × time; a channel message and a direct message between two other
 *    clients each second still arrive within 1 s.
 * Exit status 0 only if every figure holds. Needs `npm run build` first (it runs bin/chatapp.js).
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HANDSHAKE_LIMITS } from '../src/adapters/wire/link/secure-link';
import type { Address } from '../src/domain/address';
import { freshHello, UdpAttacker } from '../test/support/attacker';
import { ChatAppProcess, freeUdpPort } from '../test/support/chatapp-process';
import {
  amplificationProbes, formatAmplification, fuzzDatagrams, fuzzTemplates, kernelDrops, measureAmplification, runFuzz, sleep, startUdpServer,
} from '../test/support/fuzz-run';
import { numberFlag, parseFlags } from './script-flags';

const HEAP_BUDGET_MB = 20;
const ROUND_TRIP_BUDGET_MS = 100;
const FLOOD_PER_SECOND = 10_000;
const FLOOD_LATENCY_BUDGET_MS = 1000;

interface Options {
  count: number;
  seed: number;
  rate: number;
  floodSeconds: number;
  windowMs: number;
}

const USAGE = `usage: npm run fuzz -- [options]
  --count N          fuzz datagrams (default 100000)
  --seed N           seed of the fuzz datagrams (default 1)
  --rate N           fuzz datagrams sent per second (default 10000)
  --flood-seconds N  length of the flood (default 10)
  --window-ms N      window of each amplification probe (default 5000)`;

function parseOptions(argv: readonly string[]): Options {
  const values = parseFlags('fuzz', USAGE, argv, {
    count: { type: 'string' },
    seed: { type: 'string' },
    rate: { type: 'string' },
    'flood-seconds': { type: 'string' },
    'window-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (flag: keyof typeof values, fallback: number): number => numberFlag('fuzz', USAGE, flag, values[flag] as string | undefined, 0, Number.MAX_SAFE_INTEGER, true) ?? fallback;
  return { count: int('count', 100_000), seed: int('seed', 1), rate: int('rate', 10_000), floodSeconds: int('flood-seconds', 10), windowMs: int('window-ms', 5000) };
}

/** One figure of the run and whether it holds. */
interface Figure {
  readonly name: string;
  readonly value: string;
  readonly ok: boolean;
}

const figures: Figure[] = [];
function figure(name: string, value: string, ok: boolean): void {
  figures.push({ name, value, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${value}`);
}

/** Resident set size of a process, from /proc (Linux), in MB. */
function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Lines of a JSON log file at level error (a handler that threw, a request that failed). */
function errorLogLines(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => {
    try {
      return (JSON.parse(l) as { level?: string }).level === 'error';
    } catch {
      return false;
    }
  });
}

function stackTraces(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\s+at .+(:\d+:\d+\)?|\(native\))$/.test(l) || /Uncaught|UnhandledPromiseRejection|TypeError|RangeError|SyntaxError/.test(l));
}

/** The in-process server in a child Node with --expose-gc: it reports its heap after a full GC. */
class HeapServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly address: Address,
  ) {}

  static async start(dataDir: string): Promise<HeapServer> {
    const child = fork(__filename, ['--child-server', dataDir], {
      execArgv: ['--expose-gc', '-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const address = await new Promise<Address>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Address));
      child.once('exit', (code) => reject(new Error(`heap server exited with ${code}`)));
    });
    return new HeapServer(child, address);
  }

  heapAfterGcMb(): Promise<number> {
    return new Promise((resolve) => {
      this.child.once('message', (m) => resolve((m as { heapMb: number }).heapMb));
      this.child.send({ cmd: 'heap' });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ cmd: 'stop' });
    await Promise.race([exited, sleep(3000)]);
    if (this.alive) this.child.kill('SIGKILL');
  }
}

async function childServer(dataDir: string): Promise<void> {
  const node = await startUdpServer({ dataDir });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'heap') {
      gc?.();
      gc?.();
      process.send?.({ heapMb: process.memoryUsage().heapUsed / (1024 * 1024) });
    } else if (m.cmd === 'stop') {
      void node.stop().then(() => process.exit(0));
    }
  });
  process.send?.(node.address);
}

async function main(options: Options): Promise<number> {
  const dist = path.resolve(__dirname, '../dist/composition/main.js');
  if (!fs.existsSync(dist)) {
    process.stderr.write('fuzz: dist/ is missing; run `npm run build` first\n');
    return 2;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-fuzz-'));
  const processes: ChatAppProcess[] = [];
  let heapServer: HeapServer | undefined;
  const logOf = (role: string): string => path.join(tmp, `${role}.log`);
  const start = (role: string, args: string[]): ChatAppProcess => {
    const p = new ChatAppProcess([...args, '--data-dir', path.join(tmp, 'data'), '--log-file', logOf(role), '--log-format', 'json']);
    processes.push(p);
    return p;
  };
  try {
    console.log(`fuzz: ${options.count} datagrams, seed ${options.seed}, ${options.rate}/s; temp dir ${tmp}`);
    const serverPort = await freeUdpPort();
    const server = start('server', ['-s', String(serverPort)]);
    await server.linesAfter(0, 1);
    const xPort = await freeUdpPort();
    const x = start('client-x', ['-c', 'x', '127.0.0.1', String(serverPort), String(xPort)]);
    await x.waitFor('>>> [Welcome, You are registered.]');
    const yPort = await freeUdpPort();
    const y = start('client-y', ['-c', 'y', '127.0.0.1', String(serverPort), String(yPort)]);
    await y.waitFor('>>> [Welcome, You are registered.]');
    await sleep(300);
    heapServer = await HeapServer.start(path.join(tmp, 'heap-server'));
    const serverAddress: Address = { ip: '127.0.0.1', port: serverPort };
    const xAddress: Address = { ip: '127.0.0.1', port: xPort };
    const yAddress: Address = { ip: '127.0.0.1', port: yPort };

    // 1. Fuzz.
    const rssBefore = rssMb(server.pid);
    const heapBefore = await heapServer.heapAfterGcMb();
    const dropsBefore = [serverPort, xPort, heapServer.address.port].map(kernelDrops);
    const fuzz = await runFuzz({
      targets: [serverAddress, xAddress, heapServer.address],
      datagrams: fuzzDatagrams(fuzzTemplates(['x', 'y'], xAddress), options.count, options.seed),
      perSecond: options.rate,
      settleMs: 1500,
    });
    const drops = [serverPort, xPort, heapServer.address.port].map((p, i) => kernelDrops(p) - dropsBefore[i]!);
    console.log(`fuzz: ${fuzz.datagrams} datagrams (${fuzz.unparseable} unparseable, ${fuzz.parseable} parseable) to 3 targets from ${fuzz.sockets} ports in ${fuzz.seconds.toFixed(1)} s`);
    console.log(`fuzz: by kind ${Object.entries(fuzz.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    console.log(`fuzz: kernel receive-buffer drops: server ${drops[0]}, client x ${drops[1]}, heap server ${drops[2]}`);
    console.log(`fuzz: replies to parseable datagrams ${fuzz.repliesToParseable} (${fuzz.parseableBytesReceived} B back for ${fuzz.parseableBytesSent} B sent)`);
    figure('datagrams sent', `${fuzz.datagrams} × 3 targets`, fuzz.datagrams === options.count);
    figure('replies to unparseable datagrams', `${fuzz.repliesToUnparseable} (+ ${fuzz.kernelDropsAtUnparseable} dropped by our own sockets' kernel buffers)`, fuzz.repliesToUnparseable + fuzz.kernelDropsAtUnparseable === 0);
    figure('bytes back ÷ bytes sent, parseable fuzz', (fuzz.parseableBytesReceived / Math.max(1, fuzz.parseableBytesSent)).toFixed(3), fuzz.parseableBytesReceived <= fuzz.parseableBytesSent);
    const alive = [server, x, y].every((p) => p.exitCode === undefined) && heapServer.alive;
    figure('processes alive', `server ${server.exitCode === undefined}, client x ${x.exitCode === undefined}, client y ${y.exitCode === undefined}, heap server ${heapServer.alive}`, alive);

    // A chat round trip right after, typed on x's stdin, to `[Message received by y.]` on its stdout.
    const trips: number[] = [];
    for (let i = 0; i < 5; i++) {
      const mark = x.lines.length;
      const t0 = performance.now();
      x.type(`send y round trip ${i} after the fuzz`);
      const [line] = await x.linesAfter(mark, 1, 5000);
      trips.push(line === '>>> [Message received by y.]' ? performance.now() - t0 : Number.POSITIVE_INFINITY);
      await sleep(20);
    }
    figure('chat round trip right after', `${trips[0]!.toFixed(1)} ms (then ${trips.slice(1).map((t) => t.toFixed(1)).join(', ')} ms)`, trips[0]! < ROUND_TRIP_BUDGET_MS);

    await sleep(6000); // let reply caches and dedup windows (5 s) expire before the heap is measured
    const heapAfter = await heapServer.heapAfterGcMb();
    const rssAfter = rssMb(server.pid);
    figure(
      'in-process server heap after GC',
      `${heapBefore.toFixed(1)} MB → ${heapAfter.toFixed(1)} MB (+${(heapAfter - heapBefore).toFixed(1)} MB, budget +${HEAP_BUDGET_MB} MB)`,
      heapAfter - heapBefore <= HEAP_BUDGET_MB,
    );
    console.log(`info real server process RSS: ${rssBefore?.toFixed(1)} MB → ${rssAfter?.toFixed(1)} MB (not after GC; for information)`);

    // 2. Amplification over the full window.
    const amp = await measureAmplification(amplificationProbes(serverAddress, xAddress, 'x'), { windowMs: options.windowMs, copies: 50, settleMs: 1500 });
    for (const line of formatAmplification(amp)) console.log(`     ${line}`);
    const worst = amp.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    figure(`amplification, every request type over ${options.windowMs} ms`, `worst ${worst.ratio.toFixed(3)} (${worst.target}: ${worst.probe})`, amp.every((f) => f.ratio <= 1.0));

    // 3. Flood from one source while x and y chat through the server and directly.
    if (options.floodSeconds > 0) {
      const flooder = await UdpAttacker.open();
      const latencies: number[] = [];
      let floodRunning = true;
      const floodStart = performance.now();
      const flood = (async () => {
        let n = 0;
        while (performance.now() - floodStart < options.floodSeconds * 1000) {
          const batch: Array<Promise<void>> = [];
          // First handshake messages with fresh ephemeral keys: the most a server does for one datagram (a reply, three X25519 operations).
          for (let i = 0; i < FLOOD_PER_SECOND / 100; i++) {
            batch.push(flooder.send(serverAddress, freshHello()));
            n += 1;
          }
          await Promise.all(batch);
          const ahead = (n / FLOOD_PER_SECOND) * 1000 - (performance.now() - floodStart);
          await sleep(Math.max(0, ahead));
        }
        floodRunning = false;
      })();
      for (let second = 0; floodRunning; second++) {
        await sleep(500);
        if (!floodRunning) break;
        const yMark = y.lines.length;
        const xMark = x.lines.length;
        const t0 = performance.now();
        x.type(`send_all flood check ${second}`);
        x.type(`send y direct flood check ${second}`);
        const channel = `>>> [Channel_Message x: flood check ${second}]`;
        const direct = `>>> x: direct flood check ${second}`;
        const until = t0 + 5000;
        while (!(y.lines.slice(yMark).includes(channel) && y.lines.slice(yMark).includes(direct)) && performance.now() < until) await sleep(1);
        latencies.push(performance.now() - t0);
        await x.linesAfter(xMark, 2, 5000).catch(() => undefined);
        await sleep(500);
      }
      await flood;
      const floodSeconds = (performance.now() - floodStart) / 1000;
      await sleep(1000);
      const lostReplies = kernelDrops(flooder.address.port);
      await flooder.close();
      const bound = HANDSHAKE_LIMITS.perSource.burst + HANDSHAKE_LIMITS.perSource.ratePerSecond * floodSeconds;
      console.log(`flood: ${flooder.sent.datagrams} datagrams in ${floodSeconds.toFixed(1)} s from one socket (${(flooder.sent.datagrams / floodSeconds).toFixed(0)}/s); server kernel drops ${kernelDrops(serverPort) - dropsBefore[0]! - drops[0]!}`);
      const replies = flooder.received.datagrams + lostReplies;
      figure(
        'flood: replies to the flooding source',
        `${replies} (${flooder.received.datagrams} read + ${lostReplies} dropped by its kernel buffer; bound: burst ${HANDSHAKE_LIMITS.perSource.burst} + ${HANDSHAKE_LIMITS.perSource.ratePerSecond}/s × ${floodSeconds.toFixed(1)} s = ${bound.toFixed(0)})`,
        replies > 0 && replies <= bound,
      );
      const worstLatency = Math.max(...latencies);
      figure('flood: x → y channel + direct message during the flood', `worst ${worstLatency.toFixed(0)} ms over ${latencies.length} checks (${latencies.map((l) => l.toFixed(0)).join(', ')} ms)`, latencies.length > 0 && worstLatency < FLOOD_LATENCY_BUDGET_MS);
    }

    // Crashes: stack traces on stderr, error-level log lines, processes that ended.
    const stillAlive = [server, x, y].every((p) => p.exitCode === undefined) && heapServer.alive;
    const traces = [server, x, y].flatMap((p) => stackTraces(p.stderr.join('')));
    const errors = ['server', 'client-x', 'client-y'].flatMap((r) => errorLogLines(logOf(r)).map((l) => `${r}: ${l}`));
    figure('processes alive at the end', String(stillAlive), stillAlive);
    figure('uncaught exceptions (stack traces on stderr)', String(traces.length), traces.length === 0);
    figure('error-level log lines', String(errors.length), errors.length === 0);
    for (const line of [...traces, ...errors].slice(0, 10)) console.log(`     ${line}`);
    for (const [name, p] of [['server', server], ['client x', x], ['client y', y]] as const) {
      const stderr = p.stderr.join('').trim();
      if (stderr) console.log(`info ${name} stderr: ${stderr.slice(0, 500)}`);
    }
  } finally {
    await heapServer?.stop();
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const failed = figures.filter((f) => !f.ok);
  console.log(failed.length === 0 ? `fuzz: all ${figures.length} figures hold` : `fuzz: ${failed.length} of ${figures.length} figures FAILED: ${failed.map((f) => f.name).join('; ')}`);
  return failed.length === 0 ? 0 : 1;
}

if (process.argv[2] === '--child-server') {
  void childServer(process.argv[3]!);
} else {
  main(parseOptions(process.argv.slice(2))).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`fuzz: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
