import { expect } from 'chai';
import type { MessageOf } from '../../../../../src/application/protocol/envelope';
import { STORE_RETRY_GAP_MS, STORE_RETRY_WINDOW_MS } from '../../../../../src/application/server/store-retry';
import { A, B, inbound, ServerRig } from './server-rig';

describe('use case (server): StoreOfflineMessage', () => {
  let rig: ServerRig;
  let aliceToken: string;
  let bobToken: string;
  const save = (over: Partial<MessageOf<'save'>> = {}): MessageOf<'save'> => ({ t: 'save', id: 'm1', token: aliceToken, from: 'alice', to: 'bob', sealed: 'c2VhbGVkIGZvciBib2IgYnkgYWxpY2UgKG9wYXF1ZSB0byB0aGUgc2VydmVyKQ', ...over });

  beforeEach(async () => {
    rig = new ServerRig();
    aliceToken = await rig.online('Alice', A);
    bobToken = await rig.online('bob', B);
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('stores a message for an offline recipient, with the time, before ACKing saved', async () => {
    await rig.offline('bob', B, bobToken);
    const mark = rig.mark();
    const reply = await rig.storeOffline.execute(inbound(save({ to: 'BOB' }), A));
    expect(reply).to.deep.equal({ t: 'ack', re: 'm1', status: 'saved' });
    expect(await rig.mailbox.list('bob')).to.deep.equal([
      { id: 'm1', recipient: 'bob', sender: 'Alice', kind: 'direct', storedAtMs: Date.now(), text: 'c2VhbGVkIGZvciBib2IgYnkgYWxpY2UgKG9wYXF1ZSB0byB0aGUgc2VydmVyKQ', seq: 1 },
    ]);
    expect(rig.sentSince(mark)).to.deep.equal([]);
  });

  it('a retried save (same id) stores once and is still ACKed saved', async () => {
    await rig.offline('bob', B, bobToken);
    expect(await rig.storeOffline.execute(inbound(save(), A))).to.deep.equal({ t: 'ack', re: 'm1', status: 'saved' });
    expect(await rig.storeOffline.execute(inbound(save(), A))).to.deep.equal({ t: 'ack', re: 'm1', status: 'saved' });
    expect((await rig.mailbox.list('bob')).length).to.equal(1);
  });

  it('answers exists when the recipient listed online answers the probe, stores nothing, and sends the requester the table after the answer', async () => {
    const mark = rig.mark();
    const pending = rig.storeOffline.execute(inbound(save(), A));
    await rig.clock.tickAsync(5);
    const reply = await pending;
    expect(reply).to.deep.equal({ t: 'ack', re: 'm1', status: 'exists' });
    expect(await rig.mailbox.list('bob')).to.deep.equal([]);
    expect(rig.sentSince(mark).map((s) => [s.message.t, s.to.port])).to.deep.include(['probe', B.port]);
    await rig.clock.tickAsync(20);
    const tables = rig.tablesTo(A, mark);
    expect(tables.length).to.be.greaterThan(0);
    expect(tables[0]).to.include({ full: true, to: rig.state.table.version });
    expect(rig.state.table.get('bob')?.online).to.equal(true);
  });

  it('marks a recipient that misses the probe offline, then stores and ACKs saved', async () => {
    rig.transport.silence(B);
    const version = rig.state.table.version;
    const pending = rig.storeOffline.execute(inbound(save(), A));
    await rig.clock.tickAsync(499);
    expect(await rig.mailbox.list('bob')).to.deep.equal([]);
    await rig.clock.tickAsync(1);
    expect(await pending).to.deep.equal({ t: 'ack', re: 'm1', status: 'saved' });
    expect(rig.state.table.get('bob')?.online).to.equal(false);
    expect(rig.state.table.version).to.equal(version + 1);
    expect((await rig.mailbox.list('bob')).map((m) => m.id)).to.deep.equal(['m1']);
    await rig.clock.tickAsync(5000);
  });

  it('answers unknown-recipient for a name nobody registered', async () => {
    expect(await rig.storeOffline.execute(inbound(save({ to: 'nobody' }), A))).to.deep.equal({ t: 'ack', re: 'm1', status: 'unknown-recipient' });
  });

  it('answers invalid for a bad recipient name, an empty text or a sealed payload shorter than an empty text sealed or longer than a 1000-byte text sealed', async () => {
    await rig.offline('bob', B, bobToken);
    for (const bad of [save({ to: '../bob' }), save({ to: 'a b' }), save({ sealed: 'A'.repeat(37) }), save({ sealed: 'A'.repeat(1372) })]) {
      expect(await rig.storeOffline.execute(inbound(bad, A)), JSON.stringify(bad)).to.deep.equal({ t: 'ack', re: 'm1', status: 'invalid' });
    }
    expect(await rig.storeOffline.execute(inbound(save({ sealed: 'A'.repeat(1371) }), A))).to.deep.equal({ t: 'ack', re: 'm1', status: 'saved' });
  });

  it('answers full when the recipient mailbox is at its quota', async () => {
    await rig.stop();
    rig = new ServerRig({ mailboxQuota: { maxMessages: 1, maxBytes: 10_000 } });
    aliceToken = await rig.online('alice', A);
    bobToken = await rig.online('bob', B);
    await rig.offline('bob', B, bobToken);
    expect(await rig.storeOffline.execute(inbound(save({ id: 'm1' }), A))).to.deep.equal({ t: 'ack', re: 'm1', status: 'saved' });
    expect(await rig.storeOffline.execute(inbound(save({ id: 'm2' }), A))).to.deep.equal({ t: 'ack', re: 'm2', status: 'full' });
    expect((await rig.mailbox.list('bob')).map((m) => m.id)).to.deep.equal(['m1']);
  });

  it('a store failing for longer than its retry window is answered failed (inside the client\'s 2.5 s) and logged; a later save is stored again', async () => {
    await rig.offline('bob', B, bobToken);
    const append = rig.mailbox.append.bind(rig.mailbox);
    let tries = 0;
    rig.mailbox.append = () => {
      tries += 1;
      return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    };
    const pending = rig.storeOffline.execute(inbound(save({ id: 'm1' }), A));
    let answered = false;
    void pending.then(() => (answered = true));
    await rig.clock.tickAsync(STORE_RETRY_WINDOW_MS - STORE_RETRY_GAP_MS - 1);
    expect(answered, 'still trying').to.equal(false);
    expect(await rig.during(pending, STORE_RETRY_GAP_MS + 1)).to.deep.equal({ t: 'ack', re: 'm1', status: 'failed' });
    expect(tries).to.equal(STORE_RETRY_WINDOW_MS / STORE_RETRY_GAP_MS + 1);
    expect(rig.logger.entries.filter((e) => e.level === 'error').map((e) => e.message)).to.deep.equal(['could not store a message; the sender is told it was not saved']);
    rig.mailbox.append = append;
    expect(await rig.storeOffline.execute(inbound(save({ id: 'm2' }), A))).to.deep.equal({ t: 'ack', re: 'm2', status: 'saved' });
    expect((await rig.mailbox.list('bob')).map((m) => m.id)).to.deep.equal(['m2']);
  });

  it('a store failing for a moment (a reconnect) is tried again and ACKed saved, once', async () => {
    await rig.offline('bob', B, bobToken);
    const append = rig.mailbox.append.bind(rig.mailbox);
    let failures = 2;
    rig.mailbox.append = (m) => (failures-- > 0 ? Promise.reject(new Error('Connection is closed.')) : append(m));
    expect(await rig.during(rig.storeOffline.execute(inbound(save({ id: 'm1' }), A)), 2 * STORE_RETRY_GAP_MS)).to.deep.equal({ t: 'ack', re: 'm1', status: 'saved' });
    expect((await rig.mailbox.list('bob')).map((m) => m.id)).to.deep.equal(['m1']);
    expect(rig.logger.entries.filter((e) => e.level === 'error')).to.deep.equal([]);
  });

  it('drops a save with a wrong token, from another address, or in another name, and changes nothing', async () => {
    await rig.offline('bob', B, bobToken);
    const version = rig.state.table.version;
    const mark = rig.mark();
    const forged = [
      inbound(save({ token: 'forged' }), A),
      inbound(save(), B),
      inbound(save(), { ip: '127.0.0.9', port: A.port }),
      inbound(save({ from: 'bob' }), A),
      inbound(save({ token: bobToken, from: 'bob' }), A),
    ];
    for (const f of forged) expect(await rig.storeOffline.execute(f)).to.equal(undefined);
    expect(await rig.mailbox.list('bob')).to.deep.equal([]);
    expect(rig.state.table.version).to.equal(version);
    expect(rig.sentSince(mark)).to.deep.equal([]);
  });

  it('drops a forged save for an online recipient without probing it', async () => {
    const mark = rig.mark();
    expect(await rig.storeOffline.execute(inbound(save({ token: 'forged' }), A))).to.equal(undefined);
    await rig.clock.tickAsync(1000);
    expect(rig.sentSince(mark)).to.deep.equal([]);
    expect(rig.state.table.get('bob')?.online).to.equal(true);
  });
});
