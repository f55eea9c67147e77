import { expect } from 'chai';
import type { MessageOf } from '../../../../../src/application/protocol/envelope';
import { A, B, C, D, inbound, ServerRig } from './server-rig';

describe('use case (server): RelayChannelMessage', () => {
  let rig: ServerRig;
  let aliceToken: string;
  const sendAll = (over: Partial<MessageOf<'send-all'>> = {}): MessageOf<'send-all'> => ({ t: 'send-all', id: 'ch1', token: aliceToken, from: 'alice', text: 'hello all ✓', ...over });

  beforeEach(async () => {
    rig = new ServerRig();
    aliceToken = await rig.online('Alice', A);
    await rig.online('bob', B);
    const carolToken = await rig.online('carol', C);
    await rig.offline('carol', C, carolToken);
    await rig.online('dave', D);
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('ACKs the sender, pushes to every other online member and stores for the offline ones, under the sender id', async () => {
    const mark = rig.mark();
    const reply = await rig.relayChannel.execute(inbound(sendAll(), A));
    expect(reply).to.deep.equal({ t: 'ack', re: 'ch1', status: 'ok' });
    expect(await rig.mailbox.list('carol')).to.deep.equal([
      { id: 'ch1', recipient: 'carol', sender: 'Alice', kind: 'channel', storedAtMs: Date.now(), text: 'hello all ✓', seq: 1 },
    ]);
    await rig.clock.tickAsync(20);
    const pushes = rig.sentSince(mark).filter((s) => s.message.t === 'channel');
    expect(pushes.map((p) => p.to.port).sort()).to.deep.equal([B.port, D.port]);
    for (const p of pushes) {
      // Each push carries its recipient's own session token, proving the server to it.
      const recipient = p.to.port === B.port ? 'bob' : 'dave';
      expect(p.message).to.deep.equal({ t: 'channel', id: 'ch1', token: rig.state.record(recipient)!.token, from: 'Alice', text: 'hello all ✓' });
    }
    expect(await rig.mailbox.list('bob')).to.deep.equal([]);
    expect(await rig.mailbox.list('alice')).to.deep.equal([]);
    await rig.clock.tickAsync(5000);
    expect(rig.sentSince(mark).filter((s) => s.message.t === 'channel').length).to.equal(2);
  });

  it('answers invalid for an empty or oversized text and relays nothing', async () => {
    const mark = rig.mark();
    for (const text of ['', 'x'.repeat(1001)]) {
      expect(await rig.relayChannel.execute(inbound(sendAll({ text }), A))).to.deep.equal({ t: 'ack', re: 'ch1', status: 'invalid' });
    }
    await rig.clock.tickAsync(20);
    expect(rig.sentSince(mark)).to.deep.equal([]);
    expect(await rig.mailbox.list('carol')).to.deep.equal([]);
  });

  it('drops a send_all with a wrong token, from another address, or in another name, and relays nothing', async () => {
    const mark = rig.mark();
    for (const f of [inbound(sendAll({ token: 'nope' }), A), inbound(sendAll(), B), inbound(sendAll({ from: 'bob' }), A)]) {
      expect(await rig.relayChannel.execute(f)).to.equal(undefined);
    }
    await rig.clock.tickAsync(20);
    expect(rig.sentSince(mark)).to.deep.equal([]);
    expect(await rig.mailbox.list('carol')).to.deep.equal([]);
  });

  it('a member that misses the push and the probe is marked offline and gets the message stored', async () => {
    rig.transport.silence(B);
    const mark = rig.mark();
    await rig.relayChannel.execute(inbound(sendAll(), A));
    await rig.clock.tickAsync(499);
    expect(rig.state.table.get('bob')?.online).to.equal(true);
    await rig.clock.tickAsync(501);
    expect(rig.state.table.get('bob')?.online).to.equal(false);
    expect((await rig.mailbox.list('bob')).map((m) => [m.id, m.kind, m.sender])).to.deep.equal([['ch1', 'channel', 'Alice']]);
    const toBob = rig.sentSince(mark).filter((s) => s.to.port === B.port).map((s) => s.message.t);
    expect(toBob.slice(0, 2)).to.deep.equal(['channel', 'probe']);
    expect(await rig.mailbox.list('dave')).to.deep.equal([]);
    await rig.clock.tickAsync(10_000);
  });

  it('a member that misses the first push but answers the probe gets it again and nothing is stored', async () => {
    let channelCopies = 0;
    rig.transport.respondAt(B, (m) => {
      if (m.t === 'channel' && ++channelCopies === 1) return undefined;
      return 'id' in m ? { t: 'ack', re: m.id } : undefined;
    });
    const mark = rig.mark();
    await rig.relayChannel.execute(inbound(sendAll(), A));
    await rig.clock.tickAsync(1500);
    expect(rig.sentSince(mark).filter((s) => s.to.port === B.port).map((s) => s.message.t)).to.deep.equal(['channel', 'probe', 'channel']);
    expect(rig.state.table.get('bob')?.online).to.equal(true);
    expect(await rig.mailbox.list('bob')).to.deep.equal([]);
  });
});
