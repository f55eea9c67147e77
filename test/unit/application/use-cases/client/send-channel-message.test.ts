import { expect } from 'chai';
import { EmptyMessageError, MessageTooLongError } from '../../../../../src/domain/domain-error';
import { ClientRig, SERVER } from './client-rig';

describe('use case (client): SendChannelMessage', () => {
  let rig: ClientRig;
  beforeEach(() => {
    rig = new ClientRig('alice');
    rig.goOnline('tok-5');
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('sends send-all to the server with the session token and is ok on its ACK', async () => {
    rig.serverAnswers((m) => (m.t === 'send-all' ? { t: 'ack', re: m.id, status: 'ok' } : undefined));
    expect(await rig.settle(rig.sendChannel.execute({ text: 'hello, channel ✨' }), 10)).to.deep.equal({ ok: true, value: { full: [], fullCount: 0 } });
    const sent = rig.transport.sentOf('send-all');
    expect(sent.length).to.equal(1);
    expect(sent[0]!.to).to.deep.equal(SERVER);
    expect(sent[0]!.message).to.include({ token: 'tok-5', from: 'alice', text: 'hello, channel ✨' });
  });

  it('refuses an empty or oversized text with bad-text and sends nothing', async () => {
    const empty = await rig.sendChannel.execute({ text: '' });
    expect(!empty.ok && empty.error.code === 'bad-text' && empty.error.cause).to.be.instanceOf(EmptyMessageError);
    const long = await rig.sendChannel.execute({ text: 'x'.repeat(1001) });
    expect(!long.ok && long.error.code === 'bad-text' && long.error.cause).to.be.instanceOf(MessageTooLongError);
    expect(rig.transport.sent).to.deep.equal([]);
  });

  it('returns no-response after five transmissions 500 ms apart, all with one id', async () => {
    const pending = rig.sendChannel.execute({ text: 'anyone?' });
    await rig.clock.tickAsync(2499);
    expect(rig.sendTimes('send-all')).to.deep.equal([0, 500, 1000, 1500, 2000]);
    await rig.clock.tickAsync(1);
    expect(await pending).to.deep.equal({ ok: false, error: { code: 'no-response' } });
    expect(new Set(rig.transport.sentOf('send-all').map((s) => s.message.id)).size).to.equal(1);
  });

  it('a late ACK for an earlier send_all does not complete the next one', async () => {
    rig.serverAnswers((m) => (m.t === 'send-all' && m.text === 'first' ? { t: 'ack', re: m.id } : undefined));
    await rig.settle(rig.sendChannel.execute({ text: 'first' }), 10);
    const firstId = rig.transport.sentOf('send-all')[0]!.message.id;
    const second = rig.sendChannel.execute({ text: 'second' });
    await rig.clock.tickAsync(10);
    rig.transport.inject({ t: 'ack', re: firstId }, SERVER);
    expect(await rig.settle(second, 2500)).to.deep.equal({ ok: false, error: { code: 'no-response' } });
  });
});
