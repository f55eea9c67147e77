import 'reflect-metadata';
import { ContainerModule } from 'inversify';
import sinon from 'sinon';
import { ChatClient } from '../../src/application/client/chat-client';
import { ChatView } from '../../src/application/ports/chat-view';
import { Clock } from '../../src/application/ports/clock';
import { Crypto } from '../../src/application/ports/crypto';
import { Logger } from '../../src/application/ports/logger';
import { Transport } from '../../src/application/ports/transport';
import { ChatServer } from '../../src/application/server/chat-server';
import { ServerState } from '../../src/application/server/server-state';
import type { Address } from '../../src/domain/address';
import type { TableRow } from '../../src/domain/client-table';
import type { ChatSettings } from '../../src/application/settings';
import { parseLine } from '../../src/adapters/console/command-parser';
import { InMemoryChannelLog } from '../../src/adapters/in-memory/in-memory-channel-log';
import { InMemoryMailboxStore } from '../../src/adapters/in-memory/in-memory-mailbox-store';
import { InMemoryNetwork, type NetworkFaults } from '../../src/adapters/in-memory/in-memory-network';
import { InMemoryRegistryStore } from '../../src/adapters/in-memory/in-memory-registry-store';
import { InMemorySecretStore } from '../../src/adapters/in-memory/in-memory-secret-store';
import { InMemorySeenStore } from '../../src/adapters/in-memory/in-memory-seen-store';
import { SeededCrypto } from '../../src/adapters/in-memory/seeded-crypto';
import { InMemoryKeyStore } from '../../src/adapters/in-memory/in-memory-key-store';
import { SeededEndToEnd } from '../../src/adapters/system/seeded-end-to-end';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { defaultSettings, type ClientConfig, type ServerConfig } from '../../src/composition/config';
import { createContainer } from '../../src/composition/create-container';
import { clientLinkModule, serverLinkModule } from '../../src/composition/secure-link-module';
import { InMemoryServerPins, type ServerPins } from '../../src/adapters/wire/link/server-pins';
import { generateStaticKeyPair, type StaticKeyPair } from '../../src/adapters/wire/noise/noise-xx';
import { inMemoryModule } from '../../src/composition/in-memory-module';
import { memoryStoresModule } from '../../src/composition/memory-stores-module';
import { memoryClusterModule, newInMemorySystem, type InMemorySystem } from '../../src/composition/memory-cluster-module';
import { RecordingLogger } from './recording-logger';
import { RecordingView } from './recording-view';

export const SERVER_PORT = 5000;

/** A client node in a scenario: its view, and typing as a user would. */
export class TestClient {
  exitCode: number | undefined;
  constructor(
    readonly name: string,
    readonly client: ChatClient,
    readonly view: RecordingView,
    readonly logger: RecordingLogger,
  ) {
    client.onExit((code) => {
      this.exitCode = code;
    });
  }

  get lines(): string[] {
    return this.view.lines;
  }

  /** Type one line at the prompt (it runs in the background; advance time to see its effect). */
  type(line: string): Promise<void> {
    const parsed = parseLine(line);
    if (parsed.kind !== 'command') throw new Error(`not a network command: ${line}`);
    return this.client.submit(parsed.command);
  }
}

/** One system of several server instances in the scenario's process. */
export interface SharedSystem extends InMemorySystem {
  readonly mailbox: InMemoryMailboxStore;
  readonly channelLog: InMemoryChannelLog;
}

export interface ServerNode {
  readonly server: ChatServer;
  readonly view: RecordingView;
  readonly logger: RecordingLogger;
  readonly mailbox: InMemoryMailboxStore;
  readonly registry: InMemoryRegistryStore;
  /** Channel messages recorded and still owed; pass it to `startServer` again to model a restart. */
  readonly channelLog: InMemoryChannelLog;
  /** The server's authoritative table (rows and version), to compare with the clients' copies. */
  readonly table: () => { version: number; rows: TableRow[] };
  /**
   * The instance falls silent, as a killed process or a cut cable does: its socket closes
   * first, so nothing more reaches its clients (not even an instance's goodbye), then it stops.
   */
  readonly silence: () => Promise<void>;
}

/**
 * A whole chat system in one process: a server and clients, each its own container, on one
 * in-memory network, under sinon's fake timers so every 500 ms wait is simulated.
 */
export class Scenario {
  readonly network: InMemoryNetwork;
  /** The key pair of the scenario's servers (one system, or one server restarted on its data). */
  readonly serverKey: StaticKeyPair = generateStaticKeyPair();
  readonly clock: sinon.SinonFakeTimers;
  readonly settings: ChatSettings;
  private readonly stoppers: Array<() => Promise<void>> = [];
  private nodeSeed: number;

  /** Whether nodes talk to servers through the secure link, as the real program always does (off: plain frames, for stub peers). */
  private readonly secure: boolean;

  constructor(options: { seed?: number; faults?: Partial<NetworkFaults>; settings?: Partial<ChatSettings>; secure?: boolean } = {}) {
    this.secure = options.secure ?? true;
    this.clock = sinon.useFakeTimers({ now: new Date(2026, 10, 23, 12, 0, 0), toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    this.network = new InMemoryNetwork({ seed: options.seed ?? 1, ...(options.faults ? { faults: options.faults } : {}) });
    this.settings = defaultSettings(options.settings);
    this.nodeSeed = (options.seed ?? 1) * 1000;
  }

  /**
   * What the instances of one system share (the table, membership, mailboxes, channel log):
   * pass it to `startServer` for each instance.
   */
  newSystem(): SharedSystem {
    return { ...newInMemorySystem(), mailbox: new InMemoryMailboxStore(this.settings.mailboxQuota), channelLog: new InMemoryChannelLog() };
  }

  async startServer(
    options: { port?: number; mailbox?: InMemoryMailboxStore; registry?: InMemoryRegistryStore; channelLog?: InMemoryChannelLog; system?: SharedSystem; serverKey?: StaticKeyPair } = {},
  ): Promise<ServerNode> {
    const config: ServerConfig = { role: 'server', port: options.port ?? SERVER_PORT, settings: this.settings };
    const view = new RecordingView();
    const logger = new RecordingLogger();
    const mailbox = options.mailbox ?? options.system?.mailbox ?? new InMemoryMailboxStore(this.settings.mailboxQuota);
    const registry = options.registry ?? new InMemoryRegistryStore();
    const channelLog = options.channelLog ?? options.system?.channelLog ?? new InMemoryChannelLog();
    const container = createContainer(config, [
      inMemoryModule(this.network, config),
      memoryStoresModule({ mailbox, registry, channelLog }),
      this.nodeModule(view, logger, options.system ? `s${config.port}` : 's'),
      ...(this.secure ? [serverLinkModule(options.serverKey ?? this.serverKey)] : []),
      ...(options.system ? [memoryClusterModule(options.system)] : []),
    ]);
    const server = container.get(ChatServer);
    const state = container.get(ServerState);
    const transport = container.get<Transport>(Transport);
    await server.start();
    this.stoppers.push(() => server.stop());
    const silence = async (): Promise<void> => {
      await transport.close();
      await this.settle(server.stop());
    };
    return { server, view, logger, mailbox, registry, channelLog, silence, table: () => ({ version: state.table.version, rows: state.table.rows() }) };
  }

  /**
   * Start a client and let its registration finish. Pass the `secrets` and `seen` stores of an
   * earlier client to model the same user (same data directory) in a new process; `server`
   * (the port of the instance it starts with, SERVER_PORT by default) and `servers` (other
   * instances, as `--servers` gives them) to start it on a system of several servers.
   */
  async startClient(
    name: string,
    options: { port?: number; secrets?: InMemorySecretStore; keys?: InMemoryKeyStore; seen?: InMemorySeenStore; pins?: ServerPins; identitySeed?: string; settle?: boolean; server?: number; servers?: readonly Address[] } = {},
  ): Promise<TestClient> {
    const config: ClientConfig = {
      role: 'client',
      name,
      server: { ip: '127.0.0.1', port: options.server ?? SERVER_PORT },
      ...(options.servers ? { servers: options.servers } : {}),
      port: options.port ?? 0,
      settings: this.settings,
    };
    const view = new RecordingView();
    const logger = new RecordingLogger();
    const container = createContainer(config, [
      inMemoryModule(this.network, config),
      // Keys from the scenario's seed and the name: a replayed scenario has the same keys.
      memoryStoresModule({ ...(options.secrets ? { secrets: options.secrets } : {}), ...(options.keys ? { keys: options.keys } : {}), ...(options.seen ? { seen: options.seen } : {}), e2e: new SeededEndToEnd(`${this.nodeSeed - (this.nodeSeed % 1000)}|${options.identitySeed ?? name}`) }),
      this.nodeModule(view, logger, name),
      ...(this.secure ? [clientLinkModule(options.pins ?? new InMemoryServerPins())] : []),
    ]);
    const client = new TestClient(name, container.get(ChatClient), view, logger);
    const started = client.client.start();
    this.stoppers.push(() => client.client.stop());
    if (options.settle !== false) {
      // On a slow network (latency) the handshake and registration take longer: more simulated time, never a wait on a clock nobody ticks.
      let settled = false;
      void started.finally(() => {
        settled = true;
      });
      await this.run(100);
      for (let i = 0; i < 100 && !settled; i++) await this.run(50);
      await started;
    }
    return client;
  }

  /** Type `line` at `client`, let `ms` of simulated time pass, and return what it printed meanwhile. */
  async say(client: TestClient, line: string, ms = 100): Promise<string[]> {
    const mark = client.lines.length;
    void client.type(line);
    await this.run(ms);
    return client.view.since(mark);
  }

  /** Advance simulated time, running every timer and promise due. */
  async run(ms: number): Promise<void> {
    await this.clock.tickAsync(ms);
  }

  /** Run simulated time until `work` settles (a clean stop waits on timers: an instance's goodbye to its clients). */
  async settle<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    for (let ms = 0; !settled; ms += 10) {
      if (ms > 60_000) throw new Error('still not settled after 60 s of simulated time');
      await this.clock.tickAsync(10);
    }
    return watched;
  }

  async stop(): Promise<void> {
    for (const stop of this.stoppers.reverse()) await this.settle(stop());
    this.network.close();
    this.clock.restore();
  }

  private nodeModule(view: RecordingView, logger: RecordingLogger, prefix: string): ContainerModule {
    const seed = ++this.nodeSeed;
    return new ContainerModule(({ bind }) => {
      bind(ChatView).toConstantValue(view);
      bind(Logger).toConstantValue(logger);
      bind(Clock).toConstantValue(new SystemClock());
      bind(Crypto).toConstantValue(new SeededCrypto(seed, prefix));
    });
  }
}
