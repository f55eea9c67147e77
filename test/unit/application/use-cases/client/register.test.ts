import { expect } from 'chai';
import { REGISTER_MIN_BYTES, type RefusalReason } from '../../../../../src/application/protocol/envelope';
import { encodeMessage } from '../../../../../src/adapters/wire/envelope-codec';
import { ClientRig, SERVER } from './client-rig';

describe('use case (client): Register', () => {
  let rig: ClientRig;
  beforeEach(() => {
    rig = new ClientRig('alice');
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('registers with the name secret, padded, and keeps the token the server gives', async () => {
    rig.serverAnswers((m) => (m.t === 'register' ? { t: 'welcome', re: m.id, name: 'alice', token: 'tok-9' } : undefined));
    rig.session.announcedStored = true;
    const result = await rig.settle(rig.register.execute(), 10);
    expect(result).to.deep.equal({ ok: true, value: undefined });
    expect(rig.session.token).to.equal('tok-9');
    expect(rig.session.state).to.equal('online');
    expect(rig.session.announcedStored).to.equal(false);
    const sent = rig.transport.sentOf('register');
    expect(sent.length).to.equal(1);
    expect(sent[0]!.to).to.deep.equal(SERVER);
    const secret = await rig.secrets.secretFor('alice', () => 'unused');
    expect(sent[0]!.message).to.include({ name: 'alice', secret });
    // The request is larger than any answer to it (the server checks this).
    expect(encodeMessage(sent[0]!.message).length).to.be.at.least(REGISTER_MIN_BYTES);
    expect(encodeMessage(sent[0]!.message).length).to.be.at.most(1200);
  });

  it('learns the instances a welcome lists; a welcome without them keeps what was learnt', async () => {
    rig.serverAnswers((m) => (m.t === 'register' ? { t: 'welcome', re: m.id, name: 'alice', token: 'tok-9', servers: ['127.0.0.1:5000', '[::1]:5001'] } : undefined));
    await rig.settle(rig.register.execute(), 10);
    expect(rig.session.instances.all()).to.deep.equal([SERVER, { ip: '::1', port: 5001 }]);
    rig.serverAnswers((m) => (m.t === 'register' ? { t: 'welcome', re: m.id, name: 'alice', token: 'tok-9' } : undefined));
    await rig.settle(rig.register.execute(), 10);
    expect(rig.session.instances.all()).to.deep.equal([SERVER, { ip: '::1', port: 5001 }]);
  });

  it('uses the same secret on every registration of the name', async () => {
    rig.serverAnswers((m) => (m.t === 'register' ? { t: 'welcome', re: m.id, name: 'alice', token: `t-${m.id}` } : undefined));
    await rig.settle(rig.register.execute(), 10);
    await rig.settle(rig.register.execute(), 10);
    const [a, b] = rig.transport.sentOf('register');
    expect(a!.message.secret).to.equal(b!.message.secret);
    expect(a!.message.id).to.not.equal(b!.message.id);
  });

  for (const reason of ['name-in-use', 'name-owned', 'invalid-name', 'server-full'] as RefusalReason[]) {
    it(`returns refused (${reason}) and stays out`, async () => {
      rig.serverAnswers((m) => (m.t === 'register' ? { t: 'refused', re: m.id, reason } : undefined));
      const result = await rig.settle(rig.register.execute(), 10);
      expect(result).to.deep.equal({ ok: false, error: { code: 'refused', reason } });
      expect(rig.session.state).to.equal('starting');
      expect(rig.session.token).to.equal('');
    });
  }

  it('returns no-response after five transmissions 500 ms apart', async () => {
    const pending = rig.register.execute();
    await rig.clock.tickAsync(2499);
    expect(rig.sendTimes('register')).to.deep.equal([0, 500, 1000, 1500, 2000]);
    await rig.clock.tickAsync(1);
    expect(await pending).to.deep.equal({ ok: false, error: { code: 'no-response' } });
    expect(rig.session.state).to.equal('starting');
    // Every copy carries the same id.
    expect(new Set(rig.transport.sentOf('register').map((s) => s.message.id)).size).to.equal(1);
  });

  it('ignores a welcome from an address other than the server', async () => {
    const pending = rig.register.execute();
    await rig.clock.tickAsync(1);
    const id = rig.transport.sentOf('register')[0]!.message.id;
    rig.transport.inject({ t: 'welcome', re: id, name: 'alice', token: 'forged' }, { ip: '127.0.0.1', port: 6666 });
    const result = await rig.settle(pending, 2500);
    expect(result).to.deep.equal({ ok: false, error: { code: 'no-response' } });
    expect(rig.session.token).to.equal('');
  });

  it('prepare loads the secret and the key pair ahead; the next registration sends them, and a later one reads the secret again', async () => {
    rig.register.prepare();
    rig.register.prepare();
    await rig.clock.tickAsync(0);
    const identity = rig.session.identity;
    expect(identity, 'loaded before any registration').to.not.equal(undefined);
    let reads = 0;
    const secretFor = rig.secrets.secretFor.bind(rig.secrets);
    rig.secrets.secretFor = (name, create) => {
      reads += 1;
      return secretFor(name, create);
    };
    rig.serverAnswers((m) => (m.t === 'register' ? { t: 'welcome', re: m.id, name: 'alice', token: `t-${m.id}` } : undefined));
    expect(await rig.settle(rig.register.execute(), 10)).to.deep.equal({ ok: true, value: undefined });
    expect(reads, 'the prepared secret').to.equal(0);
    expect(rig.transport.sentOf('register')[0]!.message).to.include({ key: identity!.publicKey, secret: await secretFor('alice', () => 'unused') });
    await rig.settle(rig.register.execute(), 10);
    expect(reads).to.equal(1);
  });

  it('a store failing while prepared is reported by the registration, not before', async () => {
    rig.secrets.secretFor = () => Promise.reject(new Error('disk gone'));
    rig.register.prepare();
    await rig.clock.tickAsync(0);
    let error: unknown;
    await rig.register.execute().catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('disk gone');
    expect(rig.transport.sentOf('register')).to.have.length(0);
  });

  it('treats a plain ACK as no welcome (no-response)', async () => {
    rig.serverAnswers((m) => (m.t === 'register' ? { t: 'ack', re: m.id } : undefined));
    expect(await rig.settle(rig.register.execute(), 10)).to.deep.equal({ ok: false, error: { code: 'no-response' } });
    expect(rig.session.state).to.equal('starting');
  });
});
