import { expect } from 'chai';
import { InMemorySecretStore } from '../../src/adapters/in-memory/in-memory-secret-store';
import { InMemorySeenStore } from '../../src/adapters/in-memory/in-memory-seen-store';
import { Scenario, SERVER_PORT, type TestClient } from '../support/scenario';

const SERVER = { ip: '127.0.0.1', port: SERVER_PORT };

/** A seen store whose loads take `delayMs` (a slow disk): the client registers meanwhile. */
class SlowSeenStore extends InMemorySeenStore {
  delayMs = 0;

  override async load(nameKey: string): Promise<string[]> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return super.load(nameKey);
  }
}

function addressOf(c: TestClient): { ip: string; port: number } {
  const row = c.client.tableRows().find((r) => r.name === c.name)!;
  return { ip: row.ip, port: row.port };
}

describe('scenario: a message is shown once across a restart of its recipient (SPEC §5 exactly-once display)', () => {
  let s: Scenario;
  beforeEach(() => {
    s = new Scenario();
  });
  afterEach(async () => {
    await s.stop();
  });

  async function shownAndStored(seen: InMemorySeenStore): Promise<{ x: TestClient; secrets: InMemorySecretStore }> {
    const secrets = new InMemorySecretStore();
    const x = await s.startClient('x', { secrets, seen });
    const y = await s.startClient('y');
    // x hears y and the server, but nothing x sends reaches them: its ACK to y is lost, y falls
    // back to the server, whose probe of x gets no answer either, so the message is stored.
    s.network.partitionOneWay(addressOf(x), addressOf(y));
    s.network.partitionOneWay(addressOf(x), SERVER);
    const mark = y.lines.length;
    void y.type('send x are you there');
    await s.run(5000);
    expect(x.lines.filter((l) => l === '>>> y: are you there'), 'x showed it live').to.have.length(1);
    expect(y.view.since(mark).slice(0, 2)).to.deep.equal(['>>> [No ACK from x, message sent to server.]', '>>> [Messages received by the server and saved]']);
    return { x, secrets };
  }

  it('a new process of the same user gets the stored copy, ACKs it, and does not show it again', async () => {
    const server = await s.startServer();
    const seen = new InMemorySeenStore();
    const { x, secrets } = await shownAndStored(seen);
    expect(await server.mailbox.list('x')).to.have.length(1);
    await x.client.stop();
    s.network.heal();

    const again = await s.startClient('x', { secrets, seen, settle: false });
    await s.run(3000);
    expect(again.lines).to.include('>>> [Welcome, You are registered.]');
    expect(again.lines.filter((l) => l.includes('are you there')), again.lines.join('\n')).to.deep.equal([]);
    expect(again.lines).to.not.include('>>> [You have messages]');
    expect(await server.mailbox.list('x'), 'the stored copy was ACKed').to.have.length(0);
  });

  it('without the seen store (another data directory) the stored copy is shown: the test can fail', async () => {
    const server = await s.startServer();
    const { x, secrets } = await shownAndStored(new InMemorySeenStore());
    await x.client.stop();
    s.network.heal();

    const again = await s.startClient('x', { secrets, seen: new InMemorySeenStore(), settle: false });
    await s.run(3000);
    expect(again.lines.filter((l) => l.includes('are you there')), again.lines.join('\n')).to.have.length(1);
    expect(await server.mailbox.list('x')).to.have.length(0);
  });

  it('the welcome does not wait for the shown messages to load; going online (the confirm) does', async () => {
    const server = await s.startServer();
    const seen = new SlowSeenStore();
    seen.delayMs = 1200;
    const x = await s.startClient('x', { seen, settle: false });
    await s.run(200);
    expect(x.lines, 'welcomed while they load').to.deep.equal(['>>> [Welcome, You are registered.]']);
    expect(server.table().rows.find((r) => r.name === 'x')?.online, 'not online before they are known').to.not.equal(true);
    await s.run(1200);
    expect(x.lines).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [Client table updated.]']);
    expect(server.table().rows.find((r) => r.name === 'x')?.online).to.equal(true);
  });
});
