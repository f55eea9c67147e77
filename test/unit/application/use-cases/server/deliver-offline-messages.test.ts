import { expect } from 'chai';
import type { StoredMessage } from '../../../../../src/domain/offline-mailbox';
import { A, B, C, ServerRig } from './server-rig';

const stored = (id: string, storedAtMs: number, kind: 'direct' | 'channel' = 'direct'): StoredMessage => ({
  id,
  recipient: 'alice',
  sender: 'bob',
  kind,
  storedAtMs,
  text: `text of ${id}`,
});

describe('use case (server): DeliverOfflineMessages', () => {
  let rig: ServerRig;
  let alice: string;
  beforeEach(async () => {
    rig = new ServerRig();
    alice = await rig.online('alice', A);
    await rig.online('bob', B);
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  /** Stored in the order early, middle, late, while the wall clock was stepped back each time. */
  async function fill(): Promise<void> {
    await rig.mailbox.append(stored('early', 3000, 'channel'));
    await rig.mailbox.append(stored('middle', 2000));
    await rig.mailbox.append(stored('late', 1000));
  }

  it('sends stored messages in the order stored (not by their times), one at a time, each removed only after its ACK', async () => {
    await fill();
    rig.transport.silence(A);
    const mark = rig.mark();
    const run = rig.deliver.execute('alice');
    await rig.clock.tickAsync(10);
    let sent = rig.sentSince(mark).filter((s) => s.message.t === 'stored');
    expect(sent.length).to.equal(1);
    const first = sent[0]!.message as { id: string; items: Array<{ id: string }> };
    expect(first.items).to.deep.equal([{ id: 'early', from: 'bob', kind: 'channel', at: 3000, text: 'text of early' }]);
    expect((await rig.mailbox.list('alice')).length).to.equal(3);

    rig.transport.inject({ t: 'ack', re: first.id }, A);
    await rig.clock.tickAsync(10);
    expect((await rig.mailbox.list('alice')).map((m) => m.id)).to.deep.equal(['middle', 'late']);
    sent = rig.sentSince(mark).filter((s) => s.message.t === 'stored');
    expect(sent.length).to.equal(2);

    rig.transport.respondAt(A, (m) => ('id' in m ? { t: 'ack', re: m.id } : undefined));
    rig.transport.inject({ t: 'ack', re: (sent[1]!.message as { id: string }).id }, A);
    await rig.clock.tickAsync(20);
    expect(await run).to.equal(3);
    const order = rig.sentSince(mark).flatMap((s) => (s.message.t === 'stored' ? s.message.items.map((i) => i.id) : []));
    expect(order).to.deep.equal(['early', 'middle', 'late']);
    expect(await rig.mailbox.list('alice')).to.deep.equal([]);
  });

  it('keeps every message when the client stops answering (five transmissions, then it gives up)', async () => {
    await fill();
    rig.transport.silence(A);
    const mark = rig.mark();
    const run = rig.deliver.execute('alice');
    await rig.clock.tickAsync(2500);
    expect(await run).to.equal(0);
    const sent = rig.sentSince(mark).filter((s) => s.message.t === 'stored');
    expect(sent.length).to.equal(5);
    expect(new Set(sent.map((s) => (s.message as { id: string }).id)).size).to.equal(1);
    expect((await rig.mailbox.list('alice')).length).to.equal(3);
    // The unanswering client is taken for gone.
    expect(rig.state.table.get('alice')?.online).to.equal(false);
    await rig.clock.tickAsync(10_000);
    expect(rig.sentSince(mark).filter((s) => s.message.t === 'stored').length).to.equal(5);
  });

  it('sends nothing to an offline client', async () => {
    await fill();
    await rig.markOffline.execute('alice', alice, 'dereg');
    await rig.clock.tickAsync(20);
    const mark = rig.mark();
    expect(await rig.deliver.execute('alice')).to.equal(0);
    expect(rig.sentSince(mark).filter((s) => s.message.t === 'stored')).to.deep.equal([]);
    expect((await rig.mailbox.list('alice')).length).to.equal(3);
  });

  it('a second run for the same client while one is under way does nothing', async () => {
    await fill();
    const first = rig.deliver.execute('alice');
    expect(await rig.deliver.execute('alice')).to.equal(0);
    await rig.clock.tickAsync(50);
    expect(await first).to.equal(3);
    const ids = rig.transport.sentOf('stored', A).flatMap((s) => s.message.items.map((i) => i.id));
    expect(ids).to.deep.equal(['early', 'middle', 'late']);
  });

  it('a run stuck on a session that ended goes on with the new one, and a copy asked for meanwhile is not left behind', async () => {
    // Fails without the fix: the stuck run gave up, and the new session's delivery (asked for
    // while it ran) was dropped, so both copies waited for alice's next log-in.
    await rig.mailbox.append(stored('early', 1000));
    rig.transport.silence(A);
    const run = rig.deliver.execute('alice');
    await rig.clock.tickAsync(10);
    // alice's process restarts at another port: a new session, whose confirm asks for delivery.
    await rig.during(rig.online('alice', C), 1_000);
    await rig.mailbox.append(stored('late', 2000));
    expect(await rig.deliver.execute('alice')).to.equal(0);
    await rig.clock.tickAsync(5_000);
    await run;
    expect(await rig.mailbox.list('alice')).to.deep.equal([]);
    const ids = rig.transport.sentOf('stored', C).flatMap((s) => s.message.items.map((i) => i.id));
    expect(ids).to.deep.equal(['early', 'late']);
  });

  it('stops when the client goes offline midway and keeps the rest', async () => {
    await fill();
    rig.transport.silence(A);
    const mark = rig.mark();
    const run = rig.deliver.execute('alice');
    await rig.clock.tickAsync(10);
    const first = rig.sentSince(mark).find((s) => s.message.t === 'stored')!.message as { id: string };
    await rig.markOffline.execute('alice', alice, 'dereg');
    rig.transport.inject({ t: 'ack', re: first.id }, A);
    await rig.clock.tickAsync(50);
    expect(await run).to.equal(1);
    expect((await rig.mailbox.list('alice')).map((m) => m.id)).to.deep.equal(['middle', 'late']);
    expect(rig.sentSince(mark).filter((s) => s.message.t === 'stored').length).to.equal(1);
  });

  it('returns 0 for an empty mailbox', async () => {
    expect(await rig.deliver.execute('alice')).to.equal(0);
  });
});
