import { expect } from 'chai';
import { InMemorySecretStore } from '../../src/adapters/in-memory/in-memory-secret-store';
import { Scenario, type TestClient } from '../support/scenario';

const WELCOME = '>>> [Welcome, You are registered.]';
const TABLE = '>>> [Client table updated.]';

describe('scenario: behaviours of SPEC §3', () => {
  let s: Scenario;
  beforeEach(() => {
    s = new Scenario();
  });
  afterEach(async () => {
    await s.stop();
  });

  async function say(from: TestClient, line: string, ms = 100): Promise<string[]> {
    const mark = from.lines.length;
    void from.type(line);
    await s.run(ms);
    return from.view.since(mark);
  }

  it('delivers a channel message to an offline client when it logs back in', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    expect(await say(y, 'dereg y')).to.deep.equal(['>>> [You are Offline. Bye.]']);
    expect(await say(x, 'send_all meeting at noon')).to.deep.equal(['>>> [Message received by Server.]']);
    expect(await say(y, 'reg y')).to.deep.equal([WELCOME, TABLE, '>>> [You have messages]', '>>> Channel_Message x: 2026-11-23 12:00:00 meeting at noon']);
  });

  it('silent leave: the next message gets no ACK, the server probes, stores it and updates the table', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    await y.client.stop();
    const lines = await say(x, 'send y are you still there', 1500);
    expect(lines).to.deep.equal(['>>> [No ACK from y, message sent to server.]', '>>> [Messages received by the server and saved]', TABLE]);
    expect(x.client.tableRows().find((r) => r.name === 'y')?.online).to.equal(false);
  });

  it('prints exists!! and updates the table when the local table is stale', async () => {
    const server = await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    await say(y, 'dereg y');
    expect(x.client.tableRows().find((r) => r.name === 'y')?.online).to.equal(false);
    // x stops hearing the server while y comes back, so x's table still says y is offline.
    const serverAddress = { ip: '127.0.0.1', port: 5000 };
    const xRow = x.client.tableRows().find((r) => r.name === 'x')!;
    s.network.partition(serverAddress, { ip: xRow.ip, port: xRow.port });
    await say(y, 'reg y', 3000);
    s.network.heal();
    expect(x.client.tableRows().find((r) => r.name === 'y')?.online).to.equal(false);
    const lines = await say(x, 'send y hi', 700);
    expect(lines.slice(0, 3)).to.deep.equal(['>>> [No ACK from y, message sent to server.]', '>>> [Client y exists!!]', TABLE]);
    expect(x.client.tableRows().find((r) => r.name === 'y')?.online).to.equal(true);
    // The save was refused ("exists"): nothing is stored for y, and y was shown nothing from x.
    expect(await server.mailbox.list('y')).to.deep.equal([]);
    expect(y.view.events.filter((e) => e.kind === 'direct-received' || e.kind === 'stored-received' || e.kind === 'channel-received')).to.deep.equal([]);
  });

  it('refuses a name that an online client holds; the newcomer exits with status 1', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const mark = x.lines.length;
    const impostor = await s.startClient('X', { settle: false });
    await s.run(1000);
    expect(impostor.lines).to.deep.equal(['>>> [Error: the name X is in use by an online client; choose another name.]']);
    expect(impostor.exitCode).to.equal(1);
    expect(x.view.since(mark)).to.deep.equal([]);
  });

  it('lets the same user come back under its name from a new process after a crash', async () => {
    await s.startServer();
    const secrets = new InMemorySecretStore();
    const first = await s.startClient('x', { secrets });
    const y = await s.startClient('y');
    await first.client.stop();
    const again = await s.startClient('x', { secrets, settle: false });
    await s.run(1000);
    expect(again.lines).to.deep.equal([WELCOME, TABLE]);
    expect(await say(y, 'send x welcome back')).to.deep.equal(['>>> [Message received by x.]']);
    expect(again.lines.at(-1)).to.equal('>>> y: welcome back');
  });

  it('refuses an offline name to a client without its secret', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    await say(x, 'dereg x');
    // Another user: another data directory, so another key.
    const other = await s.startClient('x', { settle: false, identitySeed: 'someone else' });
    await s.run(1000);
    expect(other.lines).to.deep.equal(['>>> [Error: the name x belongs to another client; choose another name.]']);
  });

  it('dereg and reg with another name print an error and send nothing', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const sent = s.network.stats.sent;
    expect(await say(x, 'dereg y')).to.deep.equal(['>>> [Error: you are registered as x; use dereg x.]']);
    expect(s.network.stats.sent).to.equal(sent);
    await say(x, 'dereg x');
    expect(await say(x, 'reg y')).to.deep.equal(['>>> [Error: you are registered as x; use reg x.]']);
    expect(await say(x, 'send x hi')).to.deep.equal(['>>> [Error: you are offline; use reg x to log back in.]']);
  });

  it('sending to yourself shows the message and the ACK', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    expect(await say(x, 'send x note to self')).to.deep.equal(['>>> x: note to self', '>>> [Message received by x.]']);
  });

  it('twenty clients all get every registration and a channel message', async () => {
    await s.startServer();
    const clients: TestClient[] = [];
    for (let i = 0; i < 20; i++) clients.push(await s.startClient(`c${i}`));
    clients.forEach((c, i) => {
      expect(c.lines.filter((l) => l === TABLE)).to.have.length(20 - i);
      expect(c.client.tableRows()).to.have.length(20);
    });
    await say(clients[0]!, 'send_all hello all', 200);
    for (const c of clients.slice(1)) expect(c.lines.at(-1)).to.equal('>>> [Channel_Message c0: hello all]');
    expect(await say(clients[19]!, 'send c3 direct')).to.deep.equal(['>>> [Message received by c3.]']);
  });

  it('peers keep chatting while the server is down; send_all reports the server not responding', async () => {
    const server = await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    await server.server.stop();
    expect(await say(x, 'send y still here?')).to.deep.equal(['>>> [Message received by y.]']);
    expect(y.lines.at(-1)).to.equal('>>> x: still here?');
    expect(await say(x, 'send_all anyone?', 3000)).to.deep.equal(['>>> [Server not responding.]']);
    expect(x.exitCode).to.equal(undefined);
  });

  it('a 900-character message and Unicode/emoji arrive intact; longer than 1,000 bytes is refused', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    const long = 'ab cd '.repeat(150);
    expect(long).to.have.length(900);
    await say(x, `send y ${long}`);
    expect(y.lines.at(-1)).to.equal(`>>> x: ${long}`);
    const unicode = 'héllo wörld ✓ 你好 🎉👩‍💻 שלום';
    await say(x, `send y ${unicode}`);
    expect(y.lines.at(-1)).to.equal(`>>> x: ${unicode}`);
    const tooLong = '🎉'.repeat(251);
    expect(await say(x, `send y ${tooLong}`)).to.deep.equal(['>>> [Error: message is 1004 bytes; the limit is 1000; nothing was sent.]']);
  });

  it('an unknown recipient gets an error with a suggestion', async () => {
    await s.startServer();
    const x = await s.startClient('alice');
    await s.startClient('bob');
    expect(await say(x, 'send bop hi')).to.deep.equal(['>>> [Error: no client named bop in the table; did you mean bob?]']);
  });
});
