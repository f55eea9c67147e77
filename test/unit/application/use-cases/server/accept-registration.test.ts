import { expect } from 'chai';
import { PENDING_REGISTRATION_MS } from '../../../../../src/application/server/pending-registrations';
import { A, B, inbound, ServerRig } from './server-rig';

describe('use case (server): AcceptRegistration', () => {
  let rig: ServerRig;
  beforeEach(() => {
    rig = new ServerRig();
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('welcomes a new name with a session token, holding it unconfirmed (no table row yet)', async () => {
    const msg = rig.registerMessage('Alice', 'sec1');
    const reply = await rig.acceptRegistration.execute(inbound(msg, A));
    expect(reply).to.include({ t: 'welcome', re: msg.id, name: 'Alice' });
    const token = (reply as { token: string }).token;
    expect(token).to.be.a('string').and.not.equal('');
    const record = rig.state.record('alice')!;
    expect(record).to.include({ name: 'Alice', validated: false, token });
    expect(record.address).to.deep.equal(A);
    expect(record.proof).to.equal(rig.crypto.proofOf('sec1'));
    expect(record.pendingSinceMs).to.equal(performance.now());
    expect(rig.state.table.size).to.equal(0);
    expect(rig.state.table.version).to.equal(0);
    expect(rig.state.session(token, A)?.key).to.equal('alice');
    expect(rig.transport.sent).to.deep.equal([]);
  });

  it('drops an unpadded registration unanswered (no amplification); 600 bytes is enough', async () => {
    const msg = { t: 'register' as const, id: 'r-small', name: 'alice', secret: 'sec', key: 'A'.repeat(43) };
    expect(await rig.acceptRegistration.execute({ message: msg, from: A, bytes: 599 })).to.equal(undefined);
    expect(rig.state.records.size).to.equal(0);
    const reply = await rig.acceptRegistration.execute({ message: msg, from: A, bytes: 600 });
    expect(reply?.t).to.equal('welcome');
  });

  it('refuses an invalid name with invalid-name and keeps nothing', async () => {
    for (const name of ['../x', 'a b', '', 'a'.repeat(33), 'ｘ', 'x\u0000']) {
      const msg = rig.registerMessage(name, 'sec');
      expect(await rig.acceptRegistration.execute(inbound(msg, A)), JSON.stringify(name)).to.deep.equal({ t: 'refused', re: msg.id, reason: 'invalid-name' });
    }
    expect(rig.state.records.size).to.equal(0);
  });

  it('refuses a new name with server-full at maxClients, but its owner may still come back', async () => {
    await rig.stop();
    rig = new ServerRig({ maxClients: 1 });
    await rig.online('alice', A);
    const msg = rig.registerMessage('bob', 'sec-bob');
    expect(await rig.acceptRegistration.execute(inbound(msg, B))).to.deep.equal({ t: 'refused', re: msg.id, reason: 'server-full' });
    expect(rig.state.record('bob')).to.equal(undefined);
    const again = await rig.acceptRegistration.execute(inbound(rig.registerMessage('alice', 'secret-alice'), A));
    expect(again?.t).to.equal('welcome');
  });

  it('refuses name-in-use to another secret while the holder is online and answers its probe (case-insensitively)', async () => {
    const token = await rig.online('Alice', A);
    const mark = rig.mark();
    const msg = rig.registerMessage('ALICE', 'someone-else');
    expect(await rig.during(rig.acceptRegistration.execute(inbound(msg, B)), 10)).to.deep.equal({ t: 'refused', re: msg.id, reason: 'name-in-use' });
    expect(rig.sentSince(mark).map((s) => [s.message.t, s.to.port])).to.deep.equal([['probe', A.port]]);
    expect(rig.state.session(token, A)?.key).to.equal('alice');
    expect(rig.state.table.get('alice')).to.include({ online: true, port: A.port });
  });

  it('tells a stranger name-owned, not "in use by an online client", when the holder does not answer (and leaves the holder be)', async () => {
    await rig.online('alice', A);
    rig.transport.silence(A);
    const msg = rig.registerMessage('alice', 'someone-else');
    expect(await rig.during(rig.acceptRegistration.execute(inbound(msg, B)), 600)).to.deep.equal({ t: 'refused', re: msg.id, reason: 'name-owned' });
    expect(rig.state.table.get('alice')).to.include({ online: true, port: A.port });
    expect(rig.state.record('alice')!.proof).to.equal(rig.crypto.proofOf('secret-alice'));
  });

  it('one address, one live session: a new name from the address of an online client that does not answer marks that client offline first', async () => {
    const alice = await rig.online('alice', A);
    await rig.online('carol', B);
    rig.transport.silence(A);
    const mark = rig.mark();
    const msg = rig.registerMessage('bob', 'secret-bob');
    const pending = rig.acceptRegistration.execute(inbound(msg, A));
    await rig.clock.tickAsync(499);
    expect(rig.state.table.get('alice')?.online, 'still online while the probe waits').to.equal(true);
    const reply = await rig.during(pending, 1);
    expect(reply?.t).to.equal('welcome');
    expect(rig.sentSince(mark).filter((s) => s.message.t === 'probe').map((s) => s.to.port)).to.deep.equal([A.port]);
    expect(rig.state.table.get('alice')).to.include({ online: false, port: A.port });
    expect((await rig.registryStore.load()).find((r) => r.name === 'alice')?.online).to.equal(false);
    // alice's session cannot speak for her from that address any more, and nobody else holds it.
    expect(rig.state.session(alice, A)?.key).to.equal('alice');
    expect(rig.state.othersAt(A, 'bob')).to.deep.equal(['alice']);
    await rig.clock.tickAsync(20);
    expect(rig.tablesTo(B, mark).flatMap((t) => t.rows)).to.deep.include({ name: 'alice', ip: A.ip, port: A.port, online: false });
  });

  it('refuses address-in-use to a new name from the address of an online client that answers its probe', async () => {
    await rig.online('alice', A);
    const version = rig.state.table.version;
    const msg = rig.registerMessage('bob', 'secret-bob');
    expect(await rig.during(rig.acceptRegistration.execute(inbound(msg, A)), 10)).to.deep.equal({ t: 'refused', re: msg.id, reason: 'address-in-use' });
    expect(rig.state.table.get('alice')).to.include({ online: true, port: A.port });
    expect(rig.state.record('bob')).to.equal(undefined);
    expect(rig.state.table.version).to.equal(version);
  });

  it('through a secure session, a new name whose handshake proved another key at an online client\'s address takes it without a probe', async () => {
    await rig.online('alice', A);
    const mark = rig.mark();
    const msg = rig.registerMessage('bob', 'secret-bob');
    // The handshake received at A with bob's key: alice's process no longer holds that socket.
    const reply = await rig.acceptRegistration.execute({ ...inbound(msg, A), peerKey: msg.key });
    expect(reply?.t).to.equal('welcome');
    expect(rig.sentSince(mark).filter((s) => s.message.t === 'probe')).to.deep.equal([]);
    expect(rig.state.table.get('alice')).to.include({ online: false, port: A.port });
  });

  it('through a secure session proving the holder\'s own key, a new name from its address still probes it first', async () => {
    await rig.online('alice', A);
    const mark = rig.mark();
    const msg = { ...rig.registerMessage('bob', 'secret-bob'), key: rig.state.record('alice')!.key! };
    expect(await rig.during(rig.acceptRegistration.execute({ ...inbound(msg, A), peerKey: msg.key }), 10)).to.deep.equal({ t: 'refused', re: msg.id, reason: 'address-in-use' });
    expect(rig.sentSince(mark).map((s) => [s.message.t, s.to.port])).to.deep.equal([['probe', A.port]]);
    expect(rig.state.table.get('alice')).to.include({ online: true, port: A.port });
  });

  it('a name only registering from an address (never confirmed) gives way to a new name from there', async () => {
    const first = await rig.register('alice', A);
    const reply = await rig.acceptRegistration.execute(inbound(rig.registerMessage('bob', 'secret-bob'), A));
    expect(reply?.t).to.equal('welcome');
    expect(rig.state.session(first, A)).to.equal(undefined);
    expect(rig.state.record('alice')).to.equal(undefined);
  });

  it('refuses name-in-use to the owner from a new address while the old address still answers the probe', async () => {
    await rig.online('alice', A);
    const version = rig.state.table.version;
    const mark = rig.mark();
    const msg = rig.registerMessage('alice', 'secret-alice');
    const reply = await rig.during(rig.acceptRegistration.execute(inbound(msg, B)), 10);
    expect(reply).to.deep.equal({ t: 'refused', re: msg.id, reason: 'name-in-use' });
    expect(rig.sentSince(mark).map((s) => [s.message.t, s.to.port])).to.deep.equal([['probe', A.port]]);
    expect(rig.state.table.version).to.equal(version);
    expect(rig.state.record('alice')!.address).to.deep.equal(A);
  });

  it('the live session itself, moving to a new address with its token, takes the name without a probe (its old address would answer it)', async () => {
    const token = await rig.online('alice', A);
    const version = rig.state.table.version;
    const mark = rig.mark();
    const msg = { ...rig.registerMessage('alice', 'secret-alice'), session: token };
    const reply = await rig.acceptRegistration.execute(inbound(msg, B));
    expect(reply?.t).to.equal('welcome');
    expect(rig.sentSince(mark).filter((s) => s.message.t === 'probe'), 'no probe').to.deep.equal([]);
    expect(rig.state.record('alice')!.address).to.deep.equal(B);
    // Still listed online (at its old address) until the confirm from the new one: no offline flicker.
    expect(rig.state.table.get('alice')).to.include({ online: true, port: A.port });
    expect(rig.state.table.version).to.equal(version);
  });

  it('a token that is not the session\'s (or a stranger with the token) gets the probe as before', async () => {
    const token = await rig.online('alice', A);
    const mark = rig.mark();
    const wrong = { ...rig.registerMessage('alice', 'secret-alice'), session: 'not-the-token-of-alice' };
    expect(await rig.during(rig.acceptRegistration.execute(inbound(wrong, B)), 10)).to.deep.equal({ t: 'refused', re: wrong.id, reason: 'name-in-use' });
    const stranger = { ...rig.registerMessage('alice', 'someone-else'), session: token };
    expect(await rig.during(rig.acceptRegistration.execute(inbound(stranger, B)), 10)).to.deep.equal({ t: 'refused', re: stranger.id, reason: 'name-in-use' });
    expect(rig.sentSince(mark).map((s) => s.message.t)).to.deep.equal(['probe', 'probe']);
  });

  it('lets the owner take the name over from a new address when the old one is gone (probe unanswered)', async () => {
    const oldToken = await rig.online('alice', A);
    await rig.online('bob', B);
    rig.transport.silence(A);
    const msg = rig.registerMessage('alice', 'secret-alice');
    const pending = rig.acceptRegistration.execute(inbound(msg, { ip: '127.0.0.1', port: 7777 }));
    await rig.clock.tickAsync(499);
    expect(rig.state.table.get('alice')?.online).to.equal(true);
    const reply = await rig.during(pending, 1);
    expect(reply?.t).to.equal('welcome');
    const newToken = (reply as { token: string }).token;
    expect(newToken).to.not.equal(oldToken);
    expect(rig.state.table.get('alice')?.online).to.equal(false);
    expect(rig.state.session(oldToken, A)).to.equal(undefined);
    expect(rig.state.session(newToken, { ip: '127.0.0.1', port: 7777 })?.key).to.equal('alice');
    expect((await rig.registryStore.load()).find((r) => r.name === 'alice')?.online).to.equal(false);
    await rig.clock.tickAsync(20);
  });

  it('refuses name-owned to another secret when the name is offline; the owner gets back in', async () => {
    const token = await rig.online('alice', A);
    await rig.offline('alice', A, token);
    const stranger = rig.registerMessage('alice', 'not-the-secret');
    expect(await rig.acceptRegistration.execute(inbound(stranger, B))).to.deep.equal({ t: 'refused', re: stranger.id, reason: 'name-owned' });
    expect(rig.state.record('alice')!.address).to.deep.equal(A);
    expect(rig.state.session(token, A)).to.not.equal(undefined);
    const owner = await rig.acceptRegistration.execute(inbound(rig.registerMessage('alice', 'secret-alice'), B));
    expect(owner?.t).to.equal('welcome');
    expect(rig.state.record('alice')!.address).to.deep.equal(B);
  });

  it('holds an unconfirmed registration for PENDING_REGISTRATION_MS against others, then lets it go', async () => {
    const firstToken = await rig.register('alice', A, 'first');
    const msg = rig.registerMessage('alice', 'second');
    expect(await rig.acceptRegistration.execute(inbound(msg, B))).to.deep.equal({ t: 'refused', re: msg.id, reason: 'name-in-use' });
    await rig.clock.tickAsync(PENDING_REGISTRATION_MS);
    const later = await rig.acceptRegistration.execute(inbound(rig.registerMessage('alice', 'second'), B));
    expect(later?.t).to.equal('welcome');
    expect(rig.state.session(firstToken, A)).to.equal(undefined);
    expect(rig.state.record('alice')!.proof).to.equal(rig.crypto.proofOf('second'));
  });

  it('a new registration by the owner from the same address replaces the session token', async () => {
    const first = await rig.register('alice', A);
    const second = await rig.register('alice', A);
    expect(second).to.not.equal(first);
    expect(rig.state.records.size).to.equal(1);
    expect(rig.state.session(first, A)).to.equal(undefined);
    expect(rig.state.session(second, A)?.key).to.equal('alice');
  });

  it('welcomes a returning owner under the spelling the table already has', async () => {
    const token = await rig.online('Alice', A);
    await rig.offline('Alice', A, token);
    const reply = await rig.acceptRegistration.execute(inbound(rig.registerMessage('aLiCe', 'secret-alice'), A));
    expect(reply).to.include({ t: 'welcome', name: 'Alice' });
  });

  it('an unconfirmed registration expires on the monotonic clock, whatever the wall clock does', async () => {
    await rig.register('alice', A, 'first');
    // The wall clock is stepped an hour ahead: the registration still holds the name.
    rig.clock.setSystemTime(Date.now() + 3_600_000);
    const early = rig.registerMessage('alice', 'second');
    expect(await rig.acceptRegistration.execute(inbound(early, B))).to.deep.equal({ t: 'refused', re: early.id, reason: 'name-in-use' });
    // Stepped back a day, it does not hold the name longer than PENDING_REGISTRATION_MS.
    rig.clock.setSystemTime(Date.now() - 86_400_000);
    await rig.clock.tickAsync(PENDING_REGISTRATION_MS);
    const later = await rig.acceptRegistration.execute(inbound(rig.registerMessage('alice', 'second'), B));
    expect(later?.t).to.equal('welcome');
  });
});
