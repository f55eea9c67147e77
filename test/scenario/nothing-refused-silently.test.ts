import { expect } from 'chai';
import { InMemoryMailboxStore } from '../../src/adapters/in-memory/in-memory-mailbox-store';
import { Scenario, type TestClient } from '../support/scenario';

const ACKED = '>>> [Message received by Server.]';

/** SPEC §7 "Nothing refused silently": a full mailbox is reported to the sender and, later, to its owner. */
describe('scenario: a message that cannot be kept for a member is never dropped silently', () => {
  let s: Scenario;
  beforeEach(() => {
    s = new Scenario({ settings: { mailboxQuota: { maxMessages: 2, maxBytes: 1024 * 1024 } } });
  });
  afterEach(async () => {
    await s.stop();
  });

  const say = (from: TestClient, line: string, ms = 200): Promise<string[]> => s.say(from, line, ms);

  it('the sender of a send_all is told which members will not get it; each is told the count on its next reg', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const carol = await s.startClient('carol');
    const dave = await s.startClient('dave');
    const y = await s.startClient('y');
    await say(carol, 'dereg carol');
    await say(dave, 'dereg dave');
    expect(await say(x, 'send_all one')).to.deep.equal([ACKED]);
    expect(await say(x, 'send_all two')).to.deep.equal([ACKED]);
    // Both mailboxes are at their quota of two now.
    expect(await say(x, 'send_all three')).to.deep.equal([ACKED, '>>> [Error: the mailboxes of carol and dave are full; they will not get this message.]']);
    expect(await say(x, 'send carol four', 1500)).to.deep.equal([
      '>>> [No ACK from carol, message sent to server.]',
      "[Error: the server's mailbox for carol is full; the message was not saved.]".replace(/^/, '>>> '),
    ]);
    expect(y.lines.filter((l) => l.startsWith('>>> [Channel_Message'))).to.have.length(3);
    expect(await say(carol, 'reg carol', 1000)).to.deep.equal([
      '>>> [Welcome, You are registered.]',
      '>>> [Client table updated.]',
      '>>> [You have messages]',
      '>>> Channel_Message x: 2026-11-23 12:00:00 one',
      '>>> Channel_Message x: 2026-11-23 12:00:01 two',
      '>>> [2 messages could not be kept for you while you were away.]',
    ]);
    // Told once: the count was cleared when carol ACKed it.
    await say(carol, 'dereg carol');
    expect(await say(carol, 'reg carol', 1000)).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [Client table updated.]']);
    const daveLines = await say(dave, 'reg dave', 1000);
    expect(daveLines.at(-1)).to.equal('>>> [1 messages could not be kept for you while you were away.]');
  });

  it('a single full member is named alone', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const carol = await s.startClient('carol');
    await say(carol, 'dereg carol');
    await say(x, 'send_all one');
    await say(x, 'send_all two');
    expect(await say(x, 'send_all three')).to.deep.equal([ACKED, '>>> [Error: the mailbox of carol is full; carol will not get this message.]']);
  });

  it('the count survives a server restart', async () => {
    const mailbox = new InMemoryMailboxStore(s.settings.mailboxQuota);
    const first = await s.startServer({ mailbox });
    const x = await s.startClient('x');
    const carol = await s.startClient('carol');
    await say(carol, 'dereg carol');
    for (const text of ['one', 'two', 'three', 'four']) await say(x, `send_all ${text}`);
    await first.server.stop();
    await s.startServer({ mailbox, registry: first.registry, channelLog: first.channelLog });
    const lines = await say(carol, 'reg carol', 2000);
    expect(lines.at(-1)).to.equal('>>> [2 messages could not be kept for you while you were away.]');
  });

  it('a save the server cannot store (its disk failed) is said to the sender, who keeps running: not "server not responding"', async () => {
    const mailbox = new InMemoryMailboxStore(s.settings.mailboxQuota);
    await s.startServer({ mailbox });
    const x = await s.startClient('x');
    const carol = await s.startClient('carol');
    await say(carol, 'dereg carol');
    const append = mailbox.append.bind(mailbox);
    mailbox.append = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    expect(await say(x, 'send carol lost to a full disk', 3500)).to.deep.equal([
      '>>> [No ACK from carol, message sent to server.]',
      '>>> [Error: the server could not store the message for carol (its disk failed or is full); the message was not saved.]',
    ]);
    mailbox.append = append;
    expect(await say(x, 'send carol kept once there is room', 1500)).to.deep.equal(['>>> [No ACK from carol, message sent to server.]', '>>> [Messages received by the server and saved]']);
    expect((await mailbox.list('carol')).length).to.equal(1);
  });

  it('a send_all the server cannot store (its disk failed) is said to the sender, nothing is pushed, and the next one goes through', async () => {
    const mailbox = new InMemoryMailboxStore(s.settings.mailboxQuota);
    await s.startServer({ mailbox });
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    const carol = await s.startClient('carol');
    await say(carol, 'dereg carol');
    const append = mailbox.append.bind(mailbox);
    mailbox.append = () => Promise.reject(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    expect(await say(x, 'send_all on a failing disk', 3500)).to.deep.equal(['>>> [Error: the server could not store the message (its disk failed or is full); not every member may get it.]']);
    expect(y.lines.filter((l) => l.includes('failing disk')), 'not pushed').to.deep.equal([]);
    mailbox.append = append;
    expect(await say(x, 'send_all once it works', 1000)).to.deep.equal([ACKED]);
    expect(y.lines).to.include('>>> [Channel_Message x: once it works]');
  });
});
