import sinon from 'sinon';
import { expect } from 'chai';
import { A, B, C, inbound, ServerRig } from './server-rig';

describe('use case (server): ConfirmRegistration', () => {
  let rig: ServerRig;
  beforeEach(() => {
    rig = new ServerRig();
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('puts the name online durably, sends it the whole table, and the others the change', async () => {
    await rig.online('bob', B);
    const bobKnown = rig.state.record('bob')!.knownVersion;
    const token = await rig.register('Alice', A);
    rig.transport.respondAt(A, (m) => ('id' in m ? { t: 'ack', re: m.id } : undefined));
    const mark = rig.mark();
    const msg = { t: 'confirm' as const, id: 'c1', token, have: 0 };
    const reply = await rig.confirmRegistration.execute(inbound(msg, A));
    expect(reply).to.deep.equal({ t: 'ack', re: 'c1', status: 'ok' });
    expect(rig.state.table.get('alice')).to.include({ name: 'Alice', ip: A.ip, port: A.port, online: true });
    expect(rig.state.record('alice')).to.include({ validated: true, pendingSinceMs: undefined });
    const saved = (await rig.registryStore.load()).find((r) => r.name === 'Alice');
    expect(saved).to.include({ online: true, port: A.port, token, proof: rig.crypto.proofOf('secret-alice'), version: rig.state.table.version });

    await rig.clock.tickAsync(20);
    const toAlice = rig.tablesTo(A, mark);
    expect(toAlice.length).to.be.greaterThan(0);
    expect(toAlice[0]).to.include({ full: true, from: 0, to: rig.state.table.version });
    expect(toAlice.flatMap((t) => t.rows.map((r) => r.name)).sort()).to.deep.equal(['Alice', 'bob']);
    const toBob = rig.tablesTo(B, mark);
    expect(toBob.length).to.equal(1);
    expect(toBob[0]).to.include({ full: false, from: bobKnown, to: rig.state.table.version });
    expect(toBob[0]!.rows).to.deep.equal([{ name: 'Alice', ip: A.ip, port: A.port, online: true }]);
    expect(rig.state.record('alice')!.knownVersion).to.equal(rig.state.table.version);
  });

  it('then delivers the messages stored for the name', async () => {
    await rig.mailbox.append({ id: 'm1', recipient: 'alice', sender: 'bob', kind: 'direct', storedAtMs: 1, text: 'while you were out' });
    await rig.online('alice', A);
    const stored = rig.transport.sentOf('stored', A);
    expect(stored.length).to.equal(1);
    expect(stored[0]!.message.items).to.deep.equal([{ id: 'm1', from: 'bob', kind: 'direct', at: 1, text: 'while you were out' }]);
    expect(await rig.mailbox.list('alice')).to.deep.equal([]);
  });

  it('drops a confirm with a wrong token, or from another address, and changes nothing', async () => {
    const token = await rig.register('alice', A);
    const cases = [
      inbound({ t: 'confirm' as const, id: 'c1', token: 'not-a-token', have: 0 }, A),
      inbound({ t: 'confirm' as const, id: 'c2', token, have: 0 }, B),
      inbound({ t: 'confirm' as const, id: 'c3', token, have: 0 }, { ip: '127.0.0.2', port: A.port }),
    ];
    for (const c of cases) expect(await rig.confirmRegistration.execute(c), c.message.id).to.equal(undefined);
    await rig.clock.tickAsync(20);
    expect(rig.state.table.size).to.equal(0);
    expect(rig.state.table.version).to.equal(0);
    expect(rig.state.record('alice')!.validated).to.equal(false);
    expect(await rig.registryStore.load()).to.deep.equal([]);
    expect(rig.transport.sent).to.deep.equal([]);
  });

  it('drops a confirm carrying the token of a replaced session', async () => {
    const old = await rig.register('alice', A);
    await rig.register('alice', A);
    expect(await rig.confirmRegistration.execute(inbound({ t: 'confirm', id: 'c1', token: old, have: 0 }, A))).to.equal(undefined);
    expect(rig.state.table.size).to.equal(0);
  });

  it('accepts a confirm from the IPv4-mapped spelling of the registered address', async () => {
    rig.transport.respondAt(A, (m) => ('id' in m ? { t: 'ack', re: m.id } : undefined));
    const token = await rig.register('alice', A);
    const reply = await rig.confirmRegistration.execute(inbound({ t: 'confirm', id: 'c1', token, have: 0 }, { ip: `::ffff:${A.ip}`, port: A.port }));
    expect(reply?.t).to.equal('ack');
    await rig.clock.tickAsync(20);
    void C;
  });

  it('a confirm still in flight from before a dereg (a rejoin after a lost probe) cannot put the client back online', async () => {
    const token = await rig.online('alice', A);
    await rig.offline('alice', A, token);
    const reply = await rig.confirmRegistration.execute(inbound({ t: 'confirm', id: rig.nextId(), token, have: 0 }, A));
    expect(reply).to.equal(undefined);
    expect(rig.state.table.get('alice')?.online).to.equal(false);
    // reg starts a new session, which confirms as usual.
    await rig.online('alice', A);
    expect(rig.state.table.get('alice')?.online).to.equal(true);
  });

  it('a failure while delivering stored messages is logged, never an unhandled rejection', async () => {
    await rig.online('bob', B);
    await rig.mailbox.append({ id: 'm1', recipient: 'alice', sender: 'bob', kind: 'direct', storedAtMs: 1, text: 'hi' });
    sinon.stub(rig.mailbox, 'list').rejects(new Error('EIO: i/o error, read'));
    await rig.online('alice', A);
    await rig.clock.tickAsync(20);
    expect(rig.logger.entries.filter((e) => e.level === 'error').map((e) => e.message)).to.deep.equal(['delivering stored messages failed']);
    expect(rig.state.table.get('alice')?.online).to.equal(true);
  });
});
