import { expect } from 'chai';
import { A, B, inbound, ServerRig } from './server-rig';

describe('use case (server): AcceptDeregistration', () => {
  let rig: ServerRig;
  beforeEach(() => {
    rig = new ServerRig();
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('marks the client offline durably, tells the others, and ACKs', async () => {
    const token = await rig.online('alice', A);
    await rig.online('bob', B);
    const version = rig.state.table.version;
    const mark = rig.mark();
    const reply = await rig.acceptDeregistration.execute(inbound({ t: 'dereg', id: 'd1', token, name: 'alice' }, A));
    expect(reply).to.deep.equal({ t: 'ack', re: 'd1', status: 'ok' });
    expect(rig.state.table.get('alice')?.online).to.equal(false);
    expect(rig.state.table.version).to.equal(version + 1);
    expect((await rig.registryStore.load()).find((r) => r.name === 'alice')?.online).to.equal(false);
    await rig.clock.tickAsync(20);
    const toBob = rig.tablesTo(B, mark);
    expect(toBob.map((t) => t.rows)).to.deep.equal([[{ name: 'alice', ip: A.ip, port: A.port, online: false }]]);
    expect(rig.tablesTo(A, mark)).to.deep.equal([]);
  });

  it('takes the name case-insensitively', async () => {
    const token = await rig.online('alice', A);
    expect(await rig.acceptDeregistration.execute(inbound({ t: 'dereg', id: 'd1', token, name: 'ALICE' }, A))).to.deep.equal({ t: 'ack', re: 'd1', status: 'ok' });
    expect(rig.state.table.get('alice')?.online).to.equal(false);
    await rig.clock.tickAsync(20);
  });

  it('drops a dereg with a wrong token, from another address, or for another name, and changes nothing', async () => {
    const aliceToken = await rig.online('alice', A);
    const bobToken = await rig.online('bob', B);
    const version = rig.state.table.version;
    const mark = rig.mark();
    const forged = [
      inbound({ t: 'dereg' as const, id: 'd1', token: 'wrong', name: 'alice' }, A),
      inbound({ t: 'dereg' as const, id: 'd2', token: aliceToken, name: 'alice' }, B),
      inbound({ t: 'dereg' as const, id: 'd3', token: aliceToken, name: 'bob' }, A),
      inbound({ t: 'dereg' as const, id: 'd4', token: bobToken, name: 'alice' }, B),
    ];
    for (const f of forged) expect(await rig.acceptDeregistration.execute(f), f.message.id).to.equal(undefined);
    await rig.clock.tickAsync(20);
    expect(rig.state.table.version).to.equal(version);
    expect(rig.state.table.onlineRows().map((r) => r.name).sort()).to.deep.equal(['alice', 'bob']);
    expect(rig.sentSince(mark)).to.deep.equal([]);
  });

  it('a second dereg of an offline client is ACKed without another change or broadcast', async () => {
    const token = await rig.online('alice', A);
    await rig.online('bob', B);
    await rig.offline('alice', A, token);
    const version = rig.state.table.version;
    const mark = rig.mark();
    expect(await rig.acceptDeregistration.execute(inbound({ t: 'dereg', id: 'd9', token, name: 'alice' }, A))).to.deep.equal({ t: 'ack', re: 'd9', status: 'ok' });
    await rig.clock.tickAsync(20);
    expect(rig.state.table.version).to.equal(version);
    expect(rig.sentSince(mark)).to.deep.equal([]);
  });
});
