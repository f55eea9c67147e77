import { sealedTextsFor } from '../support/peer-keys';
import { expect } from 'chai';
import { Scenario, type TestClient } from '../support/scenario';

const WELCOME = '>>> [Welcome, You are registered.]';
const TABLE = '>>> [Client table updated.]';
const PORT = 6001;

/**
 * One address, one live session (a class where everyone picks ports like 6001): a client that
 * left silently must not keep its address, so nothing meant for it is shown to whoever takes
 * the port next, and the server never trips over two sessions at one address.
 */
describe('scenario: a port reused by another name after a silent leave', () => {
  let s: Scenario;
  beforeEach(() => {
    s = new Scenario();
  });
  afterEach(async () => {
    await s.stop();
  });

  const say = (from: TestClient, line: string, ms = 100): Promise<string[]> => s.say(from, line, ms);

  async function startAt(name: string, port: number): Promise<TestClient> {
    const client = await s.startClient(name, { port, settle: false });
    await s.run(1000);
    return client;
  }

  it('the newcomer takes the port only after the gone client is marked offline; nothing for the gone one reaches it', async () => {
    const server = await s.startServer();
    const alice = await s.startClient('alice', { port: PORT });
    const carol = await s.startClient('carol');
    await alice.client.stop();
    const bob = await startAt('bob', PORT);
    expect(bob.lines).to.deep.equal([WELCOME, TABLE]);
    expect(server.table().rows.find((r) => r.name === 'alice')).to.include({ online: false, port: PORT });
    expect(server.table().rows.find((r) => r.name === 'bob')).to.include({ online: true, port: PORT });
    await s.run(500);
    expect(carol.client.tableRows().find((r) => r.name === 'alice')?.online, "carol's table says alice left").to.equal(false);

    const toAlice = await say(carol, 'send alice secret', 1500);
    expect(toAlice).to.deep.equal(['>>> [No ACK from alice, message sent to server.]', '>>> [Messages received by the server and saved]']);
    expect(bob.lines.filter((l) => l.includes('secret')), 'shown to the newcomer').to.deep.equal([]);
    expect(sealedTextsFor(await server.mailbox.list('alice'), ['secret']), 'kept sealed, unreadable by the server').to.equal(true);

    expect(await say(carol, 'send_all hello all', 1500)).to.deep.equal(['>>> [Message received by Server.]']);
    expect(bob.lines).to.include('>>> [Channel_Message carol: hello all]');

    // Long after: table pushes and probes have all ended, and the server is still up.
    await s.run(20_000);
    const dave = await s.startClient('dave');
    expect(dave.lines).to.deep.equal([WELCOME, TABLE]);
    expect(await say(dave, 'send bob hi bob', 700)).to.deep.equal(['>>> [Message received by bob.]']);
    expect(server.logger.entries.filter((e) => e.level === 'error')).to.deep.equal([]);
  });

  it('a client that never answers its table pushes is probed and marked offline, and the others learn it', async () => {
    const server = await s.startServer();
    const alice = await s.startClient('alice', { port: PORT });
    const carol = await s.startClient('carol');
    await alice.client.stop();
    // A change for everyone: alice's push goes unanswered through every retry round.
    await s.startClient('dave');
    await s.run(30_000);
    expect(server.table().rows.find((r) => r.name === 'alice')?.online).to.equal(false);
    expect(carol.client.tableRows().find((r) => r.name === 'alice')?.online).to.equal(false);
    expect(server.logger.entries.filter((e) => e.level === 'error')).to.deep.equal([]);
  });
});
