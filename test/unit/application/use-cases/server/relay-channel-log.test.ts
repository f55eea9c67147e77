import { expect } from 'chai';
import { InMemoryChannelLog } from '../../../../../src/adapters/in-memory/in-memory-channel-log';
import { ChannelLog } from '../../../../../src/application/ports/channel-log';
import type { MessageOf } from '../../../../../src/application/protocol/envelope';
import { A, B, C, D, inbound, ServerRig } from './server-rig';

/** The channel log's part in a `send_all`: owed before the ACK, settled member by member. */
describe('use case (server): RelayChannelMessage and the channel log', () => {
  let rig: ServerRig;
  let log: InMemoryChannelLog;
  let aliceToken: string;
  const sendAll = (over: Partial<MessageOf<'send-all'>> = {}): MessageOf<'send-all'> => ({ t: 'send-all', id: 'ch1', token: aliceToken, from: 'alice', text: 'hello all', ...over });
  const owed = async (): Promise<string[][]> => (await log.pending()).map((p) => [p.entry.id, ...[...p.recipients].sort()]);

  beforeEach(async () => {
    rig = new ServerRig();
    log = rig.container.get(ChannelLog) as InMemoryChannelLog;
    aliceToken = await rig.online('alice', A);
    await rig.online('bob', B);
    const carolToken = await rig.online('carol', C);
    await rig.offline('carol', C, carolToken);
    await rig.online('dave', D);
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('owes the message to the online members when it ACKs, and to none once they ACKed the push', async () => {
    expect(log).to.be.instanceOf(InMemoryChannelLog);
    const reply = await rig.relayChannel.execute(inbound(sendAll(), A));
    expect(reply).to.deep.equal({ t: 'ack', re: 'ch1', status: 'ok' });
    expect(await owed(), 'offline carol is served by her mailbox, not the log').to.deep.equal([['ch1', 'bob', 'dave']]);
    expect((await log.pending())[0]!.entry).to.deep.include({ id: 'ch1', sender: 'alice', text: 'hello all', storedAtMs: Date.now() });
    await rig.clock.tickAsync(20);
    expect(await owed()).to.deep.equal([]);
  });

  it('a member that misses the push and the probe gets it in its mailbox, and only then stops being owed it', async () => {
    rig.transport.silence(B);
    await rig.relayChannel.execute(inbound(sendAll(), A));
    await rig.clock.tickAsync(20);
    expect(await owed()).to.deep.equal([['ch1', 'bob']]);
    await rig.clock.tickAsync(990);
    expect(rig.state.table.get('bob')?.online).to.equal(false);
    expect((await rig.mailbox.list('bob')).map((m) => [m.id, m.kind])).to.deep.equal([['ch1', 'channel']]);
    expect(await owed()).to.deep.equal([]);
    await rig.clock.tickAsync(5000);
  });

  it('a push cut short by the server stopping leaves the message owed (the next start stores it)', async () => {
    rig.transport.silence(B);
    rig.transport.silence(D);
    await rig.relayChannel.execute(inbound(sendAll(), A));
    await rig.clock.tickAsync(100);
    rig.state.stopping = true;
    rig.sender.cancelAll();
    await rig.clock.tickAsync(3000);
    expect(await owed()).to.deep.equal([['ch1', 'bob', 'dave']]);
    expect(rig.state.table.get('bob')?.online, 'not marked offline by a shutdown').to.equal(true);
    expect(await rig.mailbox.list('bob')).to.deep.equal([]);
  });

  it('a send_all retried after a restart is owed to the members online now, not only to those of the first attempt', async () => {
    // The first attempt (a previous server, killed before its ACK) had only bob online: the log
    // owes it to bob, and dave's mailbox copy may never have been written.
    await log.record({ id: 'ch1', sender: 'alice', text: 'hello all', storedAtMs: Date.now() - 1000, recipients: ['bob'] });
    rig.transport.silence(B);
    rig.transport.silence(D);
    expect(await rig.relayChannel.execute(inbound(sendAll(), A))).to.deep.equal({ t: 'ack', re: 'ch1', status: 'ok' });
    expect(await owed()).to.deep.equal([['ch1', 'bob', 'dave']]);
    rig.state.stopping = true;
    rig.sender.cancelAll();
    await rig.clock.tickAsync(3000);
  });

  it('does not record an invalid or a forged send_all', async () => {
    for (const m of [sendAll({ text: '' }), sendAll({ token: 'forged' })]) await rig.relayChannel.execute(inbound(m, A));
    expect(await owed()).to.deep.equal([]);
  });
});
