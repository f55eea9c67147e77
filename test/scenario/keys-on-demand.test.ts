import { expect } from 'chai';
import { decodeDatagram, encodeMessage } from '../../src/adapters/wire/envelope-codec';
import type { Message } from '../../src/application/protocol/envelope';
import { sealedChat } from '../support/peer-keys';
import { Scenario, type TestClient } from '../support/scenario';

/**
 * Protocol 10: table rows carry no keys; a client asks the server for the keys it needs. Here
 * no table is small enough to have its keys asked for as it arrives (prefetchKeysMaxRows 0),
 * so every key is asked for when it is first needed, as in a table of thousands.
 */
describe('scenario: keys asked for when needed (tables without keys)', () => {
  let s: Scenario;
  let sent: Message[];
  beforeEach(() => {
    s = new Scenario({ seed: 41, secure: false, settings: { prefetchKeysMaxRows: 0 } });
    sent = [];
    s.network.onSend = (data) => {
      const decoded = decodeDatagram(data);
      if (decoded.ok) sent.push(decoded.message);
    };
  });
  afterEach(async () => {
    await s.stop();
  });

  const keyRequests = (): Array<Extract<Message, { t: 'key-request' }>> => sent.filter((m): m is Extract<Message, { t: 'key-request' }> => m.t === 'key-request');

  async function three(): Promise<{ x: TestClient; y: TestClient; z: TestClient }> {
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    const z = await s.startClient('z');
    await s.run(200);
    return { x, y, z };
  }

  it('no table datagram carries a key, and nobody asks for a key before it needs one', async () => {
    await three();
    const tables = sent.filter((m) => m.t === 'table');
    expect(tables.length).to.be.greaterThan(0);
    expect(tables.flatMap((t) => (t.t === 'table' ? t.rows : [])).filter((r) => r.key !== undefined)).to.deep.equal([]);
    expect(keyRequests()).to.deep.equal([]);
  });

  it('the first send to a name asks for its key once; the receiver asks for the sender\'s; both show as before, and later sends ask nothing', async () => {
    const { x, y } = await three();
    expect(await s.say(x, 'send y first', 500)).to.deep.equal(['>>> [Message received by y.]']);
    expect(y.lines.at(-1)).to.equal('>>> x: first');
    expect(keyRequests().map((r) => r.names)).to.deep.equal([['y'], ['x']]);
    expect(await s.say(x, 'send y second', 500)).to.deep.equal(['>>> [Message received by y.]']);
    expect(await s.say(y, 'send x back', 500)).to.deep.equal(['>>> [Message received by x.]']);
    expect(x.lines.at(-1)).to.equal('>>> y: back');
    expect(keyRequests()).to.have.length(2);
  });

  it('a save for an offline name asks for its key, and the stored message opens at its log-in after its sender\'s key is asked for', async () => {
    const { x, z } = await three();
    expect(await s.say(z, 'dereg z', 300)).to.deep.equal(['>>> [You are Offline. Bye.]']);
    expect(await s.say(x, 'send z while away', 1500)).to.deep.equal(['>>> [No ACK from z, message sent to server.]', '>>> [Messages received by the server and saved]']);
    const mark = z.lines.length;
    await s.say(z, 'reg z', 1000);
    expect(z.view.since(mark).filter((l) => !l.startsWith('>>> [Client table'))).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [You have messages]', '>>> x: 2026-11-23 12:00:00 while away']);
    expect(keyRequests().map((r) => r.names)).to.deep.equal([['z'], ['x']]);
  });

  it('whois asks for the key it shows; list shows the keys asked for so far', async () => {
    const { x, z } = await three();
    const asked = x.client.whois('z');
    await s.run(100);
    const row = await asked;
    expect(keyRequests().map((r) => r.names)).to.deep.equal([['z']]);
    // The key z registered with (z's own row shows its own key).
    expect(row?.key).to.be.a('string').and.equal(z.client.tableRows().find((r) => r.name === 'z')?.key);
    expect(x.client.tableRows().filter((r) => r.key !== undefined).map((r) => r.name).sort()).to.deep.equal(['x', 'z']);
  });

  it('chats naming 2,000 made-up senders in 2 s make the client ask for at most 8 keys a second, and show nothing', async () => {
    const { x } = await three();
    const xRow = x.client.tableRows().find((r) => r.name === 'x')!;
    const mark = x.lines.length;
    for (let i = 0; i < 2000; i++) {
      const from = `made-up-${i}`;
      const data = encodeMessage({ t: 'chat', id: `f${i}`, from, to: 'x', sealed: sealedChat(from, 'x', `f${i}`, 'forged') });
      s.network.send(data, { ip: '127.0.0.1', port: 6666 }, { ip: xRow.ip, port: xRow.port });
      if (i % 100 === 99) await s.run(100);
    }
    await s.run(3000);
    expect(keyRequests().length).to.be.within(1, 8 * 3);
    expect(x.view.since(mark)).to.deep.equal([]);
  });
});
