import { identityOf, testE2e } from '../../../../support/peer-keys';
import { chatContext, splitChatPlaintext } from '../../../../../src/application/protocol/sealing';
import type { MessageOf } from '../../../../../src/application/protocol/envelope';
import { expect } from 'chai';
import { EmptyMessageError, MessageTooLongError } from '../../../../../src/domain/domain-error';
import { BOB, ClientRig } from './client-rig';

describe('use case (client): SendDirectMessage', () => {
  let rig: ClientRig;
  const bobAddress = { ip: BOB.ip, port: BOB.port };
  beforeEach(() => {
    rig = new ClientRig('alice');
    rig.goOnline();
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('sends straight to the address in the table and reports acked on the ACK', async () => {
    rig.transport.respondAt(bobAddress, (m) => (m.t === 'chat' ? { t: 'ack', re: m.id } : undefined));
    const result = await rig.settle(rig.sendDirect.execute({ to: 'bob', text: 'hi 👋 Bob' }), 10);
    expect(result).to.deep.equal({ ok: true, value: { kind: 'acked', to: 'Bob' } });
    const sent = rig.transport.sentOf('chat');
    expect(sent.length).to.equal(1);
    expect(sent[0]!.to).to.deep.equal(bobAddress);
    const chat = sent[0]!.message as MessageOf<'chat'>;
    expect(chat).to.include({ from: 'alice', to: 'Bob' }).and.not.have.property('text');
    // Sealed for Bob: he opens it with alice's key; the text is not in the datagram.
    const opened = splitChatPlaintext(testE2e.open(identityOf('Bob'), identityOf('alice').publicKey, chat.sealed, chatContext('alice', 'Bob', chat.id, chat.stream, chat.seq))!);
    expect(opened?.text).to.equal('hi 👋 Bob');
    expect(opened?.proof).to.match(/^[A-Za-z0-9_-]{16}$/);
  });

  it('falls back after one 500 ms wait, with the id it sent (so a stored copy is the same message)', async () => {
    const pending = rig.sendDirect.execute({ to: 'Bob', text: 'anyone?' });
    await rig.clock.tickAsync(499);
    let settled = false;
    void pending.then(() => (settled = true));
    await rig.clock.tickAsync(0);
    expect(settled).to.equal(false);
    await rig.clock.tickAsync(1);
    const result = await pending;
    const id = rig.transport.sentOf('chat')[0]!.message.id;
    expect(result).to.deep.equal({ ok: true, value: { kind: 'fallback', to: 'Bob', id } });
    expect(rig.sendTimes('chat')).to.deep.equal([0]);
  });

  it('falls back at once, sending nothing, when the table lists the recipient offline', async () => {
    const result = await rig.sendDirect.execute({ to: 'CAROL', text: 'later' });
    expect(result.ok && result.value.kind).to.equal('fallback');
    if (result.ok && result.value.kind === 'fallback') {
      expect(result.value.to).to.equal('carol');
      expect(result.value.id).to.be.a('string').and.not.equal('');
    }
    expect(rig.transport.sent).to.deep.equal([]);
  });

  it('sending to yourself goes to your own address', async () => {
    rig.transport.respondAt({ ip: '127.0.0.1', port: 7000 }, (m) => (m.t === 'chat' ? { t: 'ack', re: m.id } : undefined));
    const result = await rig.settle(rig.sendDirect.execute({ to: 'alice', text: 'note to self' }), 10);
    expect(result).to.deep.equal({ ok: true, value: { kind: 'acked', to: 'alice' } });
  });

  it('refuses an invalid name with invalid-name and sends nothing', async () => {
    for (const to of ['', '../bob', 'b o b', 'x'.repeat(33), 'ｂｏｂ']) {
      expect(await rig.sendDirect.execute({ to, text: 'hi' }), to).to.deep.equal({ ok: false, error: { code: 'invalid-name' } });
    }
    expect(rig.transport.sent).to.deep.equal([]);
  });

  it('refuses an empty or oversized text with bad-text and sends nothing', async () => {
    const empty = await rig.sendDirect.execute({ to: 'bob', text: '' });
    expect(!empty.ok && empty.error.code === 'bad-text' && empty.error.cause).to.be.instanceOf(EmptyMessageError);
    const long = await rig.sendDirect.execute({ to: 'bob', text: '😀'.repeat(250) + '!' });
    expect(!long.ok && long.error.code === 'bad-text' && long.error.cause).to.be.instanceOf(MessageTooLongError);
    expect(rig.transport.sent).to.deep.equal([]);
    rig.transport.respondAt(bobAddress, (m) => (m.t === 'chat' ? { t: 'ack', re: m.id } : undefined));
    expect((await rig.settle(rig.sendDirect.execute({ to: 'bob', text: '😀'.repeat(250) }), 10)).ok).to.equal(true);
  });

  it('refuses a name not in the table with unknown-recipient and close suggestions', async () => {
    const result = await rig.sendDirect.execute({ to: 'bobb', text: 'hi' });
    expect(result).to.deep.equal({ ok: false, error: { code: 'unknown-recipient', suggestions: ['Bob'] } });
    const none = await rig.sendDirect.execute({ to: 'zzzzzz', text: 'hi' });
    expect(none).to.deep.equal({ ok: false, error: { code: 'unknown-recipient', suggestions: [] } });
    expect(rig.transport.sent).to.deep.equal([]);
  });

  it('an ACK from an address other than the recipient does not count', async () => {
    const pending = rig.sendDirect.execute({ to: 'bob', text: 'hi' });
    await rig.clock.tickAsync(1);
    const id = rig.transport.sentOf('chat')[0]!.message.id;
    rig.transport.inject({ t: 'ack', re: id }, { ip: '127.0.0.1', port: 6003 });
    const result = await rig.settle(pending, 500);
    expect(result.ok && result.value.kind).to.equal('fallback');
  });
});
