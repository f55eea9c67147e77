import { expect } from 'chai';
import { ackEverything } from '../../../../support/fake-transport';
import { A, B, inbound, ServerRig } from './server-rig';

describe('use case (server): ServeTableRequest', () => {
  let rig: ServerRig;
  beforeEach(() => {
    rig = new ServerRig();
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('ACKs a confirmed session and sends it the whole table', async () => {
    const token = await rig.online('alice', A);
    await rig.online('bob', B);
    const mark = rig.mark();
    const reply = await rig.serveTable.execute(inbound({ t: 'table-request', id: 'q1', token, have: 1 }, A));
    expect(reply).to.deep.equal({ t: 'ack', re: 'q1', status: 'ok' });
    await rig.clock.tickAsync(20);
    const tables = rig.tablesTo(A, mark);
    expect(tables.length).to.equal(1);
    expect(tables[0]).to.include({ full: true, from: 0, to: rig.state.table.version });
    expect(tables[0]!.rows.map((r) => r.name).sort()).to.deep.equal(['alice', 'bob']);
  });

  it('drops a request from an unconfirmed session, with a wrong token, or from another address', async () => {
    const confirmed = await rig.online('alice', A);
    const unconfirmed = await rig.register('bob', B);
    const mark = rig.mark();
    const bad = [
      inbound({ t: 'table-request' as const, id: 'q1', token: unconfirmed, have: 0 }, B),
      inbound({ t: 'table-request' as const, id: 'q2', token: 'nope', have: 0 }, A),
      inbound({ t: 'table-request' as const, id: 'q3', token: confirmed, have: 0 }, B),
    ];
    for (const b of bad) expect(await rig.serveTable.execute(b), b.message.id).to.equal(undefined);
    await rig.clock.tickAsync(20);
    expect(rig.sentSince(mark)).to.deep.equal([]);
  });
  it('a request from a session the whole table is already on its way to is answered by that push, not by a second whole table', async () => {
    await rig.online('alice', A);
    const mark = rig.mark();
    // bob confirms but does not answer yet: its whole table is in flight.
    const token = await rig.register('bob', B);
    await rig.confirmRegistration.execute(inbound({ t: 'confirm', id: rig.nextId(), token, have: 0 }, B));
    await rig.clock.tickAsync(20);
    expect(rig.tablesTo(B, mark).filter((t) => t.full)).to.have.length(1);
    const reply = await rig.serveTable.execute(inbound({ t: 'table-request', id: 'q1', token, have: 0 }, B));
    expect(reply).to.deep.equal({ t: 'ack', re: 'q1', status: 'ok' });
    rig.transport.respondAt(B, ackEverything);
    await rig.clock.tickAsync(3000);
    const whole = rig.tablesTo(B, mark).filter((t) => t.full);
    expect(new Set(whole.map((t) => t.id)).size, 'whole-table datagrams (retransmissions share an id)').to.equal(1);
    expect(whole[0]).to.include({ from: 0, to: rig.state.table.version });
  });
});
