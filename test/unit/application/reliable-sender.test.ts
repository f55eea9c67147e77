import { expect } from 'chai';
import sinon from 'sinon';
import { ReliableSender } from '../../../src/application/reliable-sender';
import type { Transport } from '../../../src/application/ports/transport';
import type { Message, Reply } from '../../../src/application/protocol/envelope';
import { SystemClock } from '../../../src/adapters/system/system-clock';
import { defaultRetryPolicies } from '../../../src/domain/retry-policy';
import { FakeTransport } from '../../support/fake-transport';

/** Taken before the fake clock is installed: a real turn of the event loop. */
const realSetImmediate = globalThis.setImmediate;
const SERVER = { ip: '127.0.0.1', port: 5000 };
const OTHER = { ip: '127.0.0.1', port: 6000 };
const policies = defaultRetryPolicies();
const ack = (re: string): Reply => ({ t: 'ack', re });
const dereg = (id: string): Extract<Message, { id: string }> => ({ t: 'dereg', id, token: 'tok', name: 'x' });

describe('ReliableSender (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  let transport: FakeTransport;
  let sender: ReliableSender;
  const t0 = 1_000_000;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: t0, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    transport = new FakeTransport({ ip: '127.0.0.1', port: 7000 });
    sender = new ReliableSender(transport, new SystemClock());
  });

  afterEach(async () => {
    sender.cancelAll();
    await transport.close();
    expect(clock.countTimers(), 'timers left behind').to.equal(0);
    clock.restore();
  });

  /** Track a promise's settlement without awaiting it. */
  function track<T>(p: Promise<T>): { done: boolean; value: T | undefined } {
    const state = { done: false, value: undefined as T | undefined };
    void p.then((v) => {
      state.done = true;
      state.value = v;
    });
    return state;
  }

  const sendTimes = (): number[] => transport.sent.map((s) => s.atMs - t0);

  it('transmits at 0, 500, 1000, 1500, 2000 ms and resolves undefined at exactly 2500 ms', async () => {
    const result = track(sender.request(SERVER, dereg('m1'), policies.toServer));
    await clock.tickAsync(0);
    expect(sendTimes()).to.deep.equal([0]);
    await clock.tickAsync(2499);
    expect(sendTimes()).to.deep.equal([0, 500, 1000, 1500, 2000]);
    expect(result.done).to.equal(false);
    expect(sender.inFlight).to.equal(1);
    await clock.tickAsync(1);
    expect(result.done).to.equal(true);
    expect(result.value).to.equal(undefined);
    expect(sender.inFlight).to.equal(0);
    // Every copy is the same datagram with the same id.
    expect(transport.sent.every((s) => JSON.stringify(s.message) === JSON.stringify(dereg('m1')))).to.equal(true);
    expect(transport.sent.every((s) => s.to === SERVER)).to.equal(true);
    await clock.tickAsync(10_000);
    expect(transport.sent.length).to.equal(5);
  });

  it('a direct policy transmits once and gives up at 500 ms', async () => {
    const result = track(sender.request(OTHER, { t: 'chat', id: 'c1', from: 'x', to: 'y', sealed: 'aGk' }, policies.direct));
    await clock.tickAsync(499);
    expect(result.done).to.equal(false);
    await clock.tickAsync(1);
    expect(result.done).to.equal(true);
    expect(result.value).to.equal(undefined);
    expect(sendTimes()).to.deep.equal([0]);
  });

  it('resolves with the reply and sends nothing after the ACK arrives', async () => {
    const result = track(sender.request(SERVER, dereg('m1'), policies.toServer));
    await clock.tickAsync(700);
    expect(sendTimes()).to.deep.equal([0, 500]);
    expect(sender.handleReply(ack('m1'), SERVER)).to.equal(true);
    await clock.tickAsync(0);
    expect(result.done).to.equal(true);
    expect(result.value).to.deep.equal(ack('m1'));
    await clock.tickAsync(10_000);
    expect(sendTimes()).to.deep.equal([0, 500]);
  });

  it('a duplicate ACK after completion does nothing: no resend, no throw, returns false', async () => {
    const result = track(sender.request(SERVER, dereg('m1'), policies.toServer));
    await clock.tickAsync(10);
    expect(sender.handleReply(ack('m1'), SERVER)).to.equal(true);
    expect(sender.handleReply(ack('m1'), SERVER)).to.equal(false);
    await clock.tickAsync(3000);
    expect(sender.handleReply(ack('m1'), SERVER)).to.equal(false);
    expect(result.value).to.deep.equal(ack('m1'));
    expect(transport.sent.length).to.equal(1);
  });

  it('ignores an ACK from a different address', async () => {
    const result = track(sender.request(SERVER, dereg('m1'), policies.toServer));
    await clock.tickAsync(100);
    expect(sender.handleReply(ack('m1'), OTHER)).to.equal(false);
    expect(sender.handleReply(ack('m1'), { ip: '127.0.0.2', port: SERVER.port })).to.equal(false);
    await clock.tickAsync(0);
    expect(result.done).to.equal(false);
    await clock.tickAsync(2400);
    expect(result.done).to.equal(true);
    expect(result.value).to.equal(undefined);
    expect(transport.sent.length).to.equal(5);
  });

  it('accepts the ACK from the same address seen as an IPv4-mapped IPv6 address', async () => {
    const result = track(sender.request(SERVER, dereg('m1'), policies.toServer));
    await clock.tickAsync(1);
    expect(sender.handleReply(ack('m1'), { ip: '::ffff:127.0.0.1', port: SERVER.port })).to.equal(true);
    await clock.tickAsync(0);
    expect(result.value).to.deep.equal(ack('m1'));
  });

  it('an ACK naming another id does not complete this request', async () => {
    const a = track(sender.request(SERVER, dereg('a'), policies.toServer));
    const b = track(sender.request(SERVER, dereg('b'), policies.toServer));
    await clock.tickAsync(100);
    expect(sender.handleReply(ack('zzz'), SERVER)).to.equal(false);
    expect(sender.handleReply(ack('b'), SERVER)).to.equal(true);
    await clock.tickAsync(0);
    expect(a.done).to.equal(false);
    expect(b.value).to.deep.equal(ack('b'));
    await clock.tickAsync(2400);
    expect(a.done).to.equal(true);
    expect(a.value).to.equal(undefined);
    expect(transport.sent.filter((s) => 'id' in s.message && s.message.id === 'a').length).to.equal(5);
    expect(transport.sent.filter((s) => 'id' in s.message && s.message.id === 'b').length).to.equal(1);
  });

  it('a welcome or refusal naming the id completes it like an ACK', async () => {
    const a = track(sender.request(SERVER, dereg('w'), policies.toServer));
    const b = track(sender.request(SERVER, dereg('r'), policies.toServer));
    await clock.tickAsync(1);
    sender.handleReply({ t: 'welcome', re: 'w', name: 'x', token: 't' }, SERVER);
    sender.handleReply({ t: 'refused', re: 'r', reason: 'name-in-use' }, SERVER);
    await clock.tickAsync(0);
    expect(a.value).to.deep.equal({ t: 'welcome', re: 'w', name: 'x', token: 't' });
    expect(b.value).to.deep.equal({ t: 'refused', re: 'r', reason: 'name-in-use' });
  });

  it('two requests with the same id to different addresses are independent', async () => {
    const channel: Extract<Message, { id: string }> = { t: 'channel', id: 'same', token: 'tok', from: 'x', text: 'hi' };
    const toA = track(sender.request(SERVER, channel, policies.toServer));
    const toB = track(sender.request(OTHER, channel, policies.toServer));
    await clock.tickAsync(600);
    expect(sender.inFlight).to.equal(2);
    expect(sender.handleReply(ack('same'), OTHER)).to.equal(true);
    await clock.tickAsync(0);
    expect(toB.value).to.deep.equal(ack('same'));
    expect(toA.done).to.equal(false);
    await clock.tickAsync(1900);
    expect(toA.done).to.equal(true);
    expect(toA.value).to.equal(undefined);
    expect(transport.sentOf('channel', SERVER).map((s) => s.atMs - t0)).to.deep.equal([0, 500, 1000, 1500, 2000]);
    expect(transport.sentOf('channel', OTHER).map((s) => s.atMs - t0)).to.deep.equal([0, 500]);
  });

  it('a second request with the same id to the same address joins the first: no throw, one datagram, one outcome', async () => {
    const first = track(sender.request(SERVER, dereg('dup'), policies.toServer));
    let second: ReturnType<typeof track<Reply | undefined>> | undefined;
    expect(() => {
      second = track(sender.request(SERVER, dereg('dup'), policies.toServer));
    }).to.not.throw();
    const third = track(sender.exchange(SERVER, dereg('dup'), policies.toServer));
    await clock.tickAsync(600);
    expect(sender.inFlight).to.equal(1);
    expect(sendTimes()).to.deep.equal([0, 500]);
    expect(sender.handleReply(ack('dup'), SERVER)).to.equal(true);
    await clock.tickAsync(0);
    expect(first.value).to.deep.equal(ack('dup'));
    expect(second!.value).to.deep.equal(ack('dup'));
    expect(third.value).to.deep.equal({ kind: 'reply', reply: ack('dup') });
    // Once finished, the id may be used again.
    const again = track(sender.request(SERVER, dereg('dup'), policies.toServer));
    await clock.tickAsync(2500);
    expect(again.done).to.equal(true);
  });

  it('a transport that rejects or throws: the request ends at once, unanswered, and no rejection goes unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const rejecting = new ReliableSender({ ...transport, send: () => Promise.reject(new Error('socket gone')) } as unknown as Transport, new SystemClock());
      const throwing = new ReliableSender({ ...transport, send: () => { throw new Error('bug'); } } as unknown as Transport, new SystemClock());
      const a = track(rejecting.request(SERVER, dereg('r1'), policies.toServer));
      let b: ReturnType<typeof track<Reply | undefined>> | undefined;
      expect(() => {
        b = track(throwing.request(SERVER, dereg('r2'), policies.toServer));
      }).to.not.throw();
      await clock.tickAsync(0);
      expect(a.done && b!.done, 'both ended before any ACK wait').to.equal(true);
      expect(a.value).to.equal(undefined);
      expect(rejecting.inFlight + throwing.inFlight).to.equal(0);
      await clock.tickAsync(5000);
      // A real turn of the event loop: Node reports a rejection nobody handled before it.
      await new Promise((resolve) => realSetImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).to.deep.equal([]);
  });

  it('exchange tells a transport failure apart from silence: refused, with what failed', async () => {
    const rejecting = new ReliableSender({ ...transport, send: () => Promise.reject(new Error('socket gone')) } as unknown as Transport, new SystemClock());
    const outcome = track(rejecting.exchange(SERVER, dereg('r1'), policies.toServer));
    await clock.tickAsync(0);
    expect(outcome.value).to.deep.equal({ kind: 'refused', refusal: { reason: 'failed', detail: 'Error: socket gone' } });
  });

  it('a refused send ends the exchange at once as refused: no retransmission, no 2.5 s wait', async () => {
    transport.refuse({ reason: 'oversize', bytes: 1300, limitBytes: 1200 });
    const outcome = track(sender.exchange(SERVER, dereg('big'), policies.toServer));
    const plain = track(sender.request(SERVER, dereg('big2'), policies.toServer));
    await clock.tickAsync(0);
    expect(outcome.value).to.deep.equal({ kind: 'refused', refusal: { reason: 'oversize', bytes: 1300, limitBytes: 1200 } });
    expect(plain.done).to.equal(true);
    expect(plain.value).to.equal(undefined);
    expect(sender.inFlight).to.equal(0);
    expect(transport.refused.map((s) => s.atMs - t0)).to.deep.equal([0, 0]);
    await clock.tickAsync(5000);
    expect(transport.refused.length, 'no retransmission of a refused datagram').to.equal(2);
  });

  it('cancelAll resolves every request unanswered and leaves no timers', async () => {
    const results = [
      track(sender.request(SERVER, dereg('a'), policies.toServer)),
      track(sender.request(OTHER, dereg('b'), policies.push)),
      track(sender.request(OTHER, { t: 'probe', id: 'p', token: 'tok' }, policies.probe)),
    ];
    await clock.tickAsync(300);
    expect(clock.countTimers()).to.equal(3);
    expect(transport.sent.length).to.equal(3);
    const sentBefore = transport.sent.length;
    sender.cancelAll();
    await clock.tickAsync(0);
    expect(results.every((r) => r.done && r.value === undefined)).to.equal(true);
    expect(clock.countTimers()).to.equal(0);
    expect(sender.inFlight).to.equal(0);
    await clock.tickAsync(5000);
    expect(transport.sent.length).to.equal(sentBefore);
  });

  it('idle() resolves at once when nothing is in flight, and when the last request finishes', async () => {
    let idleNow = false;
    void sender.idle().then(() => {
      idleNow = true;
    });
    await clock.tickAsync(0);
    expect(idleNow).to.equal(true);

    void sender.request(SERVER, dereg('a'), policies.toServer);
    void sender.request(OTHER, dereg('b'), policies.direct);
    let idle = false;
    void sender.idle().then(() => {
      idle = true;
    });
    await clock.tickAsync(100);
    sender.handleReply(ack('a'), SERVER);
    await clock.tickAsync(0);
    expect(idle, 'one request still in flight').to.equal(false);
    await clock.tickAsync(399);
    expect(idle).to.equal(false);
    await clock.tickAsync(1);
    expect(idle).to.equal(true);
  });
});
