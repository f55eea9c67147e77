import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SeededRandom } from '../../src/adapters/in-memory/seeded-random';
import { ChatAppProcess, freeUdpPort } from './chatapp-process';
import { RedisServerProcess, uniquePrefix } from './redis-server';

/** Server instances of the system; one is killed at a time and restarted on its port. */
const INSTANCES = 3;
/** Clients typing saves, `send_all`s and dereg/reg cycles. */
const WRITERS = 5;
/** How long a command may take before it counts as unanswered (a move takes about 2.5 s). */
const COMMAND_MS = 12_000;

const SAVED = '>>> [Messages received by the server and saved]';
const CHANNEL_ACK = '>>> [Message received by Server.]';
const OFFLINE = '>>> [You are Offline. Bye.]';
const WELCOME = '>>> [Welcome, You are registered.]';
const DIRECT_TO_R = '>>> [Message received by r.]';
/**
 * The line that ends a save (`send r …`) and the one that ends a `send_all`: its ACK, a refusal,
 * or the server's silence. One pattern per kind, so that a line of one kind of command can never
 * be taken for the answer of the other.
 */
const SAVE_ANSWER = /^>>> \[(Messages received by the server and saved|Message received by r\.|Error: .*|Client r exists!!|Server not responding)\]$/;
const CHANNEL_ANSWER = /^>>> \[(Message received by Server\.|Error: .*|Server not responding\.)\]$/;
/**
 * What a `send_all` prints after its ACK when r's mailbox cannot keep r's copy. It may reach the
 * pipe after the ACK line, in a later write, so it is no command's answer: taken for the answer
 * of the command typed next, it shifted every later answer by one command, and a save refused
 * for a full mailbox was counted ACKed with the line of the save before it (and then "lost").
 */
const MEMBER_FULL = /^>>> \[Error: the mailbox(?:es)? of .* (?:is|are) full; .* will not get this message\.\]$/;

/** Jepsen-style counts of one run of instance kills, from what the clients printed. */
export interface InstanceKillFigures {
  readonly kills: number;
  /** Saves and `send_all`s typed. */
  readonly attempted: number;
  /** Of those, ACKed (the client printed the server's ACK line). */
  readonly acked: number;
  /** ACKed saves the recipient never showed, and ACKed channel messages a member never showed. */
  readonly lost: number;
  /** Shown more than once by one client. */
  readonly duplicated: number;
  /** Shown but never typed. */
  readonly unexpected: number;
  /** Commands without their ACK line within COMMAND_MS, or refused (either outcome is allowed for the message). */
  readonly unanswered: number;
  /** Clients that printed `[Exiting]` (every one must find a live instance). */
  readonly exited: number;
  /** Over every kill, the longest time until every client had a command ACKed after it. */
  readonly servedAgainMaxMs: number;
}

interface Writer {
  readonly name: string;
  readonly proc: ChatAppProcess;
  /** Times (ms since the epoch) of the answers to its commands, in order. */
  readonly acks: number[];
  /** What it typed and saw, with times (kept for CHATAPP_KILL_DEBUG). */
  readonly events: Array<{ readonly at: number; readonly what: string }>;
}

/** Wait until `done`, polling; true if it came within `ms`. */
async function within(done: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; !done(); ) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

/**
 * Whether a line printed since index `from` passes `test`. Only the new lines are read: the
 * processes print tens of thousands of lines, and scanning them all on every poll would starve
 * this process's event loop (and skew every time it measures).
 */
function printedSince(lines: readonly string[], from: number, test: (line: string) => boolean): boolean {
  return firstSince(lines, from, test) >= 0;
}

/**
 * The answer to the save (`channel` false) or `send_all` typed when the client had printed `from`
 * lines: the first of its kind's answer lines since, and whether it is the ACK (the command's
 * own answer line says so, not any line printed since). Undefined while there is none yet.
 */
export function commandAnswer(lines: readonly string[], from: number, channel: boolean): { readonly index: number; readonly acked: boolean } | undefined {
  const index = firstSince(lines, from, (l) => !MEMBER_FULL.test(l) && (channel ? CHANNEL_ANSWER : SAVE_ANSWER).test(l));
  if (index < 0) return undefined;
  const line = lines[index]!;
  return { index, acked: channel ? line === CHANNEL_ACK : line === SAVED || line === DIRECT_TO_R };
}

/** The index of the first line from `from` on that passes `test`, or -1. */
function firstSince(lines: readonly string[], from: number, test: (line: string) => boolean): number {
  for (let i = from; i < lines.length; i++) if (test(lines[i]!)) return i;
  return -1;
}

/**
 * `kills` times: `kill -9` a random instance of three `chatapp -s --redis` processes on one
 * Redis (AOF always) while five clients type saves to an offline recipient, `send_all`s and
 * dereg/reg cycles, and start it again on its port a moment later. Then the recipient logs in,
 * every writer logs out and in (to get what was stored for it), and the checker counts, from
 * the lines the clients printed (never from the stores it is checking): every ACKed save shown
 * once by the recipient, every ACKed channel message shown once by every other writer.
 * `skipFinalLogIn` (a negative control) leaves out the recipient's last log-in: what was
 * stored for it since its last visit must then be counted lost. `CHATAPP_KILL_DEBUG=1` keeps
 * every process's log and output in the data directory and prints what is missing; a run that
 * lost something (but the negative control) prints it and keeps the clients' lines anyway.
 */
export async function runInstanceKills(options: { kills: number; seed: number; skipFinalLogIn?: boolean; progress?: (line: string) => void }): Promise<InstanceKillFigures> {
  const random = new SeededRandom(options.seed);
  const redis = await RedisServerProcess.start();
  const prefix = uniquePrefix('instance-kills');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-instance-kills-'));
  const ports: number[] = [];
  for (let i = 0; i < INSTANCES; i++) ports.push(await freeUdpPort());
  const servers = ports.map((p) => `127.0.0.1:${p}`).join(',');
  const instances: ChatAppProcess[] = [];
  const everything: ChatAppProcess[] = [];
  const startInstance = async (i: number): Promise<ChatAppProcess> => {
    const debug = process.env.CHATAPP_KILL_DEBUG ? ['--log-file', path.join(dataDir, `instance-${i}-${Date.now()}.log`), '--log-level', 'debug'] : [];
    const proc = new ChatAppProcess(['-s', String(ports[i]), '--redis', redis.url, '--redis-prefix', prefix, '--server-key', redis.serverKeyFile, '--advertise', '127.0.0.1', '--data-dir', dataDir, ...debug]);
    everything.push(proc);
    await proc.linesAfter(0, 1, 10_000);
    instances[i] = proc;
    return proc;
  };
  const startClient = async (name: string, at: number): Promise<ChatAppProcess> => {
    const debug = process.env.CHATAPP_KILL_DEBUG ? ['--log-file', path.join(dataDir, `client-${name}.log`), '--log-level', 'debug'] : [];
    const proc = new ChatAppProcess(['-c', name, '127.0.0.1', String(ports[at]), String(await freeUdpPort()), '--servers', servers, '--data-dir', dataDir, ...debug]);
    everything.push(proc);
    // Registered once confirmed: the table line follows the confirm (the welcome comes before it).
    await proc.waitFor('>>> [Client table updated.]', 10_000);
    return proc;
  };
  let attempted = 0;
  const ackedSaves = new Set<string>();
  const ackedChannel = new Map<string, string>();
  const typed = new Set<string>();
  let unanswered = 0;
  let keep = false;
  try {
    for (let i = 0; i < INSTANCES; i++) await startInstance(i);
    // Every instance has heard of the others (heartbeats each second) before clients arrive.
    await sleep(1_200);
    const recipient = await startClient('r', 0);
    recipient.type('dereg r');
    await recipient.waitFor(OFFLINE, 10_000);
    const writers: Writer[] = [];
    for (let w = 0; w < WRITERS; w++) writers.push({ name: `w${w}`, proc: await startClient(`w${w}`, w % INSTANCES), acks: [], events: [] });

    let running = true;
    const loop = async (writer: Writer, seed: number): Promise<void> => {
      const own = new SeededRandom(seed);
      for (let k = 0; running; k++) {
        const { proc } = writer;
        if (proc.exitCode !== undefined) return;
        const note = (what: string): void => {
          writer.events.push({ at: Date.now(), what: `${what} | last: ${proc.lines.at(-1) ?? ''}` });
        };
        const roll = own.next();
        if (roll < 0.1) {
          // A dereg/reg cycle: the session moves, messages meanwhile are stored for it.
          const mark = proc.lines.length;
          note('dereg');
          proc.type(`dereg ${writer.name}`);
          const off = await within(() => printedSince(proc.lines, mark, (l) => l === OFFLINE) || proc.exitCode !== undefined, COMMAND_MS);
          note(off ? 'dereg answered' : 'dereg unanswered');
          if (!off) continue;
          const welcomed = proc.lines.length;
          proc.type(`reg ${writer.name}`);
          note('reg');
          note((await within(() => printedSince(proc.lines, welcomed, (l) => l === WELCOME) || proc.exitCode !== undefined, COMMAND_MS)) ? 'reg answered' : 'reg unanswered');
          continue;
        }
        const channel = roll < 0.4;
        const id = `${channel ? 'c' : 'm'}-${writer.name}-${k}`;
        const from = proc.lines.length;
        attempted += 1;
        typed.add(id);
        proc.type(channel ? `send_all ${id}` : `send r ${id}`);
        note(id);
        if (!(await within(() => commandAnswer(proc.lines, from, channel) !== undefined, COMMAND_MS))) {
          unanswered += 1;
          note(`${id} unanswered`);
          continue;
        }
        note(`${id} answered`);
        // An answer, even a refusal (a full mailbox), is the system serving the client.
        writer.acks.push(Date.now());
        if (commandAnswer(proc.lines, from, channel)!.acked) {
          if (channel) ackedChannel.set(id, writer.name);
          else ackedSaves.add(id);
        }
      }
    };
    const loops = writers.map((w, i) => loop(w, options.seed * 31 + i));

    let servedAgainMaxMs = 0;
    for (let kill = 0; kill < options.kills; kill++) {
      await sleep(300 + Math.floor(random.next() * 700));
      const victim = Math.floor(random.next() * INSTANCES);
      const killedAt = Date.now();
      await instances[victim]!.kill('SIGKILL');
      await sleep(1_000);
      await startInstance(victim);
      // Every client is served again: each has a command ACKed after the kill.
      const served = await within(() => writers.every((w) => w.proc.exitCode !== undefined || (w.acks.at(-1) ?? 0) > killedAt), 15_000);
      if (!served && process.env.CHATAPP_KILL_DEBUG) {
        for (const w of writers) if (!((w.acks.at(-1) ?? 0) > killedAt)) process.stderr.write(`not served after kill ${kill} (instance ${victim}): ${w.name}, last lines:\n  ${w.proc.lines.slice(-6).join('\n  ')}\n`);
      }
      const last = Math.max(...writers.map((w) => w.acks.find((t) => t > killedAt) ?? Date.now()));
      servedAgainMaxMs = Math.max(servedAgainMaxMs, served ? last - killedAt : Infinity);
      if (process.env.CHATAPP_KILL_DEBUG && (!served || last - killedAt > 5_000)) {
        const slowest = writers.reduce((a, b) => ((a.acks.find((t) => t > killedAt) ?? Infinity) >= (b.acks.find((t) => t > killedAt) ?? Infinity) ? a : b));
        process.stderr.write(`kill ${kill} of instance ${victim} (port ${ports[victim]}): ${slowest.name} served again after ${last - killedAt} ms; its events:\n`);
        for (const e of slowest.events.filter((e) => e.at > killedAt - 3_000 && e.at < last + 1_000)) process.stderr.write(`  +${e.at - killedAt} ms ${e.what}\n`);
      }
      // The recipient logs in and out, so its mailbox never reaches the quota.
      const welcomed = recipient.lines.length;
      recipient.type('reg r');
      if (await within(() => printedSince(recipient.lines, welcomed, (l) => l === WELCOME), COMMAND_MS)) {
        await sleep(200);
        const offline = recipient.lines.length;
        recipient.type('dereg r');
        await within(() => printedSince(recipient.lines, offline, (l) => l === OFFLINE), COMMAND_MS);
      }
      if ((kill + 1) % 10 === 0) options.progress?.(`${kill + 1} instance kills`);
    }
    running = false;
    await Promise.all(loops);

    // What was stored for the recipient, and for writers while they were offline or unreachable.
    if (!options.skipFinalLogIn) recipient.type('reg r');
    for (const writer of writers) {
      if (writer.proc.exitCode !== undefined) continue;
      writer.proc.type(`dereg ${writer.name}`);
      await within(() => writer.proc.lines.at(-1) === OFFLINE, COMMAND_MS);
      writer.proc.type(`reg ${writer.name}`);
    }
    // Until nothing new is printed for longer than a push's whole schedule (a try, a probe, five
    // more tries, then the copy stored and delivered): about 4 s.
    let printed = -1;
    while (printed !== everything.reduce((n, p) => n + p.lines.length, 0)) {
      printed = everything.reduce((n, p) => n + p.lines.length, 0);
      await sleep(8_000);
    }

    let lost = 0;
    let duplicated = 0;
    let unexpected = 0;
    const tally = (lines: readonly string[], pattern: RegExp): Map<string, number> => {
      const shown = new Map<string, number>();
      for (const line of lines) {
        const id = pattern.exec(line)?.[1];
        if (id !== undefined) shown.set(id, (shown.get(id) ?? 0) + 1);
      }
      return shown;
    };
    // Shown live (r online for a moment) or stored.
    const saves = tally(recipient.lines, /^>>> w\d+: (?:\S+ \S+ )?(m-w\d+-\d+)$/);
    lost += [...ackedSaves].filter((id) => !saves.has(id)).length;
    for (const [id, n] of saves) {
      if (n > 1) duplicated += 1;
      if (!typed.has(id)) unexpected += 1;
    }
    for (const writer of writers) {
      const shown = tally(writer.proc.lines, /^>>> (?:\[Channel_Message w\d+: |Channel_Message w\d+: \S+ \S+ )(c-w\d+-\d+)\]?$/);
      for (const [id, from] of ackedChannel) if (from !== writer.name && !shown.has(id)) lost += 1;
      for (const [id, n] of shown) {
        if (n > 1) duplicated += 1;
        if (!typed.has(id)) unexpected += 1;
      }
    }
    // What was lost is told, and the clients' lines and events kept, whenever something was:
    // a loss too rare to catch again with debug logs on must still say what it was.
    if (lost > 0 && !options.skipFinalLogIn) keep = true;
    if (process.env.CHATAPP_KILL_DEBUG || keep) {
      process.stderr.write(`lost saves: ${[...ackedSaves].filter((id) => !saves.has(id)).slice(0, 10).join(' ')} of ${ackedSaves.size}\n`);
      for (const writer of writers) {
        const shown = tally(writer.proc.lines, /^>>> (?:\[Channel_Message w\d+: |Channel_Message w\d+: \S+ \S+ )(c-w\d+-\d+)\]?$/);
        const missing = [...ackedChannel].filter(([id, from]) => from !== writer.name && !shown.has(id)).map(([id]) => id);
        if (missing[0]) process.stderr.write(`  line: ${JSON.stringify(writer.proc.lines.find((l) => l.includes(missing[0]!)))}\n`);
        const shownBy = (id: string): string => writers.filter((w) => w.proc.lines.some((l) => l.endsWith(` ${id}`) || l.endsWith(` ${id}]`))).map((w) => w.name).join('+');
        process.stderr.write(`${writer.name}: missing ${missing.length} channel, e.g. ${missing.slice(0, 5).map((id) => `${id}(shown by ${shownBy(id)})`).join(' ')}\n`);
      }
      for (const writer of writers) {
        fs.writeFileSync(path.join(dataDir, `${writer.name}.out`), writer.proc.lines.join('\n'));
        fs.writeFileSync(path.join(dataDir, `${writer.name}.events`), writer.events.map((e) => `${new Date(e.at).toISOString()} ${e.what}`).join('\n'));
      }
      fs.writeFileSync(path.join(dataDir, 'r.out'), recipient.lines.join('\n'));
      process.stderr.write(`recipient last lines:\n  ${recipient.lines.slice(-5).join('\n  ')}\n`);
    }
    const exited = [recipient, ...writers.map((w) => w.proc)].filter((p) => p.lines.includes('>>> [Exiting]')).length;
    return {
      kills: options.kills,
      attempted,
      acked: ackedSaves.size + ackedChannel.size,
      lost,
      duplicated,
      unexpected,
      unanswered,
      exited,
      servedAgainMaxMs,
    };
  } finally {
    await Promise.all(everything.map((p) => p.kill('SIGKILL')));
    await redis.stop();
    if (process.env.CHATAPP_KILL_DEBUG || keep) process.stderr.write(`logs kept in ${dataDir}\n`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
