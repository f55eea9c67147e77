import { expect } from 'chai';
import type { Address } from '../../src/domain/address';
import { Scenario, SERVER_PORT, type ServerNode, type TestClient } from '../support/scenario';

const SERVER: Address = { ip: '127.0.0.1', port: SERVER_PORT };
const ACKED = '>>> [Message received by Server.]';

const PORTS: Record<string, number> = { x: 6001, y: 6002, z: 6003, w: 6004 };

function at(client: TestClient): Address {
  return { ip: '127.0.0.1', port: PORTS[client.name]! };
}

/** How many of `client`'s lines show `text` from x (live `[Channel_Message x: …]` or stored `Channel_Message x: <time> …`). */
function shown(client: TestClient, text: string): number {
  return client.lines.filter((l) => l.includes('Channel_Message x: ') && l.includes(text)).length;
}

describe('scenario: a send_all ACKed just before the server dies (SPEC §5 "Nothing lost")', () => {
  let s: Scenario;

  afterEach(async () => {
    await s.stop();
  });

  /**
   * The server "crashes" the instant `cut` says so: it is partitioned from every member (so
   * nothing more reaches them or it) and stopped; a new server container then starts on the
   * same stores, as a restarted process does on the same data directory.
   */
  async function crashAndRestart(server: ServerNode, members: TestClient[]): Promise<ServerNode> {
    await server.server.stop();
    s.network.heal();
    const restarted = await s.startServer({ mailbox: server.mailbox, registry: server.registry, channelLog: server.channelLog });
    await s.run(3000);
    expect(await restarted.channelLog.pending(), 'channel messages still owed after the restart').to.deep.equal([]);
    for (const m of members) expect(await restarted.mailbox.list(m.name), `${m.name}'s mailbox`).to.deep.equal([]);
    return restarted;
  }

  async function system(): Promise<{ server: ServerNode; x: TestClient; y: TestClient; z: TestClient; w: TestClient }> {
    s = new Scenario({ seed: 41 });
    const server = await s.startServer();
    const clients: TestClient[] = [];
    for (const name of ['x', 'y', 'z', 'w']) clients.push(await s.startClient(name, { port: PORTS[name]! }));
    const [x, y, z, w] = clients as [TestClient, TestClient, TestClient, TestClient];
    void w.type('dereg w');
    await s.run(100);
    expect(w.lines.at(-1)).to.equal('>>> [You are Offline. Bye.]');
    return { server, x, y, z, w };
  }

  it('no push reached the online members: after the restart each shows it once from its mailbox, and the offline member on reg', async () => {
    const { server, x, y, z, w } = await system();
    let crashed = false;
    // The crash comes right after the ACK: the pushes to the members never arrive.
    s.network.onSend = (_data, from, _to, message) => {
      if (from.port === SERVER.port && message?.t === 'channel' && !crashed) {
        crashed = true;
        for (const m of [y, z]) s.network.partition(SERVER, at(m));
      }
    };
    void x.type('send_all survive this');
    await s.run(20);
    expect(x.lines.at(-1)).to.equal(ACKED);
    expect(crashed).to.equal(true);
    expect(shown(y, 'survive this') + shown(z, 'survive this'), 'nothing reached the members before the crash').to.equal(0);
    s.network.onSend = undefined;

    await crashAndRestart(server, [y, z]);
    for (const m of [y, z]) {
      expect(shown(m, 'survive this'), `${m.name} shows it once`).to.equal(1);
      expect(m.lines).to.include('>>> [You have messages]');
    }
    expect(shown(x, 'survive this'), 'the sender never gets its own message').to.equal(0);

    // w's secure session died with the old server process: its first tries go unanswered until it shakes hands again.
    void w.type('reg w');
    await s.run(2000);
    expect(shown(w, 'survive this'), 'w shows it once on reg').to.equal(1);
    for (const m of [y, z]) expect(shown(m, 'survive this')).to.equal(1);
  });

  it('the pushes arrived but their ACKs died with the server: the stored copy after the restart is not shown again', async () => {
    const { server, x, y, z, w } = await system();
    let crashed = false;
    // Members show the push and ACK it; the server dies before any ACK reaches it.
    s.network.onSend = (_data, from, to, message) => {
      if (!message || to.port !== SERVER.port || crashed) return;
      if (message.t === 'ack' && (from.port === at(y).port || from.port === at(z).port)) {
        crashed = true;
        for (const m of [y, z]) s.network.partition(SERVER, at(m));
      }
    };
    void x.type('send_all twice is once');
    await s.run(20);
    expect(x.lines.at(-1)).to.equal(ACKED);
    expect(crashed).to.equal(true);
    for (const m of [y, z]) expect(m.lines.at(-1)).to.equal('>>> [Channel_Message x: twice is once]');
    s.network.onSend = undefined;
    expect((await server.channelLog.pending()).map((p) => [...p.recipients].sort()), 'still owed to both at the crash').to.deep.equal([['y', 'z']]);

    await crashAndRestart(server, [y, z]);
    for (const m of [y, z]) expect(shown(m, 'twice is once'), `${m.name} shows it once`).to.equal(1);
    // w's secure session died with the old server process: its first tries go unanswered until it shakes hands again.
    void w.type('reg w');
    await s.run(2000);
    expect(shown(w, 'twice is once')).to.equal(1);
  });

  it('a member gone when the server restarts is marked offline and gets the message on reg, once', async () => {
    const { server, x, y, z } = await system();
    s.network.onSend = (_data, from, _to, message) => {
      if (from.port === SERVER.port && message?.t === 'channel') s.network.partition(SERVER, at(z));
    };
    void x.type('send_all for z later');
    await s.run(20);
    expect(x.lines.at(-1)).to.equal(ACKED);
    s.network.onSend = undefined;
    await server.server.stop();
    // z stays cut off through the restart, so the restarted server's probe finds it gone.
    s.network.heal(SERVER, at(y));
    const restarted = await s.startServer({ mailbox: server.mailbox, registry: server.registry, channelLog: server.channelLog });
    await s.run(3000);
    expect(restarted.table().rows.find((r) => r.name === 'z')?.online).to.equal(false);
    expect(await restarted.mailbox.list('z')).to.have.length(1);
    expect(shown(y, 'for z later')).to.equal(1);
    s.network.heal();
    await s.run(3000);
    expect(shown(z, 'for z later'), 'z shows it once, after it confirmed its session again').to.equal(1);
    expect(await restarted.mailbox.list('z')).to.deep.equal([]);
  });
});
