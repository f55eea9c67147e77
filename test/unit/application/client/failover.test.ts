import { expect } from 'chai';
import { Failover } from '../../../../src/application/client/failover';
import { ChatView } from '../../../../src/application/ports/chat-view';
import type { Message, Reply } from '../../../../src/application/protocol/envelope';
import type { Address } from '../../../../src/domain/address';
import type { RecordingView } from '../../../support/recording-view';
import { ClientRig, SERVER } from '../use-cases/client/client-rig';

const B: Address = { ip: '127.0.0.1', port: 5001 };
const C: Address = { ip: '127.0.0.1', port: 5002 };

/** An instance that welcomes and confirms anyone, with its own token. */
const instance =
  (token: string) =>
  (m: Message): Reply | undefined => {
    if (m.t === 'register') return { t: 'welcome', re: m.id, name: m.name, token };
    if (m.t === 'confirm') return { t: 'ack', re: m.id, status: 'ok' };
    return undefined;
  };

describe('Failover', () => {
  let rig: ClientRig;
  let failover: Failover;
  let view: RecordingView;
  beforeEach(() => {
    rig = new ClientRig('alice');
    rig.goOnline('tok-a');
    failover = rig.container.get(Failover);
    view = rig.container.get(ChatView) as RecordingView;
    rig.session.instances.learn(['127.0.0.1:5001', '127.0.0.1:5002']);
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('registers on the next instance with the same secret, confirms there, and says so once, without a welcome line', async () => {
    rig.transport.respondAt(B, instance('tok-b'));
    expect(await rig.settle(failover.recover(SERVER), 100)).to.equal(true);
    expect(rig.session.server).to.deep.equal(B);
    expect(rig.session.token).to.equal('tok-b');
    expect(rig.transport.sentOf('register').map((s) => s.to)).to.deep.equal([B]);
    expect(rig.transport.sentOf('register')[0]!.message).to.include({ name: 'alice', secret: await rig.secrets.secretFor('alice', () => 'unused') });
    expect(rig.transport.sentOf('confirm').map((s) => s.to)).to.deep.equal([B]);
    expect(rig.transport.sentOf('confirm')[0]!.message).to.include({ token: 'tok-b', have: 0 });
    expect(view.lines).to.deep.equal(['>>> [Server 127.0.0.1:5000 not responding; now using 127.0.0.1:5001.]']);
    // Its versions are its own: the next whole table is taken whatever its version, rows kept meanwhile.
    expect(rig.session.table.version).to.equal(0);
    expect(rig.session.table.size).to.equal(3);
    expect(rig.session.tableFromNewInstance).to.equal(true);
  });

  it('requests failing together share one move: one registration, one line, all told to retry', async () => {
    rig.transport.respondAt(B, instance('tok-b'));
    const moves = [failover.recover(SERVER), failover.recover(SERVER), failover.recover(SERVER)];
    expect(await rig.settle(Promise.all(moves), 100)).to.deep.equal([true, true, true]);
    expect(rig.transport.sentOf('register')).to.have.length(1);
    expect(view.lines).to.have.length(1);
    // A request that failed at A but reports only now: the client has moved on already.
    expect(await failover.recover(SERVER)).to.equal(true);
    expect(rig.transport.sentOf('register')).to.have.length(1);
  });

  it('a request started during a move waits for it (settled)', async () => {
    rig.transport.respondAt(B, instance('tok-b'));
    const move = failover.recover(SERVER);
    let settled = false;
    void failover.settled().then(() => (settled = true));
    await rig.clock.tickAsync(0);
    expect(settled).to.equal(false);
    await rig.settle(move, 100);
    await rig.clock.tickAsync(0);
    expect(settled).to.equal(true);
  });

  it('passes over a silent instance and one that refuses the name, naming the instance it left', async () => {
    rig.transport.respondAt(B, (m) => (m.t === 'register' ? { t: 'refused', re: m.id, reason: 'name-owned' } : undefined));
    rig.transport.respondAt(C, instance('tok-c'));
    expect(await rig.settle(failover.recover(SERVER), 100)).to.equal(true);
    expect(rig.session.server).to.deep.equal(C);
    expect(view.lines).to.deep.equal(['>>> [Server 127.0.0.1:5000 not responding; now using 127.0.0.1:5002.]']);
  });

  it('with no instance answering: false after five tries at each, still on the failed one, nothing printed', async () => {
    const move = failover.recover(SERVER);
    await rig.clock.tickAsync(4999);
    expect(rig.transport.sentOf('register').map((s) => s.to.port)).to.deep.equal([5001, 5001, 5001, 5001, 5001, 5002, 5002, 5002, 5002, 5002]);
    await rig.clock.tickAsync(1);
    expect(await move).to.equal(false);
    expect(rig.session.server).to.deep.equal(SERVER);
    expect(rig.session.token).to.equal('tok-a');
    expect(view.lines).to.deep.equal([]);
  });

  it('with no other instance known: false at once, nothing sent', async () => {
    rig.session.instances.learn([]);
    expect(failover.hasAlternatives(SERVER)).to.equal(false);
    expect(await failover.recover(SERVER)).to.equal(false);
    expect(rig.transport.sent).to.deep.equal([]);
  });
});
