import { expect } from 'chai';
import sinon from 'sinon';
import { A, B, C, ServerRig } from './server-rig';

describe('use case (server): MarkOffline', () => {
  let rig: ServerRig;
  beforeEach(() => {
    rig = new ServerRig();
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('marks an online client offline (it left), persists it, and sends the change to the clients still online', async () => {
    const alice = await rig.online('alice', A);
    await rig.online('bob', B);
    await rig.online('carol', C);
    const version = rig.state.table.version;
    const save = sinon.spy(rig.registryStore, 'save');
    const mark = rig.mark();
    await rig.markOffline.execute('ALICE', alice, 'dereg');
    expect(rig.state.table.get('alice')?.online).to.equal(false);
    expect(rig.state.table.version).to.equal(version + 1);
    expect(save.callCount).to.equal(1);
    expect(save.firstCall.args[0]).to.include({ name: 'alice', online: false, version: version + 1 });
    // The broadcast is coalesced onto the next turn of the clock.
    expect(rig.sentSince(mark)).to.deep.equal([]);
    await rig.clock.tickAsync(20);
    expect(rig.tablesTo(B, mark).map((t) => ({ from: t.from, to: t.to, rows: t.rows }))).to.deep.equal([
      { from: version, to: version + 1, rows: [{ name: 'alice', ip: A.ip, port: A.port, online: false }] },
    ]);
    expect(rig.tablesTo(C, mark).length).to.equal(1);
    expect(rig.tablesTo(A, mark)).to.deep.equal([]);
  });

  it('a client marked offline for not answering is told too (it may be alive and confirm again)', async () => {
    const alice = await rig.online('alice', A);
    await rig.online('bob', B);
    const version = rig.state.table.version;
    const mark = rig.mark();
    await rig.markOffline.execute('alice', alice, 'unresponsive');
    await rig.clock.tickAsync(20);
    const update = { from: version, to: version + 1, rows: [{ name: 'alice', ip: A.ip, port: A.port, online: false }] };
    expect(rig.tablesTo(A, mark).map((t) => ({ from: t.from, to: t.to, rows: t.rows }))).to.deep.equal([update]);
    expect(rig.tablesTo(B, mark).map((t) => ({ from: t.from, to: t.to, rows: t.rows }))).to.deep.equal([update]);
  });

  it('changes nothing for an unknown or already offline name', async () => {
    await rig.online('alice', A);
    const bob = await rig.online('bob', B);
    await rig.markOffline.execute('bob', bob);
    await rig.clock.tickAsync(20);
    const version = rig.state.table.version;
    const save = sinon.spy(rig.registryStore, 'save');
    const mark = rig.mark();
    await rig.markOffline.execute('bob', bob);
    await rig.markOffline.execute('nobody', bob);
    await rig.clock.tickAsync(20);
    expect(rig.state.table.version).to.equal(version);
    expect(save.callCount).to.equal(0);
    expect(rig.sentSince(mark)).to.deep.equal([]);
  });

  it("marks only the session it was given: a probe of bob's old process never takes his new session offline", async () => {
    const old = await rig.online('bob', B);
    // bob comes back from another port (his old process was killed); a check of the old session ends after that.
    rig.transport.silence(B);
    const current = await rig.during(rig.online('bob', C), 600);
    expect(current).to.not.equal(old);
    expect(await rig.markOffline.execute('bob', old)).to.equal(false);
    expect(rig.state.table.get('bob')).to.include({ online: true, port: C.port });
    expect(await rig.markOffline.execute('bob', current)).to.equal(true);
    expect(rig.state.table.get('bob')?.online).to.equal(false);
  });

  it('coalesces several changes in one turn into one update per client', async () => {
    await rig.online('alice', A);
    const bob = await rig.online('bob', B);
    const carol = await rig.online('carol', C);
    const version = rig.state.table.version;
    const mark = rig.mark();
    await rig.markOffline.execute('bob', bob);
    await rig.markOffline.execute('carol', carol);
    await rig.clock.tickAsync(20);
    const toAlice = rig.tablesTo(A, mark);
    expect(toAlice.length).to.equal(1);
    expect(toAlice[0]).to.include({ from: version, to: version + 2 });
    expect(toAlice[0]!.rows.map((r) => r.name).sort()).to.deep.equal(['bob', 'carol']);
  });
});
