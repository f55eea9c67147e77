import { expect } from 'chai';
import { Scenario, SERVER_PORT, type TestClient } from '../support/scenario';

const SERVER = { ip: '127.0.0.1', port: SERVER_PORT };

describe('scenario: channel messages reach each member in the order the server ACKed them', () => {
  let s: Scenario;
  beforeEach(() => {
    s = new Scenario();
  });
  afterEach(async () => {
    await s.stop();
  });

  function addressOf(c: TestClient): { ip: string; port: number } {
    const row = c.client.tableRows().find((r) => r.name === c.name)!;
    return { ip: row.ip, port: row.port };
  }

  it('a lost first push does not let the second overtake it', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    // The server's first push to y is lost; the second would get through at once.
    s.network.partitionOneWay(SERVER, addressOf(y));
    void x.type('send_all first');
    await s.run(30);
    s.network.heal();
    void x.type('send_all second');
    await s.run(5000);
    expect(x.lines.filter((l) => l === '>>> [Message received by Server.]')).to.have.length(2);
    expect(y.lines.filter((l) => l.startsWith('>>> [Channel_Message'))).to.deep.equal([
      '>>> [Channel_Message x: first]',
      '>>> [Channel_Message x: second]',
    ]);
  });

  it('a member found gone gets the rest stored in the same order', async () => {
    const server = await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    await y.client.stop();
    for (const text of ['one', 'two', 'three']) {
      void x.type(`send_all ${text}`);
      await s.run(20);
    }
    await s.run(10_000);
    expect((await server.mailbox.list('y')).map((m) => m.text)).to.deep.equal(['one', 'two', 'three']);
    // One time for each message, the time the server took it, whatever the member's turn.
    const times = new Set((await server.mailbox.list('y')).map((m) => m.storedAtMs));
    expect(times.size).to.equal(3);
  });

  it('one send_all has one stored time for every member, stored at once or after a member was found gone', async () => {
    const server = await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    const z = await s.startClient('z');
    void z.type('dereg z');
    await s.run(100);
    await y.client.stop();
    void x.type('send_all lunch?');
    await s.run(10_000);
    const [forY] = await server.mailbox.list('y');
    const [forZ] = await server.mailbox.list('z');
    expect(forY?.text).to.equal('lunch?');
    expect(forZ?.text).to.equal('lunch?');
    expect(forY!.storedAtMs).to.equal(forZ!.storedAtMs);
  });
});
