import type { ChatEvent } from '../../src/application/ports/chat-view';
import type { ChatSettings } from '../../src/application/settings';
import { InMemorySecretStore } from '../../src/adapters/in-memory/in-memory-secret-store';
import { InMemorySeenStore } from '../../src/adapters/in-memory/in-memory-seen-store';
import type { NetworkFaults, NetworkStats } from '../../src/adapters/in-memory/in-memory-network';
import { SeededRandom } from '../../src/adapters/in-memory/seeded-random';
import { Scenario, type ServerNode, type TestClient } from './scenario';

/**
 * Soak runs of SPEC §5 "Exactly-once display" and "Nothing lost": many clients, thousands of
 * messages over a lossy, duplicating, reordering in-memory network under fake timers, then a
 * tally of what every node printed. Shared by `npm run soak` (full scale) and the small-scale
 * soak in the test run.
 */

export interface SoakOptions {
  readonly clients: number;
  readonly messages: number;
  readonly seed: number;
  readonly loss: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly reorderMaxDelayMs: number;
  readonly latencyMs: number;
  /** Pause a client takes before each of its sends (uniform in [0, thinkMaxMs]), in simulated ms. */
  readonly thinkMaxMs: number;
  readonly settings?: Partial<ChatSettings>;
  /** Negative control: the checker ignores every report of a message not kept, so such copies count as lost. */
  readonly ignoreNotKeptReports?: boolean;
  /** Channel soak: how many clients are deregistered before the messages start. */
  readonly offline: number;
  /**
   * Direct soak: how many times, while messages flow, a client leaves silently (its process
   * stops: no dereg) and a new name registers from the very same ip:port while the others keep
   * writing to the gone name; the gone user comes back later from another port.
   */
  readonly takeovers: number;
  /** Called now and then with a progress line (the script prints it on stderr). */
  readonly progress?: (line: string) => void;
}

export const DIRECT_DEFAULTS: SoakOptions = {
  clients: 50,
  messages: 10_000,
  seed: 1,
  loss: 0.2,
  duplicate: 0.05,
  reorder: 0.1,
  reorderMaxDelayMs: 200,
  latencyMs: 0,
  thinkMaxMs: 2_000,
  offline: 0,
  takeovers: 5,
};

export const CHANNEL_DEFAULTS: SoakOptions = {
  ...DIRECT_DEFAULTS,
  messages: 1_000,
  duplicate: 0,
  reorder: 0,
  offline: 10,
  thinkMaxMs: 4_000,
  takeovers: 0,
};

export interface SoakSummary {
  readonly kind: 'direct' | 'channel';
  readonly seed: number;
  readonly clients: number;
  readonly offlineClients: number;
  /** Silent leaves whose address a new name then registered from. */
  readonly takeovers: number;
  readonly faults: NetworkFaults;
  readonly attempted: number;
  readonly acked: number;
  readonly saved: number;
  readonly delivered_direct: number;
  readonly delivered_via_mailbox: number;
  readonly failed_reported: number;
  /**
   * Channel, per (message, member): not shown because the member's mailbox was full, and
   * reported: the sender's error line named the member, or the member was told on `reg` that
   * that many messages could not be kept. Not lost, because nobody was left to believe otherwise.
   */
  readonly not_kept_reported: number;
  readonly lost: number;
  /** Shown more than once by one client process. */
  readonly shown_twice: number;
  /**
   * Shown once by a client process that then exited (a save went unanswered 5 times) and once
   * more, from the mailbox, by the user's restarted process. Must be 0: each user's shown ids
   * are kept in a seen store that outlives its processes (its data directory), which the
   * restarted process loads before it registers.
   */
  readonly shown_again_after_restart: number;
  readonly unexpected: number;
  /**
   * Shown, with its true sender, by a user other than its addressee (direct) or by its own
   * sender (channel): counted from what each user's view printed, not from the code under test.
   */
  readonly misdelivered: number;
  /**
   * Errors that escaped the code under test (a timer that threw, a rejection nobody handled):
   * each would have ended its process. The soak counts them and carries on, to count the rest.
   */
  readonly uncaught: number;
  /** Messages whose sender printed no outcome line, or more than one. */
  readonly bad_outcome: number;
  /** Clients that exited (a save, dereg or registration went unanswered 5 times) and were started again. */
  readonly restarts: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
  readonly simulatedMs: number;
  readonly wallMs: number;
  readonly network: NetworkStats;
  readonly notes: string[];
  /** The first few violations, to start debugging from (replay with the same seed). */
  readonly examples: string[];
}

export function soakPassed(s: SoakSummary): boolean {
  return s.lost === 0 && s.shown_twice === 0 && s.shown_again_after_restart === 0 && s.unexpected === 0 && s.misdelivered === 0 && s.uncaught === 0 && s.bad_outcome === 0;
}

/** One simulated user: a name, the running client process, and every event any of its processes printed. */
class User {
  client!: TestClient;
  readonly secrets = new InMemorySecretStore();
  /** The user's data directory also keeps the ids its client showed, across restarts. */
  readonly seen = new InMemorySeenStore();
  /** Events of every process this user ran, with the simulated time each was printed. */
  readonly events: Array<{ event: ChatEvent; at: number; incarnation: number }> = [];
  /** Processes started after an exit (no ACK after every try). */
  restarts = 0;
  /** Processes started in all after the first (restarts and returns after a silent leave). */
  incarnations = 0;
  /** Left silently (process stopped, no dereg) and not back yet. */
  gone = false;
  /** Running a command (not thinking): not a moment its process is stopped silently. */
  busy = false;
  /** Left silently, and the newcomer at its address is still registering: nobody writes to it yet. */
  held = false;

  constructor(readonly name: string) {}

  attach(client: TestClient): void {
    this.client = client;
    const view = client.view;
    const incarnation = this.incarnations;
    for (const event of view.events) this.events.push({ event, at: Date.now(), incarnation });
    const show = view.show.bind(view);
    view.show = (event: ChatEvent) => {
      this.events.push({ event, at: Date.now(), incarnation });
      show(event);
    };
  }

  get exited(): boolean {
    return this.client.exitCode !== undefined;
  }
}

interface Planned {
  readonly text: string;
  readonly from: number;
  /** Direct soak: the recipient. */
  readonly to: number;
  readonly thinkMs: number;
  sentAt?: number;
  outcomes: string[];
  /** Channel: members the sender was told (after the server's ACK) will not get it, their mailbox being full. */
  notKeptFor?: string[];
}

/** `[Error: the mailboxes of a, b and c are full; …]` / `the mailbox of a is full` → the names (none listed past "N others"). */
function namesNotKept(text: string): string[] | undefined {
  const m = /^the mailbox(?:es)? of (.+?) (?:is|are) full; /.exec(text);
  if (!m) return undefined;
  return m[1]!.split(/, | and /).filter((n) => !/^\d+ others?$/.test(n));
}

const FAILED_OUTCOMES = new Set(['client-exists', 'error', 'server-not-responding', 'channel-not-responding']);

/**
 * Direct soak: random pairs of distinct clients exchange `messages` direct messages. With
 * `takeovers`, some clients meanwhile leave silently and a new name registers from each one's
 * ip:port (see `takeOver`).
 */
export async function runDirectSoak(partial: Partial<SoakOptions> = {}): Promise<SoakSummary> {
  const options = { ...DIRECT_DEFAULTS, ...partial };
  const started = performance.now();
  const notes: string[] = [];
  const sim = new Sim(new Scenario({ seed: options.seed, ...(options.settings ? { settings: options.settings } : {}) }));
  const simulatedStart = Date.now();
  try {
    const { server, users } = await startUsers(sim, options.clients);
    notes.push(`all ${options.clients} clients registered before faults were turned on`);

    const plan = new SeededRandom(options.seed ^ 0x5eed5eed);
    const messages: Planned[] = [];
    for (let i = 0; i < options.messages; i++) {
      const from = plan.int(options.clients);
      let to = plan.int(options.clients - 1);
      if (to >= from) to += 1;
      messages.push({ text: `m${i}`, from, to, thinkMs: plan.int(options.thinkMaxMs + 1), outcomes: [] });
    }

    sim.s.network.setFaults(faultsOf(options));
    const faultStart = Date.now();
    const newcomers: User[] = [];
    const chaos = options.takeovers > 0 ? () => takeOver(sim, server, users, newcomers, options, notes, faultStart) : undefined;
    await drive(sim, users, messages, options, (m) => `send ${users[m.to]!.name} ${m.text}`, chaos);
    notes.push(`messages sent over ${Math.round((Date.now() - faultStart) / 1000)} s of simulated time under faults`);

    sim.s.network.setFaults({ loss: 0, duplicate: 0, reorder: 0, latencyMs: 0 });
    await sim.run(10_000);
    await logOutAndIn(sim, users, users);
    notes.push('then faults off, every client did dereg + reg (mailboxes drain), settled');

    // The newcomers are checked too: nothing sent in the soak is theirs to show.
    return tally('direct', sim, [...users, ...newcomers], messages, options, started, simulatedStart, notes, newcomers.length);
  } finally {
    await sim.stop();
  }
}

/** Channel soak: `offline` clients deregister, the rest send `messages` send_all; the offline ones reg at the end. */
export async function runChannelSoak(partial: Partial<SoakOptions> = {}): Promise<SoakSummary> {
  const options = { ...CHANNEL_DEFAULTS, ...partial };
  const started = performance.now();
  const notes: string[] = [];
  const sim = new Sim(new Scenario({ seed: options.seed, ...(options.settings ? { settings: options.settings } : {}) }));
  const simulatedStart = Date.now();
  try {
    const { users } = await startUsers(sim, options.clients);
    const offline = users.slice(options.clients - options.offline);
    const online = users.slice(0, options.clients - options.offline);
    for (const u of offline) void u.client.type(`dereg ${u.name}`);
    await sim.run(2_000);
    for (const u of offline) {
      if (u.client.client.state !== 'offline') throw new Error(`setup: ${u.name} did not go offline`);
    }
    notes.push(`all ${options.clients} clients registered and ${options.offline} deregistered before faults were turned on`);

    const plan = new SeededRandom(options.seed ^ 0xc4a77e1);
    const messages: Planned[] = [];
    for (let i = 0; i < options.messages; i++) {
      messages.push({ text: `m${i}`, from: plan.int(online.length), to: -1, thinkMs: plan.int(options.thinkMaxMs + 1), outcomes: [] });
    }

    sim.s.network.setFaults(faultsOf(options));
    const faultStart = Date.now();
    await drive(sim, online, messages, options, (m) => `send_all ${m.text}`);
    notes.push(`messages sent over ${Math.round((Date.now() - faultStart) / 1000)} s of simulated time under faults`);

    sim.s.network.setFaults({ loss: 0, duplicate: 0, reorder: 0, latencyMs: 0 });
    await sim.run(10_000);
    await logOutAndIn(sim, users, offline);
    notes.push(`then faults off, the ${options.offline} offline clients did reg, settled`);

    // Channel messages name their sender among the online users; map back to user indexes.
    const byIndex = messages.map((m) => ({ ...m, from: users.indexOf(online[m.from]!) }));
    return tally('channel', sim, users, byIndex, options, started, simulatedStart, notes, 0);
  } finally {
    await sim.stop();
  }
}

/**
 * A scenario whose simulated time is advanced so that an error escaping the code under test
 * (a timer callback that threw, a rejection nobody handled) is counted instead of ending the
 * soak. In a real process each would be fatal; the soak notes it and carries on, so that what
 * users were shown meanwhile is still counted.
 */
class Sim {
  readonly uncaught: string[] = [];
  /** Rejections seen: a test runner may emit one again after its own handling. */
  private readonly rejected = new WeakSet<Promise<unknown>>();
  private readonly onRejection = (reason: unknown, promise: Promise<unknown>): void => {
    if (this.rejected.has(promise)) return;
    this.rejected.add(promise);
    this.uncaught.push(`unhandled rejection at ${Date.now() - this.startedAt} ms: ${describeError(reason)}`);
  };
  private readonly startedAt = Date.now();

  constructor(readonly s: Scenario) {
    process.on('unhandledRejection', this.onRejection);
  }

  /** Advance simulated time; fake timers run every timer due and rethrow the first that threw. */
  async run(ms: number): Promise<void> {
    try {
      await this.s.run(ms);
    } catch (error) {
      this.uncaught.push(`thrown from a timer at ${Date.now() - this.startedAt} ms: ${describeError(error)}`);
    }
  }

  async stop(): Promise<void> {
    try {
      await this.s.stop();
    } finally {
      process.off('unhandledRejection', this.onRejection);
    }
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const at = error.stack?.split('\n').find((l) => /^\s+at /.test(l))?.trim();
  return `${error.message}${at ? ` (${at})` : ''}`;
}

/**
 * The silent leave as a class hits it (alice's program is killed, bob starts his on her port,
 * then carol writes to alice): `options.takeovers` times, at seeded moments while messages
 * flow, a user that is online and idle leaves silently (its process stops: no dereg, nothing
 * sent), and within 100 ms a NEW name registers from the very same ip:port. Once the newcomer
 * is online with the table, the others go on writing to the gone name as planned. After
 * 20-60 s the gone user comes back from another port under its name, with its data directory.
 * Each message to the gone name must end shown to it (live or from its mailbox) or reported
 * failed to its sender, and never be shown to the newcomer at its old port: `tally` counts
 * that as misdelivered.
 */
async function takeOver(sim: Sim, server: ServerNode, users: User[], newcomers: User[], options: SoakOptions, notes: string[], faultStart: number): Promise<void> {
  const rnd = new SeededRandom(options.seed ^ 0x7a4e0f3);
  // Spread the leaves over most of the time the messages are expected to take.
  const expectedMs = (options.messages / options.clients) * (options.thinkMaxMs / 2 + 200);
  const gapMs = Math.max(2_000, Math.round((0.6 * expectedMs) / options.takeovers));
  const returns: Array<Promise<void>> = [];
  const at = (): string => `${((Date.now() - faultStart) / 1000).toFixed(1)} s`;
  for (let k = 0; k < options.takeovers; k++) {
    await sleep(Math.round(gapMs / 2) + rnd.int(gapMs));
    const candidates = users.filter((u) => !u.gone && !u.busy && !u.exited && u.client.client.state === 'online');
    if (candidates.length === 0) {
      notes.push(`takeover ${k}: skipped at ${at()}, no client online and idle`);
      continue;
    }
    const victim = candidates[rnd.int(candidates.length)]!;
    const row = server.table().rows.find((r) => r.name === victim.name);
    if (!row) throw new Error(`takeover: the server has no row for ${victim.name}`);
    victim.gone = true;
    const leftAt = at();
    // Until the newcomer is registered and has the table nobody writes to the gone name: a
    // message that found nobody at its address (or a newcomer that cannot place the sender yet)
    // would have it marked offline before two names share the address, and this run would not
    // test that.
    victim.held = true;
    await victim.client.client.stop();
    await sleep(rnd.int(100));
    const newcomer = new User(`n${k}`);
    newcomer.attach(await sim.s.startClient(newcomer.name, { port: row.port, secrets: newcomer.secrets, seen: newcomer.seen, settle: false }));
    newcomers.push(newcomer);
    while (newcomer.client.client.state === 'starting') await sleep(100);
    await newcomer.client.client.drain();
    // …and holds the whole table, as a user would after the first `[Client table updated.]`.
    for (let waited = 0; waited < 10_000 && newcomer.client.client.tableRows().length < server.table().rows.length; waited += 100) await sleep(100);
    victim.held = false;
    if (newcomer.client.client.state !== 'online') notes.push(`takeover ${k}: ${newcomer.name} did not get online (${newcomer.client.client.state})`);
    const awayMs = 20_000 + rnd.int(40_001);
    notes.push(`takeover ${k}: ${victim.name} at ${row.ip}:${row.port} left silently at ${leftAt}; ${newcomer.name} registered from ${row.ip}:${row.port} by ${at()}; ${victim.name} back from another port ${(awayMs / 1000).toFixed(1)} s later`);
    returns.push(
      (async () => {
        await sleep(awayMs);
        await comeBack(sim, victim);
      })(),
    );
  }
  await Promise.all(returns);
}

/** A user who left silently starts the program again (a new process, another port, the same data directory). */
async function comeBack(sim: Sim, user: User): Promise<void> {
  user.incarnations += 1;
  user.attach(await sim.s.startClient(user.name, { secrets: user.secrets, seen: user.seen, settle: false }));
  while (user.client.client.state === 'starting') await sleep(100);
  await user.client.client.drain();
  user.gone = false;
}

/** A Jepsen-style block of figures. */
export function formatSummary(s: SoakSummary): string {
  const f = s.faults;
  const n = s.network;
  const row = (label: string, value: string | number, comment = ''): string => `  ${label.padEnd(26)}${value}${comment ? `  (${comment})` : ''}`;
  const pairs = s.kind === 'channel' ? 'per (message, recipient)' : '';
  const lines = [
    `${s.kind} soak  seed=${s.seed}  clients=${s.clients}${s.kind === 'channel' ? ` (${s.offlineClients} offline)` : ''}${s.kind === 'direct' ? `  takeovers=${s.takeovers} (silent leave, a new name registers from the same ip:port)` : ''}`,
    `  faults: loss=${pct(f.loss)} of each datagram (so each direction), dup=${pct(f.duplicate)}, reorder=${pct(f.reorder)} by up to ${f.reorderMaxDelayMs} ms, latency=${f.latencyMs} ms`,
    ...s.notes.map((note) => `  note: ${note}`),
    row('attempted', s.attempted),
    row('acked', s.acked, s.kind === 'channel' ? '[Message received by Server.]' : '[Message received by <name>.]'),
    ...(s.kind === 'direct' ? [row('saved', s.saved, '[Messages received by the server and saved]')] : []),
    row('delivered_direct', s.delivered_direct, s.kind === 'channel' ? `${pairs}, live` : 'shown live'),
    row('delivered_via_mailbox', s.delivered_via_mailbox, s.kind === 'channel' ? `${pairs}, stored then shown` : 'stored, shown on delivery'),
    row('failed_reported', s.failed_reported, s.kind === 'channel' ? '[Server not responding.]' : 'exists!! / Server not responding / error'),
    row('not_kept_reported', s.not_kept_reported, 'mailbox full: the sender named the member, or the member was told the count'),
    row('lost', s.lost, s.kind === 'channel' ? `${pairs}: taken by the server, never shown` : 'not shown, sender not told it failed'),
    row('shown_twice', s.shown_twice, 'by one client process'),
    row('shown_again_after_restart', s.shown_again_after_restart, 'once by a process that exited, again by its restart'),
    row('unexpected', s.unexpected, 'never sent, or shown as from the wrong sender or of the wrong kind'),
    row('misdelivered', s.misdelivered, s.kind === 'direct' ? 'shown to a user other than its addressee' : 'shown to its own sender'),
    row('uncaught', s.uncaught, 'errors escaping the code: each would have ended its process; counted, and the soak went on'),
    row('bad_outcome', s.bad_outcome, 'sender printed no outcome line or more than one'),
    row('client_restarts', s.restarts, 'no ACK after 5 tries: [Server not responding], [Exiting]; its user started it again'),
    row('delivery p50/p99/max', `${s.latencyP50Ms} / ${s.latencyP99Ms} / ${s.latencyMaxMs} ms`, 'simulated, send to first shown'),
    `  network: sent=${n.sent} delivered=${n.delivered} lost=${n.lost} duplicated=${n.duplicated} reordered=${n.reordered} bytes=${n.bytes} max_datagram=${n.maxDatagramBytes}`,
    `  time: ${(s.simulatedMs / 1000).toFixed(1)} s simulated, ${(s.wallMs / 1000).toFixed(1)} s wall`,
    `  result: ${soakPassed(s) ? 'PASS' : 'FAIL'} (replay with --seed ${s.seed})`,
    ...s.examples.map((e) => `  example: ${e}`),
  ];
  return lines.join('\n');
}

function pct(p: number): string {
  return `${Math.round(p * 1000) / 10}%`;
}

function faultsOf(o: SoakOptions): Partial<NetworkFaults> {
  return { loss: o.loss, duplicate: o.duplicate, reorder: o.reorder, reorderMaxDelayMs: o.reorderMaxDelayMs, latencyMs: o.latencyMs };
}

async function startUsers(sim: Sim, count: number): Promise<{ server: ServerNode; users: User[] }> {
  const server = await sim.s.startServer();
  const users: User[] = [];
  for (let i = 0; i < count; i++) {
    const user = new User(`c${i}`);
    user.attach(await sim.s.startClient(user.name, { secrets: user.secrets, seen: user.seen }));
    users.push(user);
  }
  await sim.run(2_000);
  return { server, users };
}

/** Start an exited user's client again under its name (a user restarting the program). */
async function restart(sim: Sim, user: User): Promise<void> {
  await user.client.client.stop();
  user.restarts += 1;
  user.incarnations += 1;
  const client = await sim.s.startClient(user.name, { secrets: user.secrets, seen: user.seen, settle: false });
  user.attach(client);
}

/**
 * Run every user's messages, each user one command at a time, until all are done (and `chaos`,
 * run alongside, has finished). A user who left silently sends nothing until it is back.
 */
async function drive(sim: Sim, users: User[], messages: Planned[], options: SoakOptions, line: (m: Planned) => string, chaos?: () => Promise<void>): Promise<void> {
  const queues = users.map(() => [] as Planned[]);
  for (const m of messages) queues[m.from]!.push(m);
  let finished = 0;
  let failure: unknown;
  const runUser = async (user: User, queue: Planned[]): Promise<void> => {
    for (const m of queue) {
      await sleep(m.thinkMs);
      while (user.gone || (m.to >= 0 && users[m.to]!.held)) await sleep(100);
      user.busy = true;
      await ensureRunning(user);
      m.sentAt = Date.now();
      const mark = user.events.length;
      await user.client.type(line(m));
      const printed = user.events.slice(mark).map((e) => e.event);
      // The line naming full mailboxes is part of an ACKed send_all, not an outcome of its own.
      const notKept = printed.flatMap((e) => (e.kind === 'error' ? (namesNotKept(e.text) ?? []) : []));
      if (notKept.length > 0) m.notKeptFor = notKept;
      m.outcomes = printed.filter((e) => isOutcome(e) && !(e.kind === 'error' && namesNotKept(e.text))).map((e) => e.kind);
      user.busy = false;
      finished += 1;
    }
  };
  const ensureRunning = async (user: User): Promise<void> => {
    while (user.exited) {
      await restart(sim, user);
      // Registration runs in the background; wait for it like a user watching the prompt.
      while (user.client.client.state === 'starting') await sleep(100);
      // …and for its confirm, which is not a queued command.
      await user.client.client.drain();
    }
  };
  const all = Promise.all([...users.map((u, i) => runUser(u, queues[i]!)), chaos?.()]).catch((e: unknown) => {
    failure = e;
  });
  let done = false;
  void all.then(() => {
    done = true;
  });
  const begun = Date.now();
  let lastReport = performance.now();
  while (!done) {
    await sim.run(1_000);
    if (options.progress && performance.now() - lastReport > 5_000) {
      lastReport = performance.now();
      options.progress(`  … ${finished}/${messages.length} messages after ${Math.round((Date.now() - begun) / 1000)} s simulated, ${sim.s.network.stats.sent} datagrams`);
    }
  }
  if (failure) throw failure;
}

/** Each of `who` logs out (`dereg`, if online) and back in (`reg`), all at once; then things settle. */
async function logOutAndIn(sim: Sim, users: User[], who: User[]): Promise<void> {
  for (const u of users) if (u.exited) await restart(sim, u);
  await sim.run(5_000);
  let done = false;
  void Promise.all(
    who.map(async (u) => {
      if (u.client.client.state === 'online') await u.client.type(`dereg ${u.name}`);
      await u.client.type(`reg ${u.name}`);
    }),
  ).then(() => {
    done = true;
  });
  while (!done) await sim.run(1_000);
  await sim.run(30_000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isOutcome(e: ChatEvent): boolean {
  return e.kind === 'direct-acked' || e.kind === 'saved-by-server' || e.kind === 'channel-acked' || FAILED_OUTCOMES.has(e.kind);
}

interface Shown {
  readonly via: 'live' | 'mailbox';
  readonly at: number;
  /** Which process of the recipient showed it (0 = the first; a restart after an exit adds one). */
  readonly incarnation: number;
}

/**
 * Count, from what each user's view printed and the plan alone, what happened to every
 * message: the code under test is not asked. `users` are the planned users (indexes of the
 * messages' `from` and `to`) followed by any newcomer, who is addressed by none.
 */
function tally(
  kind: 'direct' | 'channel',
  sim: Sim,
  users: User[],
  messages: Planned[],
  options: SoakOptions,
  started: number,
  simulatedStart: number,
  notes: string[],
  takeovers: number,
): SoakSummary {
  const s = sim.s;
  const byText = new Map(messages.map((m) => [m.text, m]));
  // shown.get(text).get(recipient index) = every time it was shown there
  const shown = new Map<string, Map<number, Shown[]>>();
  const examples: string[] = [];
  const example = (e: string): void => {
    if (examples.length < 10) examples.push(e);
  };
  let unexpected = 0;
  let misdelivered = 0;
  for (const e of sim.uncaught.slice(0, 3)) example(`uncaught: ${e}`);
  // What each member was told on `reg`: how many messages could not be kept for it.
  const toldNotKept = users.map((u) => (options.ignoreNotKeptReports ? 0 : u.events.reduce((n, { event }) => n + (event.kind === 'not-kept' ? event.count : 0), 0)));
  let notKeptReported = 0;

  users.forEach((user, recipient) => {
    for (const { event, at, incarnation } of user.events) {
      let from: string;
      let text: string;
      let via: Shown['via'];
      let wantKind: 'direct' | 'channel';
      if (event.kind === 'direct-received') {
        [from, text, via, wantKind] = [event.from, event.text, 'live', 'direct'];
      } else if (event.kind === 'channel-received') {
        [from, text, via, wantKind] = [event.from, event.text, 'live', 'channel'];
      } else if (event.kind === 'stored-received') {
        [from, text, via, wantKind] = [event.from, event.text, 'mailbox', event.storedKind];
      } else continue;
      const m = byText.get(text);
      if (!m || wantKind !== kind || users[m.from]!.name !== from) {
        unexpected += 1;
        example(`unexpected: ${user.name} showed ${event.kind} ${from}: ${text}`);
        continue;
      }
      const addressee = kind === 'direct' ? m.to === recipient : m.from !== recipient;
      if (!addressee) {
        misdelivered += 1;
        example(`misdelivered: ${user.name} showed ${event.kind} ${from}: ${text}, meant for ${kind === 'direct' ? users[m.to]!.name : 'the other members'}`);
        continue;
      }
      let perRecipient = shown.get(text);
      if (!perRecipient) shown.set(text, (perRecipient = new Map()));
      const list = perRecipient.get(recipient) ?? [];
      list.push({ via, at, incarnation });
      perRecipient.set(recipient, list);
    }
  });

  let acked = 0;
  let saved = 0;
  let failed = 0;
  let badOutcome = 0;
  let deliveredDirect = 0;
  let deliveredMailbox = 0;
  let lost = 0;
  let twice = 0;
  let againAfterRestart = 0;
  const latencies: number[] = [];
  for (const m of messages) {
    const outcome = m.outcomes;
    if (outcome.length !== 1) {
      badOutcome += 1;
      example(`bad outcome: ${users[m.from]!.name} → ${m.text}: [${outcome.join(', ')}]`);
    }
    const isAcked = outcome.includes('direct-acked') || outcome.includes('channel-acked');
    const isSaved = outcome.includes('saved-by-server');
    const isFailed = outcome.some((k) => FAILED_OUTCOMES.has(k));
    if (isAcked) acked += 1;
    if (isSaved) saved += 1;
    if (isFailed) failed += 1;
    const perRecipient = shown.get(m.text) ?? new Map<number, Shown[]>();
    const recipients = kind === 'direct' ? [m.to] : users.map((_, i) => i).filter((i) => i !== m.from);
    // A channel message the server never took (no ACK, shown nowhere) has no recipients to check.
    const accepted = kind === 'direct' || isAcked || perRecipient.size > 0;
    for (const r of recipients) {
      const copies = perRecipient.get(r) ?? [];
      if (copies.length > 1) {
        const perProcess = new Map<number, number>();
        for (const c of copies) perProcess.set(c.incarnation, (perProcess.get(c.incarnation) ?? 0) + 1);
        const describe = `${m.text} from ${users[m.from]!.name} at ${users[r]!.name} via ${copies.map((c) => `${c.via}@${c.at - simulatedStart}ms/process#${c.incarnation}`).join(' + ')}`;
        if ([...perProcess.values()].some((n) => n > 1)) {
          twice += 1;
          example(`shown ${copies.length} times: ${describe}`);
        } else {
          againAfterRestart += 1;
          example(`shown again after a restart: ${describe}`);
        }
      }
      if (copies.length === 0) {
        // Not shown: fine only if its sender was told it failed, or (channel) that this member's
        // mailbox was full, or the member was told a message could not be kept for it.
        // The member's count covers the copies its sender named too: each unshown copy uses one.
        const named = !options.ignoreNotKeptReports && m.notKeptFor?.includes(users[r]!.name) === true;
        if (accepted && kind === 'channel' && (named || toldNotKept[r]! > 0)) {
          toldNotKept[r] = Math.max(0, toldNotKept[r]! - 1);
          notKeptReported += 1;
          continue;
        }
        if (accepted && (kind === 'channel' || !isFailed)) {
          lost += 1;
          example(`lost: ${m.text} from ${users[m.from]!.name} to ${users[r]!.name} (sender saw [${outcome.join(', ')}])`);
        }
        continue;
      }
      const first = copies.reduce((a, b) => (b.at < a.at ? b : a));
      if (first.via === 'live') deliveredDirect += 1;
      else deliveredMailbox += 1;
      if (m.sentAt !== undefined) latencies.push(first.at - m.sentAt);
    }
  }
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => (latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
  return {
    kind,
    seed: options.seed,
    clients: options.clients,
    offlineClients: kind === 'channel' ? options.offline : 0,
    takeovers,
    faults: { loss: options.loss, duplicate: options.duplicate, reorder: options.reorder, reorderMaxDelayMs: options.reorderMaxDelayMs, latencyMs: options.latencyMs },
    attempted: messages.filter((m) => m.sentAt !== undefined).length,
    acked,
    saved,
    delivered_direct: deliveredDirect,
    delivered_via_mailbox: deliveredMailbox,
    failed_reported: failed,
    not_kept_reported: notKeptReported,
    lost,
    shown_twice: twice,
    shown_again_after_restart: againAfterRestart,
    unexpected,
    misdelivered,
    uncaught: sim.uncaught.length,
    bad_outcome: badOutcome,
    restarts: users.reduce((sum, u) => sum + u.restarts, 0),
    latencyP50Ms: q(0.5),
    latencyP99Ms: q(0.99),
    latencyMaxMs: latencies.at(-1) ?? 0,
    simulatedMs: Date.now() - simulatedStart,
    wallMs: Math.round(performance.now() - started),
    network: { ...s.network.stats },
    notes,
    examples,
  };
}
