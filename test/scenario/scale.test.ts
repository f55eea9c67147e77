import { expect } from 'chai';
import { ContainerModule } from 'inversify';
import { ChatView } from '../../src/application/ports/chat-view';
import { Clock } from '../../src/application/ports/clock';
import { Crypto } from '../../src/application/ports/crypto';
import { Logger } from '../../src/application/ports/logger';
import { MAX_DATAGRAM_BYTES, TABLE_ACK_RUN, type Message, type MessageOf } from '../../src/application/protocol/envelope';
import { ChatServer } from '../../src/application/server/chat-server';
import { ServerState, type ClientRecord } from '../../src/application/server/server-state';
import { TableBroadcaster } from '../../src/application/server/table-broadcaster';
import { TableJournal } from '../../src/application/server/table-journal';
import { InMemoryRegistryStore } from '../../src/adapters/in-memory/in-memory-registry-store';
import { SeededCrypto } from '../../src/adapters/in-memory/seeded-crypto';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { decodeDatagram, encodeMessage } from '../../src/adapters/wire/envelope-codec';
import type { Address } from '../../src/domain/address';
import { nameKey } from '../../src/domain/nickname';
import type { ServerConfig } from '../../src/composition/config';
import { createContainer } from '../../src/composition/create-container';
import { inMemoryModule } from '../../src/composition/in-memory-module';
import { memoryStoresModule } from '../../src/composition/memory-stores-module';
import { RecordingLogger } from '../support/recording-logger';
import { RecordingView } from '../support/recording-view';
import { Scenario, SERVER_PORT, type TestClient } from '../support/scenario';

const TABLE = '>>> [Client table updated.]';
const REGISTERED = 10_000;
/** The longest rows there are: 32-character names at full-length IPv6 addresses. */
const LONG_IP = 'fd00:abcd:ef01:2345:6789:abcd:ef01:2345';

/**
 * A client endpoint without a ChatClient: ACKs every request and records the table updates
 * it gets, so hundreds of online clients cost a few objects each, not a copy of the table.
 */
class StubClient {
  readonly address: Address;
  readonly updates: Array<MessageOf<'table'>> = [];
  private ids = 0;

  constructor(
    private readonly s: Scenario,
    readonly name: string,
    readonly token: string,
  ) {
    this.address = s.network.attach({ deliver: (data, from) => this.deliver(data, from) }, 0);
  }

  dereg(): void {
    this.send({ t: 'dereg', id: `${this.name}-${++this.ids}`, token: this.token, name: this.name });
  }

  private deliver(data: Buffer, from: Address): void {
    const decoded = decodeDatagram(data);
    if (!decoded.ok || !('id' in decoded.message)) return;
    const message = decoded.message;
    this.s.network.send(encodeMessage({ t: 'ack', re: message.id }), this.address, from);
    if (message.t === 'table') this.updates.push(message);
  }

  private send(message: Message): void {
    this.s.network.send(encodeMessage(message), this.address, { ip: '127.0.0.1', port: SERVER_PORT });
  }
}

/** Datagrams the network carried while `during` ran, counted by message type. */
async function traffic(s: Scenario, during: () => Promise<void>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  s.network.onSend = (data) => {
    const decoded = decodeDatagram(data);
    const type = decoded.ok ? decoded.message.t : 'invalid';
    counts.set(type, (counts.get(type) ?? 0) + 1);
  };
  await during();
  s.network.onSend = undefined;
  return counts;
}

/** Updates (complete sets of parts) a client was sent, one per distinct from/to. */
function updatesSent(parts: ReadonlyArray<MessageOf<'table'>>): number {
  return new Set(parts.map((p) => `${p.full}:${p.from}:${p.to}`)).size;
}

describe('scenario: scale (a 10,000-client table)', function () {
  // Not timed: the limit only keeps a hung run from hanging the suite.
  this.timeout(120_000);

  let s: Scenario;
  let state: ServerState;
  let broadcaster: TableBroadcaster;
  let journal: TableJournal;
  let stopServer: () => Promise<void>;
  let logger: RecordingLogger;
  const stubs: StubClient[] = [];

  before(async () => {
    // The stub clients speak plain frames to the server: what is measured here is the table's
    // spread, not the secure link (whose cost `npm run bench` shows).
    s = new Scenario({ secure: false });
    // 10,000 registered names, offline, restored from the registry as after a restart.
    const registry = new InMemoryRegistryStore();
    for (let i = 0; i < REGISTERED; i++) {
      const name = `registered-client-${String(i).padStart(14, '0')}`;
      await registry.save({ name, ip: LONG_IP, port: 65535, online: false, proof: `proof${i}`, token: '', version: i + 1 });
    }
    const config: ServerConfig = { role: 'server', port: SERVER_PORT, settings: s.settings };
    logger = new RecordingLogger();
    const container = createContainer(config, [
      inMemoryModule(s.network, config),
      memoryStoresModule({ registry }),
      new ContainerModule(({ bind }) => {
        bind(ChatView).toConstantValue(new RecordingView());
        bind(Logger).toConstantValue(logger);
        bind(Clock).toConstantValue(new SystemClock());
        bind(Crypto).toConstantValue(new SeededCrypto(7, 's'));
      }),
    ]);
    const server = container.get(ChatServer);
    state = container.get(ServerState);
    broadcaster = container.get(TableBroadcaster);
    journal = container.get(TableJournal);
    await server.start();
    stopServer = () => server.stop();
    expect(state.table.size).to.equal(REGISTERED);
  });

  after(async () => {
    await stopServer();
    await s.stop();
  });

  /**
   * Online clients put straight into the server's state, registered, confirmed and at the
   * current version (registering each through the protocol would send each the whole table).
   */
  async function addOnlineStubs(count: number): Promise<void> {
    const added: ClientRecord[] = [];
    for (let i = 0; i < count; i++) {
      const name = `online-${String(stubs.length).padStart(4, '0')}`;
      const stub = new StubClient(s, name, `t-${name}`);
      const record: ClientRecord = { name, proof: `proof-${name}`, token: '', address: stub.address, validated: true, knownVersion: 0, pendingSinceMs: undefined };
      state.add(nameKey(name), record);
      state.assignToken(nameKey(name), record, stub.token);
      await journal.upsert({ name, ip: stub.address.ip, port: stub.address.port, online: true });
      stubs.push(stub);
      added.push(record);
    }
    for (const record of added) record.knownVersion = state.table.version;
    // x and y (real clients) are behind now: let them catch up before anything is counted.
    broadcaster.changed();
  }

  let x: TestClient;
  let y: TestClient;

  it('a new client gets the whole 10,000-row table in datagrams of at most 1,200 bytes, ACKs about one part in eight, and prints one line for it', async () => {
    // Counted on the wire: table parts the server sends and ACKs it gets back.
    const seen = { tableParts: 0, acks: 0 };
    s.network.onSend = (_data, _from, to, message) => {
      if (message?.t === 'table') seen.tableParts += 1;
      if (message?.t === 'ack' && to.port === SERVER_PORT) seen.acks += 1;
    };
    x = await s.startClient('x');
    await s.run(2000);
    s.network.onSend = undefined;
    expect(x.client.tableRows()).to.have.length(REGISTERED + 1);
    // Protocol 9: one run ACK per TABLE_ACK_RUN parts held in a row and at the last (plus the
    // registration's and confirm's own); no part is sent twice on a clean network.
    expect(seen.tableParts).to.be.greaterThan(50);
    expect(seen.acks).to.be.at.least(Math.ceil(seen.tableParts / TABLE_ACK_RUN));
    expect(seen.acks).to.be.at.most(Math.ceil(seen.tableParts / TABLE_ACK_RUN) + 3);
    expect(x.lines).to.deep.equal(['>>> [Welcome, You are registered.]', TABLE]);
    y = await s.startClient('y');
    await s.run(2000);
    expect(y.client.tableRows()).to.have.length(REGISTERED + 2);
    expect(y.lines).to.deep.equal(['>>> [Welcome, You are registered.]', TABLE]);
    expect(x.lines).to.deep.equal(['>>> [Welcome, You are registered.]', TABLE, TABLE]);
    // Pages are filled close to the limit with the longest rows, and never beyond it.
    expect(s.network.stats.maxDatagramBytes).to.be.at.most(MAX_DATAGRAM_BYTES);
    expect(s.network.stats.maxDatagramBytes).to.be.greaterThan(900);
    expect(logger.entries.filter((e) => e.level === 'error')).to.deep.equal([]);
  });

  it('a status change costs one small datagram per online client, linearly in their number', async () => {
    const perChange: Array<{ online: number; table: number; all: number }> = [];
    for (const online of [100, 200, 400]) {
      await addOnlineStubs(online - stubs.filter((st) => state.table.get(st.name)?.online).length);
      await s.run(1000);
      const leaving = stubs.find((st) => state.table.get(st.name)?.online)!;
      const counts = await traffic(s, async () => {
        leaving.dereg();
        await s.run(1000);
      });
      const receivers = online - 1 + 2;
      perChange.push({ online: receivers, table: counts.get('table') ?? 0, all: [...counts.values()].reduce((a, b) => a + b, 0) });
      for (const st of stubs) if (st !== leaving && state.table.get(st.name)?.online) expect(st.updates.at(-1)?.to, st.name).to.equal(state.table.version);
    }
    for (const c of perChange) {
      // One table datagram to each online client, its ACK, and the dereg with its ACK.
      expect(c.table, JSON.stringify(c)).to.equal(c.online);
      expect(c.all, JSON.stringify(c)).to.equal(2 * c.online + 2);
    }
    const [small, , large] = perChange;
    expect(large!.all / small!.all).to.be.within(3.5, 4.5);
    expect(s.network.stats.maxDatagramBytes).to.be.at.most(MAX_DATAGRAM_BYTES);
  });

  it('coalesces a burst of changes: each client prints one line per update it applies, and ends at the latest version', async () => {
    const online = stubs.filter((st) => state.table.get(st.name)?.online);
    const xMark = x.lines.length;
    const yMark = y.lines.length;
    const xRow = state.table.get('x')!;
    const yRow = state.table.get('y')!;
    const toX: Array<MessageOf<'table'>> = [];
    const toY: Array<MessageOf<'table'>> = [];
    const changes = 60;
    s.network.onSend = (data, _from, to) => {
      const decoded = decodeDatagram(data);
      if (!decoded.ok || decoded.message.t !== 'table') return;
      if (to.port === xRow.port) toX.push(decoded.message);
      if (to.port === yRow.port) toY.push(decoded.message);
    };
    // 60 clients leave over 60 ms: more changes than rounds.
    for (let i = 0; i < changes; i++) {
      online[i]!.dereg();
      await s.run(1);
    }
    await s.run(2000);
    s.network.onSend = undefined;
    const xLines = x.view.since(xMark);
    const yLines = y.view.since(yMark);
    expect(xLines.every((l) => l === TABLE)).to.equal(true);
    expect(xLines.length).to.equal(updatesSent(toX));
    expect(yLines.length).to.equal(updatesSent(toY));
    expect(xLines.length).to.be.greaterThan(0);
    // One update per round, and a round ends only when the previous one is answered: far
    // fewer updates than changes (one per change would be 60).
    expect(xLines.length, 'updates to x').to.be.lessThan(changes / 2);
    expect(x.client.tableRows().filter((r) => r.name.startsWith('online-') && !r.online)).to.have.length(changes + 3);
    const version = state.table.version;
    for (const st of online.slice(changes)) expect(st.updates.at(-1)?.to, st.name).to.equal(version);
    expect(s.network.stats.maxDatagramBytes).to.be.at.most(MAX_DATAGRAM_BYTES);
  });
  it('newcomers registering while a round is under way each get the whole table once, then only what changed', async () => {
    const online = stubs.filter((st) => state.table.get(st.name)?.online);
    const byPort = new Map<number, Array<MessageOf<'table'>>>();
    s.network.onSend = (data, _from, to) => {
      const decoded = decodeDatagram(data);
      if (!decoded.ok || decoded.message.t !== 'table') return;
      byPort.set(to.port, [...(byPort.get(to.port) ?? []), decoded.message]);
    };
    const newcomers: TestClient[] = [];
    // Changes keep rounds going while the newcomers register and confirm.
    for (let i = 0; i < 8; i++) {
      online[i]!.dereg();
      if (i % 2 === 0) newcomers.push(await s.startClient(`newcomer-${i}`, { settle: false }));
      await s.run(5);
    }
    await s.run(3000);
    s.network.onSend = undefined;
    for (const n of newcomers) {
      const parts = byPort.get(state.table.get(n.name)!.port) ?? [];
      const wholeTables = new Set(parts.filter((p) => p.full).map((p) => `${p.from}:${p.to}`));
      expect(wholeTables.size, `whole tables to ${n.name}`).to.equal(1);
      expect(parts.filter((p) => p.full).length, `pages of them to ${n.name}`).to.equal(parts.find((p) => p.full)!.parts);
      expect(n.client.tableRows().length).to.equal(state.table.size);
    }
  });
});
