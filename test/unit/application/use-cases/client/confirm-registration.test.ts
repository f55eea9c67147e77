import { expect } from 'chai';
import { ClientRig, SERVER } from './client-rig';

describe('use case (client): ConfirmRegistration', () => {
  let rig: ClientRig;
  beforeEach(() => {
    rig = new ClientRig('alice');
    rig.goOnline('tok-7');
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('echoes the session token with the table version it holds; ok on the ACK', async () => {
    rig.serverAnswers((m) => (m.t === 'confirm' ? { t: 'ack', re: m.id, status: 'ok' } : undefined));
    expect(await rig.settle(rig.confirm.execute(), 10)).to.deep.equal({ ok: true, value: undefined });
    const sent = rig.transport.sentOf('confirm');
    expect(sent.length).to.equal(1);
    expect(sent[0]!.to).to.deep.equal(SERVER);
    expect(sent[0]!.message).to.include({ token: 'tok-7', have: 3 });
  });

  it('returns no-response after five unanswered transmissions', async () => {
    const pending = rig.confirm.execute();
    await rig.clock.tickAsync(2500);
    expect(await pending).to.deep.equal({ ok: false, error: { code: 'no-response' } });
    expect(rig.sendTimes('confirm')).to.deep.equal([0, 500, 1000, 1500, 2000]);
  });
});
