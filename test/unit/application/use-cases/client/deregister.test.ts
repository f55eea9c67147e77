import { expect } from 'chai';
import { ClientRig, SERVER } from './client-rig';

describe('use case (client): Deregister', () => {
  let rig: ClientRig;
  beforeEach(() => {
    rig = new ClientRig('Alice');
    rig.goOnline('tok-1');
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('sends dereg with the session token and goes offline on the ACK (own name, any case)', async () => {
    rig.serverAnswers((m) => (m.t === 'dereg' ? { t: 'ack', re: m.id, status: 'ok' } : undefined));
    expect(await rig.settle(rig.deregister.execute({ name: 'aLiCe' }), 10)).to.deep.equal({ ok: true, value: undefined });
    expect(rig.session.state).to.equal('offline');
    const sent = rig.transport.sentOf('dereg');
    expect(sent.length).to.equal(1);
    expect(sent[0]!.to).to.deep.equal(SERVER);
    expect(sent[0]!.message).to.include({ token: 'tok-1', name: 'Alice' });
  });

  it('refuses another name with not-own-name and sends nothing', async () => {
    expect(await rig.deregister.execute({ name: 'bob' })).to.deep.equal({ ok: false, error: { code: 'not-own-name' } });
    expect(rig.transport.sent).to.deep.equal([]);
    expect(rig.session.state).to.equal('online');
  });

  it('refuses when not online with not-online and sends nothing', async () => {
    for (const state of ['offline', 'starting', 'exited'] as const) {
      rig.session.state = state;
      expect(await rig.deregister.execute({ name: 'alice' }), state).to.deep.equal({ ok: false, error: { code: 'not-online' } });
    }
    expect(rig.transport.sent).to.deep.equal([]);
  });

  it('returns no-response after five transmissions 500 ms apart and stays online', async () => {
    const pending = rig.deregister.execute({ name: 'alice' });
    await rig.clock.tickAsync(2499);
    expect(rig.sendTimes('dereg')).to.deep.equal([0, 500, 1000, 1500, 2000]);
    await rig.clock.tickAsync(1);
    expect(await pending).to.deep.equal({ ok: false, error: { code: 'no-response' } });
    expect(rig.session.state).to.equal('online');
  });

  it('an ACK on the fourth transmission completes it with no fifth', async () => {
    rig.serverAnswers((m) => (m.t === 'dereg' && rig.transport.sentOf('dereg').length === 4 ? { t: 'ack', re: m.id } : undefined));
    expect(await rig.settle(rig.deregister.execute({ name: 'alice' }))).to.deep.equal({ ok: true, value: undefined });
    expect(rig.sendTimes('dereg')).to.deep.equal([0, 500, 1000, 1500]);
  });
});
