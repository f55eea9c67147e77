import { expect } from 'chai';
import type { SendRefusal } from '../../../../../src/application/ports/transport';
import { ClientRig } from './client-rig';

const REFUSAL: SendRefusal = { reason: 'oversize', bytes: 1234, limitBytes: 1200 };
const NOT_SENT = { ok: false, error: { code: 'not-sent', refusal: REFUSAL } };

describe('use cases (client): a send the transport refuses is not-sent, at once', () => {
  let rig: ClientRig;
  beforeEach(() => {
    rig = new ClientRig('alice');
    rig.goOnline();
    rig.transport.refuse(REFUSAL);
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  /** Settles without any time passing: no ACK wait, no retransmission. */
  async function atOnce<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    void promise.then(() => (settled = true));
    await rig.clock.tickAsync(0);
    expect(settled, 'settled with no time passing').to.equal(true);
    return promise;
  }

  it('every client use case returns not-sent with the refusal, and nothing is retransmitted', async () => {
    expect(await atOnce(rig.sendDirect.execute({ to: 'bob', text: 'hi' }))).to.deep.equal(NOT_SENT);
    expect(await atOnce(rig.leaveOffline.execute({ to: 'bob', text: 'hi', id: 'm1' }))).to.deep.equal(NOT_SENT);
    expect(await atOnce(rig.sendChannel.execute({ text: 'hi all' }))).to.deep.equal(NOT_SENT);
    expect(await atOnce(rig.deregister.execute({ name: 'alice' }))).to.deep.equal(NOT_SENT);
    expect(rig.session.state, 'a refused dereg leaves the client online').to.equal('online');
    expect(await atOnce(rig.confirm.execute())).to.deep.equal(NOT_SENT);
    expect(await atOnce(rig.register.execute())).to.deep.equal(NOT_SENT);
    await rig.clock.tickAsync(3000);
    expect(rig.transport.refused.map((r) => r.message.t)).to.deep.equal(['chat', 'save', 'send-all', 'dereg', 'confirm', 'register']);
    expect(rig.transport.sent).to.deep.equal([]);
  });
});
