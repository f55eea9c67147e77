import { identityOf, sealedStored } from './peer-keys';
import 'reflect-metadata';
import fc from 'fast-check';
import fs from 'node:fs';
import { ContainerModule } from 'inversify';
import { ChatClient } from '../../src/application/client/chat-client';
import { ChatView } from '../../src/application/ports/chat-view';
import { Logger } from '../../src/application/ports/logger';
import { MAX_DATAGRAM_BYTES, PROTOCOL_VERSION, type Message, type MessageType } from '../../src/application/protocol/envelope';
import { ChatServer } from '../../src/application/server/chat-server';
import type { ChatSettings } from '../../src/application/settings';
import type { Address } from '../../src/domain/address';
import { parseLine } from '../../src/adapters/console/command-parser';
import { decodeDatagram, encodeMessage } from '../../src/adapters/wire/envelope-codec';
import { ID_MAX_CHARS } from '../../src/adapters/wire/message-schema';
import { defaultSettings, type ClientConfig, type ServerConfig } from '../../src/composition/config';
import { createContainer } from '../../src/composition/create-container';
import { fsStoresModule } from '../../src/composition/fs-stores-module';
import { memoryStoresModule } from '../../src/composition/memory-stores-module';
import { systemModule } from '../../src/composition/system-module';
import { udpModule } from '../../src/composition/udp-module';
import { clientLinkModule, serverLinkModule } from '../../src/composition/secure-link-module';
import { InMemoryServerPins } from '../../src/adapters/wire/link/server-pins';
import { LINK_DATA, LINK_FINISH, LINK_HELLO, LINK_HELLO_MIN_BYTES, LINK_REPLY } from '../../src/adapters/wire/link/link-frames';
import { generateStaticKeyPair } from '../../src/adapters/wire/noise/noise-xx';
import { freshHello, messageOfEveryType, UdpAttacker, type Claims } from './attacker';
import { randomBytes } from 'node:crypto';
import { RecordingLogger } from './recording-logger';
import { RecordingView } from './recording-view';

/** How a fuzz datagram was made (figures are printed per kind). */
export type FuzzKind =
  | 'random-bytes' | 'empty' | 'oversize' | 'truncated' | 'bit-flips' | 'byte-splice'
  | 'field-mutation' | 'random-json' | 'deep-nesting' | 'valid' | 'hostile-text'
  | 'link-handshake' | 'link-data';

export interface FuzzDatagram {
  readonly kind: FuzzKind;
  readonly data: Buffer;
}

const ID_ARB = fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{1,${ID_MAX_CHARS}}$`));
const MESSAGE_TYPES: MessageType[] = ['register', 'welcome', 'refused', 'confirm', 'table-request', 'table', 'chat', 'save', 'dereg', 'send-all', 'channel', 'probe', 'stored', 'ack'];

/**
 * Valid messages of every type to mutate, claiming the given names (the real clients of a
 * run, so mutations that still decode are forgeries against real state) and random ones.
 */
export function fuzzTemplates(names: readonly string[], peer: Address): Message[] {
  const out: Message[] = [];
  const all = [...names, 'mallory', '__proto__', 'CON'];
  all.forEach((name, i) => {
    const claims: Claims = { name, token: `tok${i}AAAAAAAAAAAAAAAAAAAA`, secret: `sec${i}BBBBBBBBBBBBBBBBBBB`, id: `fz${i}`, peer };
    out.push(...Object.values(messageOfEveryType(claims)));
  });
  return out;
}

/** A frame around any header value and body: the codec's layout, with nothing checked. */
function frameRaw(header: unknown, body: Uint8Array = Buffer.alloc(0), version = PROTOCOL_VERSION): Buffer {
  const head = Buffer.from(JSON.stringify(header) ?? 'null', 'utf8');
  return Buffer.concat([Buffer.from([version & 0xff, (head.length >> 8) & 0xff, head.length & 0xff]), head, body]);
}

/** The header (a JSON array) and body of a valid frame, to mutate. */
function unframe(data: Buffer): { header: unknown[]; body: Buffer } {
  const headLength = data.readUInt16BE(1);
  return { header: JSON.parse(data.subarray(3, 3 + headLength).toString('utf8')) as unknown[], body: data.subarray(3 + headLength) };
}

/**
 * Whether a datagram is one a node may answer: a frame the codec accepts, or a first handshake
 * message of the secure link padded to its size (answered by the second, smaller than it).
 * Anything else must get no reply at all.
 */
export function mayBeAnswered(data: Buffer): boolean {
  return decodeDatagram(data).ok || (data[0] === LINK_HELLO && data.length >= LINK_HELLO_MIN_BYTES);
}

/** Control characters, escape sequences, bidi overrides, lone surrogates: text that attacks terminals and encoders. */
const HOSTILE_TEXT = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('\x1b[2J\x1b[H', '\x1b]0;pwned\x07', '\x9b31m', '\u202eevil', 'a\nb\r\nc', '\u0000\u007f', '\ud800', '\u2028\u2029', '%s%n%x'),
);

/**
 * Every kind of bad input, built from valid encoded messages of every type: random bytes,
 * empty, oversize, truncated, bit flips, spliced bytes, a header field removed/retyped/added
 * (and `__proto__` keys), a body length that does not match, random JSON headers, deep
 * nesting, hostile text in valid messages, and valid messages with fresh ids.
 */
export function fuzzDatagramArbitrary(templates: readonly Message[]): fc.Arbitrary<FuzzDatagram> {
  const template = fc.constantFrom(...templates);
  const encoded = template.map((m) => encodeMessage(m));
  const as = (kind: FuzzKind) => (data: Buffer | Uint8Array): FuzzDatagram => ({ kind, data: Buffer.from(data) });
  return fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: MAX_DATAGRAM_BYTES + 100 }).map(as('random-bytes')) },
    // Secure-link datagrams: handshake messages of every type and size around the padding
    // threshold, and data datagrams naming random sessions and counters.
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(LINK_HELLO, LINK_REPLY, LINK_FINISH), fc.integer({ min: 0, max: 700 }), fc.uint8Array({ minLength: 64, maxLength: 64 }))
        .map(([type, size, seed]) => as('link-handshake')(Buffer.concat([Buffer.from([type]), Buffer.from(seed), Buffer.alloc(Math.max(0, size - 65))]).subarray(0, Math.max(1, size)))),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 1100 })).map(([head, rest]) => as('link-data')(Buffer.concat([Buffer.from([LINK_DATA]), Buffer.from(head), Buffer.from(rest)]))),
    },
    { weight: 1, arbitrary: fc.constant(as('empty')(Buffer.alloc(0))) },
    {
      weight: 1,
      arbitrary: fc.tuple(encoded, fc.integer({ min: MAX_DATAGRAM_BYTES + 1, max: 4 * MAX_DATAGRAM_BYTES })).map(([data, size]) =>
        as('oversize')(Buffer.concat([data, Buffer.alloc(Math.max(0, size - data.length), 0x79)])),
      ),
    },
    { weight: 2, arbitrary: encoded.chain((data) => fc.nat(Math.max(0, data.length - 1)).map((cut) => as('truncated')(data.subarray(0, cut)))) },
    {
      weight: 3,
      arbitrary: encoded.chain((data) =>
        fc.array(fc.tuple(fc.nat(data.length - 1), fc.nat(7)), { minLength: 1, maxLength: 8 }).map((flips) => {
          const copy = Buffer.from(data);
          for (const [i, bit] of flips) copy[i] = copy[i]! ^ (1 << bit);
          return as('bit-flips')(copy);
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: encoded.chain((data) =>
        fc.tuple(fc.nat(data.length), fc.nat(16), fc.uint8Array({ maxLength: 24 })).map(([at, drop, insert]) =>
          as('byte-splice')(Buffer.concat([data.subarray(0, at), Buffer.from(insert), data.subarray(Math.min(data.length, at + drop))])),
        ),
      ),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          encoded,
          fc.constantFrom('delete', 'retype', 'add', 'proto', 'type', 'version', 'body'),
          fc.nat(),
          fc.jsonValue({ maxDepth: 3 }),
          fc.constantFrom(...MESSAGE_TYPES),
        )
        .map(([data, op, pick, value, type]) => {
          const { header, body } = unframe(data);
          const at = pick % header.length;
          if (op === 'delete') header.splice(at, 1);
          else if (op === 'retype') header[at] = value;
          else if (op === 'add') header.splice(at, 0, value);
          else if (op === 'type') header[0] = type;
          else if (op === 'version') return as('field-mutation')(frameRaw(header, body, PROTOCOL_VERSION + 1 + (pick % 254)));
          else if (op === 'body') return as('field-mutation')(frameRaw(header, Buffer.concat([body, Buffer.alloc(1 + (pick % 8), 0x78)]).subarray(pick % 2 === 0 ? 0 : 2 + (pick % 8))));
          else {
            // A header holding `__proto__` and `constructor` keys (written as text: an object literal would set the prototype instead).
            const polluted = JSON.stringify(header).replace(/^\[/, '[{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}},');
            const head = Buffer.from(polluted, 'utf8');
            return as('field-mutation')(Buffer.concat([Buffer.from([PROTOCOL_VERSION, head.length >> 8, head.length & 0xff]), head, body]));
          }
          return as('field-mutation')(frameRaw(header, body));
        }),
    },
    { weight: 2, arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.uint8Array({ maxLength: 64 })).map(([v, body]) => as('random-json')(frameRaw(v, body))) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 599 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => {
        const head = Buffer.from(open.repeat(depth) + (open === '[' ? ']' : '1}').repeat(depth), 'utf8');
        return as('deep-nesting')(Buffer.concat([Buffer.from([PROTOCOL_VERSION, head.length >> 8, head.length & 0xff]), head]));
      }),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(template, ID_ARB).map(([message, id]) => as('valid')(encodeMessage({ ...message, ...('id' in message ? { id } : {}) } as Message))),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(template, HOSTILE_TEXT, ID_ARB).map(([message, text, id]) => {
        const obj: Record<string, unknown> = { ...message };
        if ('id' in message) obj['id'] = id;
        if ('text' in message) obj['text'] = text;
        else if ('name' in message) obj['name'] = text;
        else if (message.t === 'stored') obj['items'] = [{ ...message.items[0]!, text }];
        return as('hostile-text')(encodeMessage(obj as unknown as Message));
      }),
    },
  );
}

/** `count` fuzz datagrams from `seed`, made lazily in chunks (100,000 at once would not fit comfortably in memory). */
export function* fuzzDatagrams(templates: readonly Message[], count: number, seed: number, chunk = 1000): Generator<FuzzDatagram> {
  const arb = fuzzDatagramArbitrary(templates);
  for (let made = 0, i = 0; made < count; i++) {
    const n = Math.min(chunk, count - made);
    for (const d of fc.sample(arb, { seed: seed + i, numRuns: n })) yield d;
    made += n;
  }
}

export interface FuzzPlan {
  readonly targets: readonly Address[];
  readonly datagrams: Iterable<FuzzDatagram>;
  /** Source sockets per class (unparseable / parseable), so datagrams come from many ports. */
  readonly socketsPerClass?: number;
  /** Datagrams per second put on the wire (each datagram goes to every target). */
  readonly perSecond?: number;
  /** How long to wait for late replies after the last datagram. */
  readonly settleMs?: number;
}

export interface FuzzFigures {
  datagrams: number;
  sentToTargets: number;
  unparseable: number;
  parseable: number;
  byKind: Record<string, number>;
  /** Datagrams that came back to the sockets that sent only unparseable input: must be 0. */
  repliesToUnparseable: number;
  /** Datagrams the kernel dropped at those sockets (Linux; replies we could not count): must be 0 too. */
  kernelDropsAtUnparseable: number;
  parseableBytesSent: number;
  parseableBytesReceived: number;
  repliesToParseable: number;
  sockets: number;
  seconds: number;
}

/**
 * Throw every datagram at every target from many source ports. Datagrams the shared codec
 * rejects are sent only from their own set of sockets, so anything arriving back on those
 * sockets is a reply to unparseable input.
 */
export async function runFuzz(plan: FuzzPlan): Promise<FuzzFigures> {
  const perClass = plan.socketsPerClass ?? 32;
  const perSecond = plan.perSecond ?? 20_000;
  const unparseableSockets = await Promise.all(Array.from({ length: perClass }, () => UdpAttacker.open()));
  const parseableSockets = await Promise.all(Array.from({ length: perClass }, () => UdpAttacker.open()));
  const figures: FuzzFigures = {
    datagrams: 0, sentToTargets: 0, unparseable: 0, parseable: 0, byKind: {}, repliesToUnparseable: 0, kernelDropsAtUnparseable: 0,
    parseableBytesSent: 0, parseableBytesReceived: 0, repliesToParseable: 0, sockets: 2 * perClass, seconds: 0,
  };
  const started = Date.now();
  const batch = Math.max(1, Math.round(perSecond / 200));
  let inBatch = 0;
  let pending: Array<Promise<void>> = [];
  try {
    for (const d of plan.datagrams) {
      const parseable = mayBeAnswered(d.data);
      const pool = parseable ? parseableSockets : unparseableSockets;
      const socket = pool[figures.datagrams % pool.length]!;
      figures.datagrams += 1;
      figures.byKind[d.kind] = (figures.byKind[d.kind] ?? 0) + 1;
      if (parseable) figures.parseable += 1;
      else figures.unparseable += 1;
      for (const target of plan.targets) {
        pending.push(socket.send(target, d.data));
        figures.sentToTargets += 1;
      }
      if (++inBatch >= batch) {
        inBatch = 0;
        await Promise.all(pending);
        pending = [];
        // Pace to `perSecond`: a flood faster than the receiver drains only fills kernel buffers.
        const aheadMs = (figures.datagrams / perSecond) * 1000 - (Date.now() - started);
        await sleep(Math.max(0, aheadMs));
      }
    }
    await Promise.all(pending);
    await sleep(plan.settleMs ?? 1000);
  } finally {
    for (const s of unparseableSockets) {
      figures.repliesToUnparseable += s.received.datagrams;
      figures.kernelDropsAtUnparseable += kernelDrops(s.address.port);
    }
    for (const s of parseableSockets) {
      figures.repliesToParseable += s.received.datagrams;
      figures.parseableBytesReceived += s.received.bytes;
      figures.parseableBytesSent += s.sent.bytes;
    }
    await Promise.all([...unparseableSockets, ...parseableSockets].map((s) => s.close()));
    figures.seconds = (Date.now() - started) / 1000;
  }
  return figures;
}

/**
 * Datagrams the kernel dropped (receive buffer full) on the sockets bound to `port`, from
 * /proc/net/udp and /proc/net/udp6; 0 where there is no /proc.
 */
export function kernelDrops(port: number): number {
  let drops = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length >= 13 && parseInt(cols[1]!.split(':')[1]!, 16) === port) drops += Number(cols[12]);
    }
  }
  return drops;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `done()` or `ms` elapse; true if it became true. */
export async function waitUntil(done: () => boolean, ms: number, everyMs = 2): Promise<boolean> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= until) return false;
    await sleep(everyMs);
  }
  return true;
}

function nodeModule(view: RecordingView, logger: RecordingLogger): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(ChatView).toConstantValue(view);
    bind(Logger).toConstantValue(logger);
  });
}

/** A real server in this process: the production container over real UDP on 127.0.0.1. */
export interface UdpServerNode {
  readonly server: ChatServer;
  readonly address: Address;
  readonly view: RecordingView;
  readonly logger: RecordingLogger;
  stop(): Promise<void>;
}

export async function startUdpServer(options: { settings?: Partial<ChatSettings>; dataDir?: string; logger?: RecordingLogger } = {}): Promise<UdpServerNode> {
  const config: ServerConfig = { role: 'server', port: 0, host: '127.0.0.1', settings: defaultSettings(options.settings) };
  const view = new RecordingView();
  const logger = options.logger ?? new RecordingLogger();
  const stores = options.dataDir ? fsStoresModule(options.dataDir, config.settings.mailboxQuota) : memoryStoresModule();
  // As the real program: every client speaks to it through the secure link.
  const container = createContainer(config, [udpModule(config), serverLinkModule(generateStaticKeyPair()), stores, systemModule(), nodeModule(view, logger)]);
  const server = container.get(ChatServer);
  const bound = await server.start();
  return { server, address: { ip: '127.0.0.1', port: bound.port }, view, logger, stop: () => server.stop() };
}

/** A real client in this process over real UDP, typed at like a user would. */
export interface UdpClientNode {
  readonly name: string;
  readonly client: ChatClient;
  readonly view: RecordingView;
  readonly logger: RecordingLogger;
  /** Where the server saw it register from. */
  readonly address: Address;
  type(line: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startUdpClient(name: string, server: Address, options: { settings?: Partial<ChatSettings> } = {}): Promise<UdpClientNode> {
  const config: ClientConfig = { role: 'client', name, server, port: 0, host: '127.0.0.1', settings: defaultSettings(options.settings) };
  const view = new RecordingView();
  const logger = new RecordingLogger();
  const container = createContainer(config, [udpModule(config), clientLinkModule(new InMemoryServerPins()), memoryStoresModule(), systemModule(), nodeModule(view, logger)]);
  const client = container.get(ChatClient);
  if (!(await client.start())) throw new Error(`client ${name} could not register: ${view.lines.join(' | ')}`);
  if (!(await waitUntil(() => client.tableRows().some((r) => r.name === name && r.online), 5000))) throw new Error(`client ${name} never saw itself online`);
  const row = client.tableRows().find((r) => r.name === name)!;
  return {
    name,
    client,
    view,
    logger,
    address: { ip: row.ip, port: row.port },
    type(line: string) {
      const parsed = parseLine(line);
      if (parsed.kind !== 'command') throw new Error(`not a network command: ${line}`);
      return client.submit(parsed.command);
    },
    stop: () => client.stop(),
  };
}

/** Errors logged by a node (a handler that threw, a request that failed): must stay 0. */
export function loggedErrors(logger: RecordingLogger): string[] {
  return logger.entries.filter((e) => e.level === 'error').map((e) => `${e.message} ${JSON.stringify(e.fields ?? {})}`);
}

/** One request type thrown at a node from its own fresh socket, and what came back. */
export interface AmplificationFigure {
  readonly probe: string;
  readonly target: string;
  readonly datagramsSent: number;
  readonly bytesSent: number;
  readonly datagramsReceived: number;
  readonly bytesReceived: number;
  /** bytes received ÷ bytes sent: must be ≤ 1.0 for an address that never proved it receives. */
  readonly ratio: number;
}

/** A request to throw: `copy` makes the n-th datagram (fresh ids, or the same one for retransmissions). */
export interface AmplificationProbe {
  readonly name: string;
  readonly target: Address;
  readonly targetName: string;
  copy(n: number): Buffer | Message;
}

/**
 * Every probe from its own fresh, never-validated socket, `copies` datagrams spread evenly
 * over `windowMs`, all probes at once; then wait `settleMs` more for late replies (a probe
 * of an online client takes 500 ms) and compare bytes.
 */
export async function measureAmplification(probes: readonly AmplificationProbe[], options: { windowMs: number; copies: number; settleMs?: number }): Promise<AmplificationFigure[]> {
  const sockets = await Promise.all(probes.map(() => UdpAttacker.open()));
  try {
    const gapMs = options.windowMs / options.copies;
    for (let n = 0; n < options.copies; n++) {
      await Promise.all(probes.map((p, i) => sockets[i]!.send(p.target, p.copy(n))));
      await sleep(gapMs);
    }
    await sleep(options.settleMs ?? 1200);
    return probes.map((p, i) => {
      const s = sockets[i]!;
      return {
        probe: p.name,
        target: p.targetName,
        datagramsSent: s.sent.datagrams,
        bytesSent: s.sent.bytes,
        datagramsReceived: s.received.datagrams,
        bytesReceived: s.received.bytes,
        ratio: s.received.bytes / s.sent.bytes,
      };
    });
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
  }
}

/**
 * The probes of SPEC §5 "no amplification": every request type of the protocol (and the
 * ones a server or client should never take), claiming `victim`'s name, at the server and at
 * a client, from sockets that never proved they receive.
 */
export function amplificationProbes(server: Address, client: Address, victim: string): AmplificationProbe[] {
  const fresh = (prefix: string) => (n: number): string => `${prefix}${n}x${Math.random().toString(36).slice(2, 10)}`;
  const claims = (id: string): Claims => ({ name: victim, token: 'WrongToken0000000000000', secret: 'WrongSecret000000000000', id, peer: client });
  const probes: AmplificationProbe[] = [];
  const sameHello = freshHello();
  const at = (targetName: string, target: Address, name: string, copy: (n: number) => Buffer | Message): void => {
    probes.push({ name, target, targetName, copy });
  };
  const newName = `amp${Math.random().toString(36).slice(2, 8)}`;
  const padded = (id: string, name: string, secret: string): Message => messageOfEveryType({ ...claims(id), name, secret }).register;
  at('server', server, 'register (new name, padded)', (n) => padded(fresh('rn')(n), newName, 'Secret0000000000000000000'));
  at('server', server, 'register (new name, padded, one id)', () => padded('rs1', `${newName}b`, 'Secret0000000000000000000'));
  at('server', server, 'register (online name, padded)', (n) => padded(fresh('ro')(n), victim, 'WrongSecret000000000000'));
  at('server', server, 'register (invalid name, padded)', (n) => padded(fresh('ri')(n), '../../etc/passwd', 'WrongSecret000000000000'));
  at('server', server, 'register (unpadded)', (n) => ({ t: 'register', id: fresh('ru')(n), name: `${newName}c`, secret: 'Secret0000000000000000000', key: identityOf(`${newName}c`).publicKey }));
  for (const type of MESSAGE_TYPES.filter((t) => t !== 'register')) {
    at('server', server, type, (n) => messageOfEveryType(claims(fresh(type.slice(0, 2))(n)))[type]);
  }
  for (const type of MESSAGE_TYPES) {
    at(`client ${victim}`, client, type, (n) => messageOfEveryType(claims(fresh(`c${type.slice(0, 2)}`)(n)))[type]);
  }
  at('server', server, 'link hello (padded, fresh key each time)', () => freshHello());
  at('server', server, 'link hello (one key, repeated)', () => sameHello);
  at('server', server, 'link hello (short)', () => freshHello().subarray(0, 200));
  at('server', server, 'link data (unknown session)', () => Buffer.concat([Buffer.from([LINK_DATA]), randomBytes(12), randomBytes(60)]));
  at(`client ${victim}`, client, 'link hello (padded)', () => freshHello());
  at('server', server, 'garbage', () => Buffer.from('not json at all'));
  at(`client ${victim}`, client, 'garbage', () => frameRaw(['chat']).subarray(0, 6));
  return probes;
}

export function formatAmplification(figures: readonly AmplificationFigure[]): string[] {
  return figures.map(
    (f) => `${`${f.target}: ${f.probe}`.padEnd(48)} sent ${String(f.datagramsSent).padStart(3)} dg ${String(f.bytesSent).padStart(6)} B, ` +
      `got ${String(f.datagramsReceived).padStart(3)} dg ${String(f.bytesReceived).padStart(6)} B, ratio ${f.ratio.toFixed(3)}`,
  );
}
