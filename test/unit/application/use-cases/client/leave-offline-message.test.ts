import { identityOf, testE2e } from '../../../../support/peer-keys';
import { storedContext } from '../../../../../src/application/protocol/sealing';
import type { MessageOf } from '../../../../../src/application/protocol/envelope';
import { expect } from 'chai';
import type { Reply } from '../../../../../src/application/protocol/envelope';
import { ClientRig, SERVER } from './client-rig';

describe('use case (client): LeaveOfflineMessage', () => {
  let rig: ClientRig;
  beforeEach(() => {
    rig = new ClientRig('alice');
    rig.goOnline('tok-3');
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  const answerSave = (answer: (id: string) => Reply): void =>
    rig.serverAnswers((m) => (m.t === 'save' ? answer(m.id) : undefined));

  it('asks the server to save under the direct attempt id and returns saved', async () => {
    answerSave((id) => ({ t: 'ack', re: id, status: 'saved' }));
    const result = await rig.settle(rig.leaveOffline.execute({ to: 'carol', text: 'see you 🌙', id: 'dm-42' }), 10);
    expect(result).to.deep.equal({ ok: true, value: 'saved' });
    const sent = rig.transport.sentOf('save');
    expect(sent.length).to.equal(1);
    expect(sent[0]!.to).to.deep.equal(SERVER);
    const { sealed, ...rest } = sent[0]!.message as MessageOf<'save'>;
    expect(rest).to.deep.equal({ t: 'save', id: 'dm-42', token: 'tok-3', from: 'alice', to: 'carol' });
    // Sealed for carol: the server cannot read it, carol opens it with alice's key.
    expect(testE2e.open(identityOf('carol'), identityOf('alice').publicKey, sealed, storedContext('alice', 'carol', 'dm-42'))).to.equal('see you 🌙');
  });

  it('returns exists when the server finds the recipient online', async () => {
    answerSave((id) => ({ t: 'ack', re: id, status: 'exists' }));
    expect(await rig.settle(rig.leaveOffline.execute({ to: 'Bob', text: 'x', id: 'dm-1' }), 10)).to.deep.equal({ ok: true, value: 'exists' });
  });

  it('returns mailbox-full when the server says full', async () => {
    answerSave((id) => ({ t: 'ack', re: id, status: 'full' }));
    expect(await rig.settle(rig.leaveOffline.execute({ to: 'carol', text: 'x', id: 'dm-1' }), 10)).to.deep.equal({ ok: false, error: { code: 'mailbox-full' } });
  });

  for (const status of ['unknown-recipient', 'invalid', 'unknown-session', 'ok'] as const) {
    it(`returns refused with the status for ${status}`, async () => {
      answerSave((id) => ({ t: 'ack', re: id, status }));
      expect(await rig.settle(rig.leaveOffline.execute({ to: 'carol', text: 'x', id: 'dm-1' }), 10)).to.deep.equal({ ok: false, error: { code: 'refused', status } });
    });
  }

  it('returns refused for an answer without a status', async () => {
    answerSave((id) => ({ t: 'ack', re: id }));
    const result = await rig.settle(rig.leaveOffline.execute({ to: 'carol', text: 'x', id: 'dm-1' }), 10);
    expect(!result.ok && result.error.code).to.equal('refused');
  });

  it('returns no-response after five transmissions of the same save', async () => {
    const pending = rig.leaveOffline.execute({ to: 'carol', text: 'x', id: 'dm-1' });
    await rig.clock.tickAsync(2500);
    expect(await pending).to.deep.equal({ ok: false, error: { code: 'no-response' } });
    expect(rig.sendTimes('save')).to.deep.equal([0, 500, 1000, 1500, 2000]);
    expect(rig.transport.sentOf('save').every((s) => s.message.id === 'dm-1')).to.equal(true);
  });
});
