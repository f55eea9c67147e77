import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SEND_WINDOW } from '../../src/application/client/chat-client';
import { BIN, ensureBuilt } from './build';
import { BenchSetup } from './nodes';
import { benchDirect } from './section-direct';
import { TimedProcess } from './proc';
import { freePort } from './raw-udp';
import type { BenchRow, SectionResult } from './report';
import { median, nowMs, percentile, sleep } from './stats';

const WELCOME = '>>> [Welcome, You are registered.]';
/** Issue 13's targets, each a ratio to its raw baseline in the same run. */
const LATENCY_TARGET_RATIO = 1.2;
const BURST_TARGET_RATIO = 0.8;

/** Run `fn` on the stores and logger the chatapp command uses, in a temp data dir removed afterwards. */
async function withSetup<T>(fn: (setup: BenchSetup) => Promise<T>): Promise<T> {
  const setup = await BenchSetup.create('command');
  try {
    return await fn(setup);
  } finally {
    await setup.close();
  }
}

/**
 * The raw baselines as plain Node programs (no build, no dependencies), run like chatapp:
 * `hello`: bind UDP, send one datagram to argv port, print a line on the answer (start-up);
 * `peer`: each stdin line goes as a datagram to argv port, each answer prints a line;
 * `echo`: answer every datagram (printing it), like the receiving client.
 */
const RAW_PROGRAM = `
const dgram = require('node:dgram');
const [mode, port] = [process.argv[1], Number(process.argv[2])];
const s = dgram.createSocket('udp4');
if (mode === 'hello') {
  s.on('message', () => { process.stdout.write('>>> [raw hello answered]\\n'); s.close(); });
  s.bind(0, '127.0.0.1', () => s.send('hello', port, '127.0.0.1'));
} else if (mode === 'peer' || mode === 'stop-and-wait') {
  // peer sends every line at once; stop-and-wait sends a line only after the previous answer.
  let buf = '';
  const queue = [];
  let waiting = false;
  const next = () => {
    if (waiting || queue.length === 0) return;
    s.send(queue.shift(), port, '127.0.0.1');
    waiting = mode === 'stop-and-wait';
  };
  s.on('message', () => {
    process.stdout.write('>>> [raw received by peer.]\\n');
    waiting = false;
    next();
  });
  s.bind(0, '127.0.0.1', () => {
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      buf += chunk;
      const lines = buf.split('\\n');
      buf = lines.pop();
      queue.push(...lines);
      if (mode === 'peer') while (queue.length > 0) next();
      else next();
    });
  });
} else {
  s.on('message', (d, r) => { process.stdout.write('>>> peer: ' + d.toString() + '\\n'); s.send('ack', r.port, r.address); });
  s.bind(port, '127.0.0.1', () => process.stdout.write('ready\\n'));
}
`;

function raw(mode: 'hello' | 'peer' | 'stop-and-wait' | 'echo', port: number): TimedProcess {
  return new TimedProcess(['-e', RAW_PROGRAM, mode, String(port)]);
}

/**
 * (6) The real `chatapp` processes: `chatapp -c …` from spawn to the welcome line (6a), a
 * direct message typed on one client's stdin to the `[Message received by …]` line on its
 * stdout one at a time (6b) and as a burst of lines written at once (6c), each against plain
 * Node programs doing the same over dgram and stdio in the same run; and the clients' send →
 * ACK in one process against a dgram ping-pong (6d, section 1's figure).
 */
export async function benchCli(options: { starts: number; messages: number; burst: number; burstRounds: number; directMessages: number }): Promise<Omit<SectionResult, 'seconds'>> {
  ensureBuilt();
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'chatapp-cli-'));
  const procs: TimedProcess[] = [];
  const rows: BenchRow[] = [];
  try {
    const serverPort = await freePort();
    const server = new TimedProcess([BIN, '-s', String(serverPort), '--data-dir', base]);
    procs.push(server);
    await server.waitLine((l) => l.startsWith('>>> [Server listening'), 0, 30_000);

    // Start-up: spawn → welcome, against spawn → first answer of a raw program.
    const starts: number[] = [];
    const rawStarts: number[] = [];
    const echoPort = await freePort();
    const echo = raw('echo', echoPort);
    procs.push(echo);
    await echo.waitLine((l) => l === 'ready');
    for (let i = 0; i < options.starts; i++) {
      const hello = raw('hello', echoPort);
      const h = await hello.waitLine((l) => l.startsWith('>>> [raw hello'));
      rawStarts.push(hello.lines[h]!.atMs - hello.startedAtMs);
      await hello.stop();
      const client = new TimedProcess([BIN, '-c', `start${i}`, '127.0.0.1', String(serverPort), String(await freePort()), '--data-dir', base]);
      const w = await client.waitLine((l) => l === WELCOME);
      starts.push(client.lines[w]!.atMs - client.startedAtMs);
      client.endInput();
      await client.stop();
    }
    rows.push({
      section: '6',
      figure: '6a. chatapp -c: spawn → welcome line',
      value: median(starts),
      unit: 'ms',
      baseline: median(rawStarts),
      baselineLabel: 'node -e: spawn → UDP answer printed',
      ratio: median(starts) / median(rawStarts),
      target: '< 500 ms',
      met: median(starts) < 500,
    });

    // Direct messages through two real clients.
    const a = new TimedProcess([BIN, '-c', 'alice', '127.0.0.1', String(serverPort), String(await freePort()), '--data-dir', base]);
    procs.push(a);
    await a.waitLine((l) => l === WELCOME);
    const b = new TimedProcess([BIN, '-c', 'bob', '127.0.0.1', String(serverPort), String(await freePort()), '--data-dir', base]);
    procs.push(b);
    await b.waitLine((l) => l === WELCOME);
    // alice must have bob in her table before the first message.
    await a.waitCount((l) => l === '>>> [Client table updated.]', 2);
    const echoPort2 = await freePort();
    const echo2 = raw('echo', echoPort2);
    procs.push(echo2);
    await echo2.waitLine((l) => l === 'ready');
    const peer = raw('stop-and-wait', echoPort2);
    procs.push(peer);
    const pipelined = raw('peer', echoPort2);
    procs.push(pipelined);
    await sleep(200);

    const isAck = (l: string): boolean => l === '>>> [Message received by bob.]';
    const isRawAck = (l: string): boolean => l === '>>> [raw received by peer.]';
    const one = async (proc: TimedProcess, line: string, match: (l: string) => boolean): Promise<number> => {
      const from = proc.lines.length;
      const t = nowMs();
      proc.write(`${line}\n`);
      const i = await proc.waitLine(match, from);
      return proc.lines[i]!.atMs - t;
    };
    const app: number[] = [];
    const rawOne: number[] = [];
    for (let i = 0; i < options.messages; i++) {
      rawOne.push(await one(peer, `send bob message ${i}`, isRawAck));
      app.push(await one(a, `send bob message ${i}`, isAck));
    }
    const p50 = percentile(app, 50);
    const r50 = percentile(rawOne, 50);
    rows.push({
      section: '6',
      figure: '6b. line typed → "[Message received by bob.]" p50',
      value: p50 * 1000,
      unit: 'µs',
      baseline: r50 * 1000,
      baselineLabel: 'raw stdin → dgram → echo → stdout p50',
      ratio: p50 / r50,
      target: `≤ ${LATENCY_TARGET_RATIO}× raw`,
      met: p50 / r50 <= LATENCY_TARGET_RATIO,
    });
    rows.push({ section: '6', figure: '  same, p99', value: percentile(app, 99) * 1000, unit: 'µs', baseline: percentile(rawOne, 99) * 1000, ratio: percentile(app, 99) / percentile(rawOne, 99) });

    // A burst written at once: every line delivered and ACKed, messages per second.
    const burst = async (proc: TimedProcess, match: (l: string) => boolean, delivered: TimedProcess, deliveredMatch: (l: string) => boolean): Promise<number> => {
      const from = proc.lines.length;
      const dFrom = delivered.lines.length;
      const text = Array.from({ length: options.burst }, (_, i) => `send bob burst line ${i}\n`).join('');
      const t = nowMs();
      proc.write(text);
      const last = await proc.waitCount(match, options.burst, from, 60_000);
      await delivered.waitCount(deliveredMatch, options.burst, dFrom, 10_000);
      return options.burst / ((last - t) / 1000);
    };
    // Rounds alternate so the machine's drift falls on both; each figure is the median round.
    const rawRates: number[] = [];
    const appRates: number[] = [];
    const bobShowsInOrder: boolean[] = [];
    for (let round = 0; round < options.burstRounds; round++) {
      rawRates.push(await burst(peer, isRawAck, echo2, (l) => l.startsWith('>>> peer: send bob burst')));
      const shownFrom = b.lines.length;
      appRates.push(await burst(a, isAck, b, (l) => l.startsWith('>>> alice: burst line')));
      const shown = b.lines.slice(shownFrom).map((l) => l.text).filter((l) => l.startsWith('>>> alice: burst line ')).map((l) => Number(l.slice('>>> alice: burst line '.length)));
      bobShowsInOrder.push(shown.every((n, i) => n === i));
    }
    const pipelinedRate = await burst(pipelined, isRawAck, echo2, (l) => l.startsWith('>>> peer: send bob burst'));
    const appRate = median(appRates);
    const rawRate = median(rawRates);
    if (bobShowsInOrder.includes(false)) throw new Error('bob did not show a burst in the order typed');
    rows.push({
      section: '6',
      figure: `6c. burst of ${options.burst} lines on stdin, all ACKed and shown`,
      value: appRate,
      unit: 'msg/s',
      baseline: rawRate,
      baselineLabel: 'raw stop-and-wait, same burst',
      ratio: appRate / rawRate,
      target: `≥ ${BURST_TARGET_RATIO}× raw`,
      met: appRate / rawRate >= BURST_TARGET_RATIO,
    });
    rows.push({ section: '6', figure: '  raw without waiting for answers (pipelined)', value: pipelinedRate, unit: 'msg/s', note: 'what a client sending ahead of ACKs could approach' });

    // The same clients' send → ACK inside one process (section 1's figure), so this section
    // shows that the console path's gains cost the exchange itself nothing.
    const direct = await withSetup((setup) => benchDirect(setup, { messages: options.directMessages }));
    const p50Row = direct.rows[0]!;
    rows.push({ ...p50Row, section: '6', figure: '6d. direct send → ACK p50 (in one process, file stores)' });
    return {
      id: 6,
      title: 'the chatapp processes',
      setup: 'the chatapp command itself (server and clients as processes): file stores in a temp --data-dir (each client writes the ids it shows), winston log files at info; removed afterwards',
      rows,
      notes: [
        `real processes of the compiled CLI (node bin/chatapp.js) on 127.0.0.1 with default options (file stores, winston log file at info), stdin/stdout pipes; start-up is the median of ${options.starts}; ` +
          `${options.messages} messages one at a time (each typed after the previous one's ACK line), raw interleaved; the burst is ${options.burst} lines in one write, ${options.burstRounds} rounds alternating with the raw one, median round. ` +
          `The client keeps up to ${SEND_WINDOW} sends in flight (bob showed every burst in the order typed); the baseline is the raw programs' stop-and-wait, a ratio above 1 means faster than it. ` +
          'Each shown id is written to the seen store before the ACK; its fsync follows within 20 ms.',
        ...direct.notes.map((n) => `6d: ${n}`),
      ],
    };
  } finally {
    for (const p of procs.reverse()) {
      p.endInput();
      await p.stop();
    }
    await fsp.rm(base, { recursive: true, force: true });
  }
}
