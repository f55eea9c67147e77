import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, ensureBuilt } from './build';
import { TimedProcess } from './proc';
import { freePort } from './raw-udp';
import type { BenchRow, SectionResult } from './report';
import { median, nowMs, percentile, sleep } from './stats';

const WELCOME = '>>> [Welcome, You are registered.]';

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
 * (6) The real `chatapp` processes: `chatapp -c …` from spawn to the welcome line, and a
 * direct message typed on one client's stdin to the `[Message received by …]` line on its
 * stdout (one at a time, then a burst of lines written at once). Baselines: plain Node
 * programs doing the same over dgram and stdio.
 */
export async function benchCli(options: { starts: number; messages: number; burst: number }): Promise<Omit<SectionResult, 'seconds'>> {
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
      figure: 'chatapp -c: spawn → welcome line',
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
      figure: 'stdin "send bob …" → "[Message received by bob.]" p50',
      value: p50 * 1000,
      unit: 'µs',
      baseline: r50 * 1000,
      baselineLabel: 'raw stdin→dgram→echo→stdout p50',
      ratio: p50 / r50,
      target: '< 500 µs',
      met: p50 < 0.5,
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
    const rawRate = await burst(peer, isRawAck, echo2, (l) => l.startsWith('>>> peer: send bob burst'));
    const appRate = await burst(a, isAck, b, (l) => l.startsWith('>>> alice: burst line'));
    const pipelinedRate = await burst(pipelined, isRawAck, echo2, (l) => l.startsWith('>>> peer: send bob burst'));
    rows.push({
      section: '6',
      figure: `burst of ${options.burst} lines on stdin, all ACKed and shown`,
      value: appRate,
      unit: 'msg/s',
      baseline: rawRate,
      baselineLabel: 'raw stop-and-wait, same burst',
      ratio: appRate / rawRate,
      target: '> 2,500 msg/s',
      met: appRate > 2500,
    });
    rows.push({ section: '6', figure: '  raw without waiting for answers (pipelined)', value: pipelinedRate, unit: 'msg/s', note: 'what a client sending ahead of ACKs could approach' });
    return {
      id: 6,
      title: 'the chatapp processes',
      setup: 'the chatapp command itself (server and clients as processes): file stores in a temp --data-dir (each client fsyncs the ids it shows), winston log files at info; removed afterwards',
      rows,
      notes: [
        `real processes of the compiled CLI (node bin/chatapp.js) on 127.0.0.1 with default options (file stores, winston log file at info), stdin/stdout pipes; start-up is the median of ${options.starts}; ` +
          `${options.messages} messages one at a time (each typed after the previous one's ACK line), raw interleaved; the burst is ${options.burst} lines in one write (the client runs them one after another, each waiting for its ACK). ` +
          'The client sends a message only after the previous one is ACKed (commands run in order), so the burst baseline is the raw programs doing the same stop-and-wait; burst ratio is app rate over raw rate (higher is better).',
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
