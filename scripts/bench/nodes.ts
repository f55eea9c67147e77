import 'reflect-metadata';
import dgram from 'node:dgram';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContainerModule, type Container } from 'inversify';
import { ChatClient } from '../../src/application/client/chat-client';
import { ChatView, type ChatEvent } from '../../src/application/ports/chat-view';
import { Logger } from '../../src/application/ports/logger';
import { EndToEnd } from '../../src/application/ports/end-to-end';
import { Transport, type Inbound, type SendOutcome } from '../../src/application/ports/transport';
import type { Message } from '../../src/application/protocol/envelope';
import { ReliableSender } from '../../src/application/reliable-sender';
import { ChatServer } from '../../src/application/server/chat-server';
import { ServerState } from '../../src/application/server/server-state';
import type { ChatSettings } from '../../src/application/settings';
import type { InMemoryNetwork } from '../../src/adapters/in-memory/in-memory-network';
import { InMemoryTransport } from '../../src/adapters/in-memory/in-memory-transport';
import { UdpTransport } from '../../src/adapters/udp/udp-transport';
import type { Address } from '../../src/domain/address';
import { defaultSettings, type ClientConfig, type NodeConfig, type ServerConfig } from '../../src/composition/config';
import { createContainer } from '../../src/composition/create-container';
import { clientDataDir, defaultLogFile, serverDataDir } from '../../src/composition/data-dir';
import { fsStoresModule } from '../../src/composition/fs-stores-module';
import { createLogger } from '../../src/composition/logging';
import { memoryStoresModule } from '../../src/composition/memory-stores-module';
import { systemModule } from '../../src/composition/system-module';
import { clientLinkModule, linkOf, serverLinkModule } from '../../src/composition/secure-link-module';
import { InMemoryServerPins } from '../../src/adapters/wire/link/server-pins';
import { generateStaticKeyPair } from '../../src/adapters/wire/noise/noise-xx';

export const LOCALHOST = '127.0.0.1';

export const silentLogger: Logger = {
  debug: (m: string, f?: Record<string, unknown>) => { if (process.env['BENCH_LOG'] === 'debug') process.stderr.write(`debug ${m} ${JSON.stringify(f)}\n`); },
  info: () => undefined,
  warn: (m: string, f?: Record<string, unknown>) => { if (process.env['BENCH_LOG']) process.stderr.write(`warn ${m} ${JSON.stringify(f)}\n`); },
  error: (m: string, f?: Record<string, unknown>) => { if (process.env['BENCH_LOG']) process.stderr.write(`error ${m} ${JSON.stringify(f)}\n`); },
};

/**
 * Which stores and logger the in-process nodes of a section use. `command` is what the
 * `chatapp` command runs: file stores in a data directory (the server's mailboxes, registry and
 * channel log; each client's secrets and shown ids, fsynced as it shows them) and a winston
 * logger writing a file at level info, built by the command's own composition functions, in a
 * temp directory removed by `close()`. `memory` is in-memory stores and no logging, to see what
 * the disk and the log cost.
 */
export type StoreVariant = 'command' | 'memory';

export class BenchSetup {
  private readonly loggers: Array<{ close(): Promise<void> }> = [];

  private constructor(
    readonly variant: StoreVariant,
    /** The base data directory (`--data-dir`) of every node, for the `command` variant. */
    readonly baseDir: string | undefined,
  ) {}

  static async create(variant: StoreVariant): Promise<BenchSetup> {
    return new BenchSetup(variant, variant === 'command' ? await fsp.mkdtemp(path.join(os.tmpdir(), 'chatapp-bench-nodes-')) : undefined);
  }

  /** One line saying what the nodes of this setup store to and log with. */
  get label(): string {
    return BenchSetup.describe(this.variant);
  }

  static describe(variant: StoreVariant): string {
    return variant === 'command'
      ? 'file stores (fsync; each client writes the ids it shows before its ACK, fsyncing them within 20 ms) + a winston log file at info per node, as the chatapp command runs them (temp data dir, removed afterwards)'
      : 'in-memory stores, no logger (NOT what the chatapp command runs)';
  }

  /** The short tag shown next to the section number. */
  get tag(): string {
    return this.variant === 'command' ? '' : 'm';
  }

  storesModule(config: NodeConfig): ContainerModule {
    if (this.variant === 'memory') return memoryStoresModule({ quota: config.settings.mailboxQuota });
    const dir = config.role === 'server' ? serverDataDir(this.baseDir!, config.port) : clientDataDir(this.baseDir!);
    return fsStoresModule(dir, config.settings.mailboxQuota);
  }

  /** The command's logger (`createLogger`, its default file, level info), or none. */
  logger(config: NodeConfig): Logger {
    if (this.variant === 'memory') return silentLogger;
    // The command names a client's log by its port; the bench's clients take port 0, so by name.
    const file = config.role === 'server' ? defaultLogFile(this.baseDir!, 'server', config.port) : path.join(this.baseDir!, 'logs', `client-${config.name}.log`);
    const logger = createLogger({}, file, config.role === 'server' ? `server:${config.port}` : `client:${config.name}`);
    this.loggers.push(logger);
    return logger;
  }

  /** Flush and close the loggers, then remove the data directory. Call after every node stopped. */
  async close(): Promise<void> {
    for (const logger of this.loggers.splice(0)) await logger.close();
    // Retried: a node's last file operations may still be settling when the section ends.
    if (this.baseDir && process.env['BENCH_KEEP_DATA']) process.stderr.write(`[bench] data and logs kept in ${this.baseDir}\n`);
    else if (this.baseDir) await fsp.rm(this.baseDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

/** A view that prints nothing but counts events by kind and lets the bench wait on them. */
export class CountingView implements ChatView {
  readonly counts = new Map<ChatEvent['kind'], number>();
  /** The last error line's text, for failure messages. */
  lastError: string | undefined;
  onEvent: ((event: ChatEvent) => void) | undefined;

  show(event: ChatEvent): void {
    this.counts.set(event.kind, (this.counts.get(event.kind) ?? 0) + 1);
    if (event.kind === 'error') this.lastError = event.text;
    this.onEvent?.(event);
  }

  count(kind: ChatEvent['kind']): number {
    return this.counts.get(kind) ?? 0;
  }
}

/** Datagrams and bytes one node put on the wire, in total and by message type. */
export class CountingTransport implements Transport {
  datagrams = 0;
  bytes = 0;
  maxDatagramBytes = 0;
  readonly byType = new Map<string, { datagrams: number; bytes: number }>();
  /** Whole-table parts among the table datagrams. */
  fullTable = { datagrams: 0, bytes: 0 };
  /** By destination `ip|port`, when `perDestination` is set. */
  readonly byDestination = new Map<string, { datagrams: number; bytes: number }>();
  perDestination = false;

  constructor(private readonly inner: Transport) {}

  start(): Promise<Address> {
    return this.inner.start();
  }

  onReceive(handler: (inbound: Inbound) => void): void {
    this.inner.onReceive(handler);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  send(to: Address, message: Message): Promise<SendOutcome> {
    return this.inner.send(to, message).then((outcome) => {
      if (outcome.sent) {
        const bytes = outcome.bytes;
        this.datagrams += 1;
        this.bytes += bytes;
        if (bytes > this.maxDatagramBytes) this.maxDatagramBytes = bytes;
        const t = this.byType.get(message.t) ?? { datagrams: 0, bytes: 0 };
        t.datagrams += 1;
        t.bytes += bytes;
        this.byType.set(message.t, t);
        if (message.t === 'table' && message.full) {
          this.fullTable.datagrams += 1;
          this.fullTable.bytes += bytes;
        }
        if (this.perDestination) {
          const key = `${to.ip}|${to.port}`;
          const d = this.byDestination.get(key) ?? { datagrams: 0, bytes: 0 };
          d.datagrams += 1;
          d.bytes += bytes;
          this.byDestination.set(key, d);
        }
      }
      return outcome;
    });
  }

  snapshot(): TrafficSnapshot {
    const table = this.byType.get('table') ?? { datagrams: 0, bytes: 0 };
    return { datagrams: this.datagrams, bytes: this.bytes, table: { ...table }, full: { ...this.fullTable } };
  }
}

export interface Traffic {
  datagrams: number;
  bytes: number;
}

export interface TrafficSnapshot extends Traffic {
  table: Traffic;
  full: Traffic;
}

/** What was sent between two snapshots. */
export function trafficBetween(a: TrafficSnapshot, b: TrafficSnapshot): TrafficSnapshot {
  const d = (x: Traffic, y: Traffic): Traffic => ({ datagrams: y.datagrams - x.datagrams, bytes: y.bytes - x.bytes });
  return { ...d(a, b), table: d(a.table, b.table), full: d(a.full, b.full) };
}

export type NetworkChoice = { kind: 'udp' } | { kind: 'memory'; network: InMemoryNetwork };

function benchModule(config: NodeConfig, network: NetworkChoice, view: ChatView, logger: Logger, count: boolean, onTransport: (t: CountingTransport) => void): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(ChatView).toConstantValue(view);
    bind(Logger).toConstantValue(logger);
    bind(Transport)
      .toDynamicValue((ctx) => {
        // Through the secure link when the node's container has one, as the chatapp command's always does.
        const link = linkOf(ctx);
        const inner: Transport =
          network.kind === 'udp'
            ? new UdpTransport({ port: config.port, host: config.host ?? LOCALHOST, ...link }, logger)
            : new InMemoryTransport(network.network, config.port, logger, link.link);
        if (!count) return inner;
        const counting = new CountingTransport(inner);
        onTransport(counting);
        return counting;
      })
      .inSingletonScope();
  });
}

export interface BenchServer {
  readonly container: Container;
  readonly server: ChatServer;
  readonly state: ServerState;
  readonly sender: ReliableSender;
  readonly address: Address;
  readonly counter: CountingTransport | undefined;
  readonly view: CountingView;
}

/** A server in this process on the setup's stores and logger; a port is picked first when none is given (its data and log are named by it, as the command's are). */
export async function startBenchServer(setup: BenchSetup, options: { network?: NetworkChoice; count?: boolean; settings?: Partial<ChatSettings>; port?: number; secure?: boolean } = {}): Promise<BenchServer> {
  const network = options.network ?? { kind: 'udp' };
  const port = options.port ?? (network.kind === 'udp' ? await freeUdpPort() : 0);
  const config: ServerConfig = { role: 'server', port, host: LOCALHOST, settings: defaultSettings(options.settings) };
  const view = new CountingView();
  let counter: CountingTransport | undefined;
  const container = createContainer(config, [
    benchModule(config, network, view, setup.logger(config), options.count ?? false, (t) => {
      counter = t;
    }),
    setup.storesModule(config),
    systemModule(),
    ...(options.secure === false ? [] : [serverLinkModule(generateStaticKeyPair())]),
  ]);
  const server = container.get(ChatServer);
  const bound = await server.start();
  return {
    container,
    server,
    state: container.get(ServerState),
    sender: container.get(ReliableSender),
    address: { ip: LOCALHOST, port: bound.port },
    counter,
    view,
  };
}

export interface BenchClient {
  readonly name: string;
  readonly client: ChatClient;
  readonly view: CountingView;
  readonly container: Container;
  /** Resolves true once registered and confirmed. */
  readonly started: Promise<boolean>;
}

export function startBenchClient(setup: BenchSetup, name: string, server: Address, options: { network?: NetworkChoice; settings?: Partial<ChatSettings>; secure?: boolean; e2e?: EndToEnd } = {}): BenchClient {
  const network = options.network ?? { kind: 'udp' };
  const config: ClientConfig = { role: 'client', name, server, port: 0, host: LOCALHOST, settings: defaultSettings(options.settings) };
  const view = new CountingView();
  const link = options.secure === false ? [] : [clientLinkModule(new InMemoryServerPins())];
  const container = createContainer(config, [benchModule(config, network, view, setup.logger(config), false, () => undefined), setup.storesModule(config), systemModule(), ...link]);
  if (options.e2e) container.rebind(EndToEnd).toConstantValue(options.e2e);
  const client = container.get(ChatClient);
  return { name, client, view, container, started: client.start() };
}

/** A UDP port free on 127.0.0.1 right now (bound, read, released). */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, LOCALHOST, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
