import { identityOf, sealedStored, testE2e } from './peer-keys';
import { storedContext } from '../../src/application/protocol/sealing';
import 'reflect-metadata';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChatEvent } from '../../src/application/ports/chat-view';
import { REGISTER_MIN_BYTES, isReply, type Message, type MessageOf, type Reply } from '../../src/application/protocol/envelope';
import { decodeLines } from '../../src/adapters/fs/checksummed-lines';
import { FsChannelLog } from '../../src/adapters/fs/fs-channel-log';
import { FsMailboxStore } from '../../src/adapters/fs/fs-mailbox-store';
import { FsRegistryStore } from '../../src/adapters/fs/fs-registry-store';
import { SeededRandom } from '../../src/adapters/in-memory/seeded-random';
import { decodeDatagram, encodeMessage } from '../../src/adapters/wire/envelope-codec';
import { SecureLink } from '../../src/adapters/wire/link/secure-link';
import { staticKeyPairFromPem } from '../../src/adapters/wire/noise/noise-xx';
import { RecordingLogger } from './recording-logger';
import { serverDataDir } from '../../src/composition/data-dir';
import { FAILPOINTS, type FailpointName } from '../../src/composition/failpoints';
import { nameKey } from '../../src/domain/nickname';
import { DeliveryChecker, type SentMessage } from './delivery-checker';
import { InboundScreen } from './inbound-screen';

/**
 * The crash test of issue 4 (SPEC §5 "Nothing lost"): a real server process (`bin/chatapp.js -s
 * <port> --data-dir <dir>`) is killed with SIGKILL again and again, while raw UDP clients in this
 * process, speaking the wire format directly, keep a stream of saves, send_alls and dereg/reg
 * (which drive mailbox deliveries) going; each time the server restarts on the same data
 * directory. A kill comes at a random moment of the start-up (recovery included) or of the first
 * moments of service; some runs arm a named failpoint (CHATAPP_FAILPOINT) where the server kills
 * itself instead. The network loses some of the server's pushes to the clients, so pushes are
 * retransmitted, members probed and marked offline, messages stored for them, and a kill can land
 * in the middle of all that. At the end a server runs undisturbed, every client logs in, and
 * whatever is stored is delivered (the drain). The clients know exactly which saves and
 * send_alls were ACKed, record everything their sockets receive, and hand every push to the real
 * client's inbound handling (ClientInbound in a container of its own, see inbound-screen.ts),
 * which decides what is ACKed and shown, as for a user:
 *
 * - attempted: saves and send_alls sent (distinct ids);
 * - acked: those the server ACKed (save → `saved`, send_all → `ok`);
 * - lost: (ACKed message, recipient) pairs the recipient's real client never showed by the end
 *   of the drain (whether still in a store, gone, or received but refused);
 * - redelivered_after_ack: counted at each client's raw socket, every arrival of a (message,
 *   recipient) pair (a channel push, or an item of a stored batch) after that recipient had
 *   already sent the server an ACK for a datagram carrying it: retransmissions that crossed the
 *   ACK, and deliveries again by a later server run that could not know (an ACK or a removal
 *   lost in a kill). Not a failure by itself: what matters is whether the user sees it twice;
 * - shown_twice: what a user would see twice: the checker counts the messages the real inbound
 *   handling asks its view to show, per recipient, by sender and text (every text is unique);
 *   each show of a message beyond the first counts one. It never asks the client's dedup;
 * - unexpected: deliveries of something never sent, to someone it was not for, or altered;
 * - torn_tails_dropped: distinct torn last records found in the store files after a kill (each
 *   of which the next server had to drop), plus any the stores report when reopened at the end.
 */
export interface CrashRunOptions {
  readonly kills: number;
  readonly seed: number;
  /** Share of runs that arm a failpoint (the five in turn). */
  readonly failpointShare?: number;
  /** Where the server keeps its data; a fresh temp dir (removed after) if unset. */
  readonly dataDir?: string;
  /** The server's log level (its log is `<dataDir>/logs/server-<port>.log`); default warn. */
  readonly serverLogLevel?: 'error' | 'warn' | 'info' | 'debug';
  readonly progress?: (line: string) => void;
  /** Keep a trace of what each client sent and received; lost messages are then explained in `problems`. */
  readonly trace?: boolean;
}

export interface CrashFigures {
  attempted: number;
  acked: number;
  lost: number;
  redelivered_after_ack: number;
  shown_twice: number;
  unexpected: number;
  torn_tails_dropped: number;
  runs: number;
  seconds: number;
  saves_acked: number;
  send_alls_acked: number;
  deliveries_expected: number;
  deliveries: number;
  kills_external: number;
  kills_during_startup: number;
  /** Log-ins again in the final drain (clients still missing messages after a quiet spell). */
  drain_rejoins: number;
  /** The most messages one mailbox held after a kill (the quota is 1,000). */
  largest_mailbox: number;
  /** Sends skipped because a recipient was BACKLOG_LIMIT messages behind. */
  throttled: number;
  failpoint_runs: Record<string, number>;
  failpoints_fired: Record<string, number>;
}

export interface CrashRunResult {
  readonly figures: CrashFigures;
  /** Anything wrong beyond the figures (a server that would not start, a message still stored…). */
  readonly problems: string[];
  readonly seed: number;
}

const IP = '127.0.0.1';
const BIN = path.resolve(__dirname, '../../bin/chatapp.js');
const CLIENTS = 6;
/** Raw clients retransmit faster than a real one (500 ms): more exchanges fit a server's short life. */
const RETRY_MS = 25;
/** 2.5 s of tries, then the sender is told it failed (and not counted as ACKed). */
const REQUEST_TRIES = 100;
/** Share of the server's pushes (channel, stored, probe, table) the network loses on the way to a client. */
const PUSH_LOSS = 0.15;
const FAILPOINT_PROBABILITY: Record<FailpointName, number> = {
  'before-fsync': 0.02,
  'after-fsync-before-ack': 0.03,
  'after-ack': 0.05,
  'during-rewrite': 0.05,
  'torn-write': 0.03,
};
/** Share of the plain runs killed during start-up (at a uniform moment of a typical start-up). */
const STARTUP_KILL_SHARE = 0.3;
/** The other plain runs are killed at a uniform moment this long after the server listens. */
const SERVE_MAX_MS = 250;
/** A failpoint run whose point did not fire is killed at a uniform moment this long after it listens. */
const FAILPOINT_SERVE_MAX_MS = 400;
const HUNG_START_MS = 10_000;
const SETTLE_QUIET_MS = 8_000;
/** In the drain, a quiet spell this long makes the clients still missing messages log in again. */
const SETTLE_REJOIN_MS = 2_000;
const SETTLE_MAX_MS = 60_000;
const MAX_PROBLEMS_LISTED = 25;
/** A recipient this many ACKed messages behind gets no more until it catches up (flow control). */
const BACKLOG_LIMIT = 200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One server process on the data directory. */
class ServerProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly ready: Promise<void>;
  readonly startedAt = Date.now();
  isReady = false;
  readyAfterMs: number | undefined;
  fired: string | undefined;
  private stderr = '';
  private stdout = '';
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(port: number, baseDir: string, failpoint: FailpointName | undefined, logLevel: string) {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env['CHATAPP_FAILPOINT'];
    if (failpoint) env['CHATAPP_FAILPOINT'] = `${failpoint}:${FAILPOINT_PROBABILITY[failpoint]}`;
    this.child = spawn(process.execPath, [BIN, '-s', String(port), '--data-dir', baseDir, '--log-level', logLevel], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.end();
    let markReady: () => void = () => undefined;
    this.ready = new Promise((resolve) => { markReady = resolve; });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.stdout += chunk;
      if (!this.isReady && this.stdout.includes('[Server listening on')) {
        this.isReady = true;
        this.readyAfterMs = Date.now() - this.startedAt;
        markReady();
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
      this.fired ??= /failpoint ([a-z-]+) fired/.exec(this.stderr)?.[1];
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  get output(): string {
    return `stdout: ${this.stdout.trim()}\nstderr: ${this.stderr.trim()}`;
  }
}

/** A client speaking the wire format from its own UDP socket, and recording what it receives. */
class RawClient {
  readonly key: string;
  readonly secret: string;
  token = '';
  state: 'joining' | 'online' | 'offline' = 'joining';
  /** Whether the network drops some of the server's pushes to this client (off for the final drain). */
  lossy = true;
  offlineUntil = 0;
  /** The real client's handling of what this client receives, and what it showed. */
  readonly screen: InboundScreen;
  private readonly socket = dgram.createSocket('udp4');
  /** Its secure session with the server, as the real client has (under the name's key, which its registrations claim). */
  private readonly link: SecureLink;
  private readonly pending = new Map<string, (reply: Reply) => void>();
  /** The items each push datagram carried, by datagram id, for when its ACK goes out. */
  private readonly carried = new Map<string, ReadonlyArray<{ from: string; id: string }>>();
  private counter = 0;

  constructor(
    readonly name: string,
    private readonly server: { port: number },
    private readonly onDelivery: (client: RawClient, item: { from: string; id: string; kind: 'direct' | 'channel'; text: string }) => void,
    private readonly onAcked: (client: RawClient, items: ReadonlyArray<{ from: string; id: string }>) => void,
    onShow: (client: RawClient, event: ChatEvent) => void,
    private readonly random: SeededRandom,
    seed: number,
    private readonly trace?: (event: string) => void,
  ) {
    this.key = nameKey(name);
    this.secret = `crash-secret-${name}`;
    // The real client's inbound handling decides which pushes are ACKed, as it would for a user.
    this.screen = new InboundScreen(name, { ip: IP, port: server.port }, seed, (event) => onShow(this, event), (sent) => {
      if (sent.t !== 'ack') return;
      this.ack(sent.re);
      const items = this.carried.get(sent.re);
      if (items) this.onAcked(this, items);
    });
    const identity = staticKeyPairFromPem(identityOf(name).privateKey);
    this.link = new SecureLink({ logger: new RecordingLogger(), identity: () => identity, policy: { protects: () => true, mayInitiate: () => true, accepts: () => true } });
    this.link.attach((to, data) => this.socket.send(data, to.port, to.ip));
    this.socket.on('message', (data, rinfo) => this.receive(data, rinfo));
  }

  /** Through the link: sealed, or held while a handshake (after a server restart) completes. */
  private send(message: Message): void {
    const data = this.link.outgoing({ ip: IP, port: this.server.port }, message, encodeMessage(message));
    if (data) this.socket.send(data, this.server.port, IP);
  }

  async open(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.bind(0, IP, () => resolve()));
  }

  close(): void {
    this.socket.close();
  }

  nextId(kind: string): string {
    this.counter += 1;
    return `${this.name}-${kind}${this.counter}`;
  }

  /** Send `message` every RETRY_MS until a reply naming its id comes, or the tries run out. */
  request(message: Extract<Message, { id: string }>, tries = REQUEST_TRIES): Promise<Reply | undefined> {
    return new Promise((resolve) => {
      let sent = 0;
      const send = (): void => {
        sent++;
        this.send(message);
      };
      const timer = setInterval(() => (sent >= tries ? finish(undefined) : send()), RETRY_MS);
      const finish = (reply: Reply | undefined): void => {
        clearInterval(timer);
        this.pending.delete(message.id);
        resolve(reply);
      };
      this.pending.set(message.id, finish);
      send();
    });
  }

  /** register (padded) → welcome → confirm → ack: a session, online. */
  async join(): Promise<boolean> {
    this.state = 'joining';
    this.trace?.(`${this.name} joining`);
    const register: MessageOf<'register'> = { t: 'register', id: this.nextId('r'), name: this.name, secret: this.secret, key: identityOf(this.name).publicKey, pad: '' };
    const size = encodeMessage(register).length;
    const padded = { ...register, pad: '.'.repeat(Math.max(0, REGISTER_MIN_BYTES - size + 1)) };
    const welcome = await this.request(padded);
    if (welcome?.t !== 'welcome') return false;
    // As the real client does (Register): the welcome's token is the session's from now on.
    this.screen.online(welcome.token);
    const ack = await this.request({ t: 'confirm', id: this.nextId('c'), token: welcome.token, have: 0 });
    if (ack?.t !== 'ack') return false;
    this.token = welcome.token;
    this.state = 'online';
    this.trace?.(`${this.name} online`);
    return true;
  }

  private receive(data: Buffer, rinfo: dgram.RemoteInfo): void {
    if (rinfo.address !== IP || rinfo.port !== this.server.port) return;
    const opened = this.link.incoming(data, { ip: rinfo.address, port: rinfo.port });
    if (!opened) return;
    const decoded = decodeDatagram(opened.frame);
    if (!decoded.ok) return;
    const message = decoded.message;
    if (isReply(message)) {
      this.pending.get(message.re)?.(message);
      return;
    }
    // The network loses some of the server's pushes: the server must retransmit, probe, store
    // for the member it gives up on, and a kill may land while it is still trying.
    const dropped = this.lossy && this.random.chance(PUSH_LOSS);
    this.trace?.(`${this.name} ${dropped ? 'dropped' : 'got'} ${message.t} ${message.id}${message.t === 'stored' ? ` [${message.items.map((i) => `${i.from}|${i.id}`).join(' ')}]` : message.t === 'channel' ? ` from ${message.from}` : message.t === 'table' ? ` ${JSON.stringify(message.rows.map((r) => [r.name, r.online]))}` : ''}`);
    if (dropped) return;
    switch (message.t) {
      case 'probe':
        return this.ack(message.id);
      case 'table':
        this.ack(message.id);
        // Like a real client: listed offline while online (a lost probe), it confirms again.
        if (this.state === 'online' && message.rows.some((r) => nameKey(r.name) === this.key && !r.online)) {
          this.state = 'joining';
          this.trace?.(`${this.name} saw itself offline: joining`);
        }
        return;
      case 'channel':
        this.onDelivery(this, { from: message.from, id: message.id, kind: 'channel', text: message.text });
        this.carried.set(message.id, [{ from: message.from, id: message.id }]);
        return this.screen.receive(message);
      case 'stored':
        for (const item of message.items) {
          // A direct message is kept sealed by the server: the recipient opens it with the sender's key.
          const text = item.kind === 'direct' ? (testE2e.open(identityOf(this.name), identityOf(item.from).publicKey, item.text, storedContext(item.from, this.name, item.id)) ?? `unopened ${item.text}`) : item.text;
          this.onDelivery(this, { from: item.from, id: item.id, kind: item.kind, text });
        }
        this.carried.set(message.id, message.items);
        return this.screen.receive(message);
      default:
        return;
    }
  }

  private ack(re: string): void {
    this.send({ t: 'ack', re });
  }
}

/**
 * A free UDP port below the ephemeral range (32768+ here): the server's port is free between a
 * kill and the restart, and another program's bind to port 0 must not take it meanwhile.
 */
async function serverPort(random: SeededRandom): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Offset by the pid: two runs of one seed at once (two checkouts testing) must not pick one port.
    const port = 20_000 + ((random.int(12_000) + process.pid) % 12_000);
    const socket = dgram.createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, IP, () => resolve(true));
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (free) return port;
  }
  throw new Error('no free UDP port for the server in 20000-31999');
}

/** The most records any mailbox file holds right now (to see a backlog building up). */
function largestMailbox(dir: string): number {
  let most = 0;
  for (const f of safeReaddir(path.join(dir, 'mailboxes')).filter((n) => n.endsWith('.log'))) {
    try {
      const data = fs.readFileSync(path.join(dir, 'mailboxes', f));
      most = Math.max(most, decodeLines(data, (body) => body).records.length);
    } catch {
      // Gone meanwhile: not the largest.
    }
  }
  return most;
}

/** Torn last records in the server's store files right now (the server is not running). */
function tornTails(dir: string): string[] {
  const files = ['registry.log', 'channel.log', ...safeReaddir(path.join(dir, 'mailboxes')).filter((f) => f.endsWith('.log')).map((f) => path.join('mailboxes', f))];
  const found: string[] = [];
  for (const file of files) {
    let data: Buffer;
    try {
      data = fs.readFileSync(path.join(dir, file));
    } catch {
      continue;
    }
    const decoded = decodeLines(data, (body) => body);
    if (decoded.tornTail) found.push(`${file}@${decoded.goodLength}:${createHash('sha256').update(data.subarray(decoded.goodLength)).digest('hex').slice(0, 16)}`);
  }
  return found;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

export async function runCrashTest(options: CrashRunOptions): Promise<CrashRunResult> {
  const started = Date.now();
  const random = new SeededRandom(options.seed);
  const failpointShare = options.failpointShare ?? 0.4;
  const baseDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-crash-'));
  const problems: string[] = [];
  const problem = (text: string): void => {
    if (problems.length < MAX_PROBLEMS_LISTED) problems.push(text);
    else if (problems.length === MAX_PROBLEMS_LISTED) problems.push('… more problems not listed');
  };
  const figures: CrashFigures = {
    attempted: 0, acked: 0, lost: 0, redelivered_after_ack: 0, shown_twice: 0, unexpected: 0, torn_tails_dropped: 0, runs: 0, seconds: 0,
    saves_acked: 0, send_alls_acked: 0, deliveries_expected: 0, deliveries: 0, kills_external: 0, kills_during_startup: 0, drain_rejoins: 0, largest_mailbox: 0, throttled: 0,
    failpoint_runs: {}, failpoints_fired: {},
  };
  const sent = new Map<string, SentMessage>();
  const checker = new DeliveryChecker(sent, problem);
  const torn = new Set<string>();
  let run = 0;
  let stopping = false;
  const startupTimes: number[] = [];

  const port = await serverPort(random);
  const dataDir = serverDataDir(baseDir, port);

  /** Per recipient, the ACKed messages it has not had yet. */
  const backlog = new Map<string, Set<string>>();
  const acked = (message: SentMessage): void => {
    message.acked = true;
    for (const r of message.recipients) {
      if (checker.wasShown(r, message)) continue;
      const set = backlog.get(r) ?? new Set<string>();
      set.add(`${message.senderKey}|${message.id}`);
      backlog.set(r, set);
    }
  };

  const onDelivery = (client: RawClient, item: { from: string; id: string; kind: 'direct' | 'channel'; text: string }): void => {
    if (checker.arrived(client.key, item)) backlog.get(client.key)?.delete(`${nameKey(item.from)}|${item.id}`);
  };
  const onAcked = (client: RawClient, items: ReadonlyArray<{ from: string; id: string }>): void => checker.acked(client.key, items);
  const onShow = (client: RawClient, event: ChatEvent): void => checker.shown(client.key, event);

  const events: string[] = [];
  const trace = options.trace ? (event: string): void => { events.push(`${Date.now() - started} run${run} ${event} `); } : undefined;
  const clients = Array.from({ length: CLIENTS }, (_, i) => new RawClient(`c${i}`, { port }, onDelivery, onAcked, onShow, new SeededRandom(options.seed * 31 + i), options.seed * 31 + i, trace));
  for (const c of clients) await c.open();

  const record = (sender: RawClient, id: string, text: string, kind: 'direct' | 'channel', recipients: string[]): SentMessage => {
    const message: SentMessage = { senderKey: sender.key, id, text, kind, recipients, acked: false };
    sent.set(`${sender.key}|${id}`, message);
    figures.attempted++;
    return message;
  };

  const act = async (c: RawClient): Promise<void> => {
    const roll = random.next();
    const offline = clients.filter((o) => o !== c && o.state === 'offline' && (backlog.get(o.key)?.size ?? 0) < BACKLOG_LIMIT);
    const channelBacklogged = clients.some((o) => o !== c && (backlog.get(o.key)?.size ?? 0) >= BACKLOG_LIMIT);
    if (roll < 0.12) {
      const reply = await c.request({ t: 'dereg', id: c.nextId('d'), token: c.token, name: c.name });
      if (reply?.t === 'ack' && reply.status === 'ok') {
        c.state = 'offline';
        c.offlineUntil = Date.now() + 200 + random.int(1000);
      } else {
        c.state = 'joining';
      }
      return;
    }
    if (roll < 0.55 && offline.length > 0) {
      const to = offline[random.int(offline.length)]!;
      const id = c.nextId('s');
      const text = `save ${id} to ${to.name} ✓`;
      const message = record(c, id, text, 'direct', [to.key]);
      const reply = await c.request({ t: 'save', id, token: c.token, from: c.name, to: to.name, sealed: sealedStored(c.name, to.name, id, text) });
      if (reply?.t === 'ack' && reply.status === 'saved') {
        acked(message);
        figures.acked++;
        figures.saves_acked++;
      } else if (reply === undefined || sessionLost(reply)) {
        c.state = 'joining';
      } else if (reply.t !== 'ack' || (reply.status !== 'exists' && reply.status !== 'full')) {
        problem(`unexpected answer to save ${id}: ${JSON.stringify(reply)}`);
      }
      return;
    }
    if (channelBacklogged) {
      // Flow control: a member far behind (its mailbox filling faster than kills let it drain)
      // gets no more until it catches up, so no mailbox nears its quota.
      figures.throttled++;
      await sleep(50);
      return;
    }
    const id = c.nextId('a');
    const text = `all ${id} 🎉`;
    const message = record(c, id, text, 'channel', clients.filter((o) => o !== c).map((o) => o.key));
    trace?.(`${c.name} send-all ${id} to ${message.recipients.join(',')} (states ${clients.map((o) => `${o.name}:${o.state}`).join(' ')})`);
    const reply = await c.request({ t: 'send-all', id, token: c.token, from: c.name, text });
    trace?.(`${c.name} send-all ${id} answered ${JSON.stringify(reply)}`);
    if (reply?.t === 'ack' && reply.status === 'ok') {
      acked(message);
      figures.acked++;
      figures.send_alls_acked++;
    } else if (reply === undefined || sessionLost(reply)) {
      c.state = 'joining';
    } else {
      problem(`unexpected answer to send_all ${id}: ${JSON.stringify(reply)}`);
    }
  };

  const clientLoop = async (c: RawClient): Promise<void> => {
    while (!stopping) {
      if (c.state === 'joining') {
        if (!(await c.join())) await sleep(RETRY_MS);
      } else if (c.state === 'offline') {
        if (Date.now() >= c.offlineUntil) {
          if (!(await c.join())) await sleep(RETRY_MS);
        } else await sleep(Math.min(50, c.offlineUntil - Date.now()));
      } else {
        await act(c);
        await sleep(random.int(20));
      }
    }
  };

  const startServer = (failpoint: FailpointName | undefined): ServerProcess => new ServerProcess(port, baseDir, failpoint, options.serverLogLevel ?? 'warn');

  const afterKill = async (server: ServerProcess, what: string): Promise<void> => {
    const { code, signal } = await server.exited;
    trace?.(`server killed: ${server.fired ? `failpoint ${server.fired}` : 'from outside'}${server.isReady ? '' : ' during start-up'}`);
    if (signal !== 'SIGKILL') problem(`${what}: the server ended with ${code ?? signal} instead of being killed\n${server.output}`);
    if (server.readyAfterMs !== undefined) startupTimes.push(server.readyAfterMs);
    if (server.fired) figures.failpoints_fired[server.fired] = (figures.failpoints_fired[server.fired] ?? 0) + 1;
    for (const t of tornTails(dataDir)) torn.add(t);
    figures.largest_mailbox = Math.max(figures.largest_mailbox, largestMailbox(dataDir));
  };

  let server = startServer(undefined);
  try {
    await Promise.race([server.ready, server.exited.then(() => { throw new Error(`the first server did not start\n${server.output}`); })]);
    for (const c of clients) {
      for (let tries = 0; !(await c.join()); tries++) if (tries > 5) throw new Error(`${c.name} could not register`);
    }
    const loops = clients.map((c) => clientLoop(c));
    // Which runs stop at which failpoint comes from a stream of its own: the shared one is also
    // drawn from by the clients' loops, as often as timing has them, so the schedule would change
    // from run to run of one seed (and a short run could miss a failpoint altogether).
    const schedule = new SeededRandom(options.seed * 7 + 1);
    let failpointTurn = schedule.int(FAILPOINTS.length);

    for (run = 1; run <= options.kills; run++) {
      let failpoint: FailpointName | undefined;
      if (run > 1) {
        if (schedule.chance(failpointShare)) failpoint = FAILPOINTS[failpointTurn++ % FAILPOINTS.length];
        if (failpoint) figures.failpoint_runs[failpoint] = (figures.failpoint_runs[failpoint] ?? 0) + 1;
        server = startServer(failpoint);
      }
      // A kill comes at a random moment of the server's start-up (recovery included) or of its
      // first moments of service; a failpoint run is killed from outside only if its point did not fire.
      const startupKill = !failpoint && random.chance(STARTUP_KILL_SHARE);
      const meanStartup = startupTimes.length === 0 ? 400 : startupTimes.slice(-50).reduce((a, b) => a + b, 0) / Math.min(50, startupTimes.length);
      const killMoment = startupKill
        ? sleep(random.int(Math.round(meanStartup)))
        : server.ready.then(() => sleep(random.int(failpoint ? FAILPOINT_SERVE_MAX_MS : SERVE_MAX_MS)));
      let hungTimer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<'hung'>((resolve) => { hungTimer = setTimeout(() => resolve('hung'), HUNG_START_MS); });
      const ended = await Promise.race([server.exited.then(() => 'exited'), killMoment.then(() => 'kill'), hung]);
      clearTimeout(hungTimer);
      if (ended === 'hung') problem(`run ${run}: the server neither listened nor died within ${HUNG_START_MS} ms\n${server.output}`);
      if (ended !== 'exited') {
        if (!server.isReady) figures.kills_during_startup++;
        server.kill('SIGKILL');
        figures.kills_external++;
      }
      await afterKill(server, `run ${run}${failpoint ? ` (${failpoint})` : ''}`);
      figures.runs++;
      if (run % 50 === 0) {
        const recent = startupTimes.slice(-50);
        const mean = recent.length > 0 ? Math.round(recent.reduce((a, b) => a + b, 0) / recent.length) : 0;
        options.progress?.(`${run}/${options.kills} kills, ${figures.acked} acked, ${((Date.now() - started) / 1000).toFixed(0)} s (servers listened ${mean} ms after the spawn; largest mailbox ${figures.largest_mailbox})`);
      }
    }

    stopping = true;
    await Promise.all(loops);
    run++;
    server = startServer(undefined);
    await Promise.race([server.ready, server.exited.then(() => { throw new Error(`the final server did not start\n${server.output}`); })]);
    // The drain: a healthy network, everyone online, so what is stored for anyone is delivered
    // now. A client still missing messages after a quiet spell logs in again, as a user would
    // (a delivery the server gave up on, its pushes lost, waits for the next log-in).
    for (const c of clients) c.lossy = false;
    const join = async (c: RawClient): Promise<void> => {
      for (let tries = 0; !(await c.join()); tries++) if (tries > 5) return problem(`${c.name} could not register at the end`);
    };
    await Promise.all(clients.map(join));
    const missingFor = (): Set<string> => {
      const who = new Set<string>();
      for (const m of sent.values()) if (m.acked) for (const r of m.recipients) if (!checker.wasShown(r, m)) who.add(r);
      return who;
    };
    const settleStart = Date.now();
    let lastCount = checker.figures.deliveries;
    let lastChange = Date.now();
    let rejoins = 0;
    while (missingFor().size > 0 && Date.now() - settleStart < SETTLE_MAX_MS && Date.now() - lastChange < SETTLE_QUIET_MS) {
      await sleep(100);
      if (checker.figures.deliveries !== lastCount) {
        lastCount = checker.figures.deliveries;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > SETTLE_REJOIN_MS * (rejoins + 1)) {
        rejoins++;
        const who = missingFor();
        await Promise.all(clients.filter((c) => who.has(c.key)).map(join));
      }
    }
    figures.drain_rejoins = rejoins;
    // A moment more for redeliveries in flight, then a clean stop.
    await sleep(500);
    server.kill('SIGTERM');
    const end = await server.exited;
    if (end.code !== 0) problem(`the final server ended with ${end.code ?? end.signal}\n${server.output}`);

    // Reopen the stores the server left: nothing should be left over, nothing torn.
    const mailbox = new FsMailboxStore(dataDir);
    const channelLog = new FsChannelLog(dataDir);
    const registry = new FsRegistryStore(dataDir);
    await registry.open();
    const known = new Set((await registry.load()).map((r) => nameKey(r.name)));
    const stillStored = new Set<string>();
    for (const c of clients) {
      if (!known.has(c.key)) problem(`the registry forgot ${c.name}`);
      const left = await mailbox.list(c.key);
      for (const m of left) stillStored.add(`${c.key}|${nameKey(m.sender)}|${m.id}`);
      if (left.length > 0) problem(`${left.length} message(s) still stored for ${c.name} at the end: ${left.slice(0, 3).map((m) => m.id).join(', ')}`);
    }
    const owed = await channelLog.pending();
    if (owed.length > 0) problem(`${owed.length} channel message(s) still owed at the end`);
    await mailbox.close();
    await channelLog.close();
    await registry.close();

    // An ACKed message never shown is lost, whether it still sits in a store, is gone, or was refused.
    const lostBy = new Map<string, { stored: number; gone: number; refused: number; examples: string[] }>();
    for (const m of sent.values()) {
      if (!m.acked) continue;
      for (const r of m.recipients) {
        figures.deliveries_expected++;
        const key = `${r}|${m.senderKey}|${m.id}`;
        if (checker.wasShown(r, m)) continue;
        figures.lost++;
        const entry = lostBy.get(r) ?? { stored: 0, gone: 0, refused: 0, examples: [] };
        if (stillStored.has(key)) entry.stored++;
        else if (checker.reached(r, m)) entry.refused++;
        else entry.gone++;
        if (entry.examples.length < 3) entry.examples.push(`${m.kind} ${m.senderKey}|${m.id}`);
        lostBy.set(r, entry);
      }
    }
    if (trace) {
      for (const m of sent.values()) {
        if (!m.acked || m.recipients.every((r) => checker.wasShown(r, m))) continue;
        const first = events.findIndex((e) => e.includes(` ${m.id} `));
        const missed = m.recipients.filter((r) => !checker.wasShown(r, m));
        const around = events.slice(Math.max(0, first), first + 4000).filter((e) => e.includes(m.id) || e.includes(' server killed') || missed.some((r) => e.includes(` ${r} `) && !/ got (table|probe) /.test(e)));
        problem(`trace of ${m.senderKey}|${m.id} (missed by ${missed.join(',')}):\n  ${around.slice(0, 80).join('\n  ')}`);
      }
    }
    for (const [r, e] of lostBy) {
      problem(`lost for ${r}: ${e.stored + e.gone + e.refused} (${e.stored} still in its mailbox, ${e.refused} received but never shown, ${e.gone} gone), e.g. ${e.examples.join(', ')}`);
    }
    figures.torn_tails_dropped = torn.size + mailbox.tornTailsDropped + channelLog.tornTailsDropped + registry.tornTailsDropped;
  } finally {
    stopping = true;
    server.kill('SIGKILL');
    await server.exited;
    for (const c of clients) c.close();
    if (!options.dataDir) fs.rmSync(baseDir, { recursive: true, force: true });
  }
  Object.assign(figures, checker.figures);
  figures.seconds = Math.round((Date.now() - started) / 100) / 10;
  return { figures, problems, seed: options.seed };
}

/** The figures line of the issue, then the details. */
export function formatFigures(f: CrashFigures): string {
  const main = (['attempted', 'acked', 'lost', 'redelivered_after_ack', 'shown_twice', 'unexpected', 'torn_tails_dropped', 'runs', 'seconds'] as const)
    .map((k) => `${k}=${f[k]}`).join(', ');
  const fired = FAILPOINTS.map((n) => `${n} ${f.failpoints_fired[n] ?? 0}/${f.failpoint_runs[n] ?? 0}`).join(', ');
  return `${main}\n` +
    `saves_acked=${f.saves_acked}, send_alls_acked=${f.send_alls_acked}, deliveries_expected=${f.deliveries_expected}, deliveries=${f.deliveries}, ` +
    `kills_external=${f.kills_external} (${f.kills_during_startup} before the server listened), drain_rejoins=${f.drain_rejoins}, largest_mailbox=${f.largest_mailbox}, throttled=${f.throttled}\n` +
    `failpoints fired/armed runs: ${fired}`;
}

export function crashRunPassed(f: CrashFigures): boolean {
  return f.lost === 0 && f.shown_twice === 0 && f.unexpected === 0;
}

/**
 * The restarted server does not know the session (its registration died with the killed
 * process before it was durable): like a real client, register again. Nothing was acted on.
 */
function sessionLost(reply: { t: string; status?: string }): boolean {
  return reply.t === 'ack' && reply.status === 'unknown-session';
}
