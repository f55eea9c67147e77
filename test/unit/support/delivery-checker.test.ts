import { expect } from 'chai';
import type { Message } from '../../../src/application/protocol/envelope';
import { DeliveryChecker, type SentMessage } from '../../support/delivery-checker';
import { InboundScreen } from '../../support/inbound-screen';

/**
 * Negative controls of the crash test's delivery figures (test/support/crash-run.ts): fed the
 * datagrams a client's socket would receive, the checker must report a re-delivery after an ACK
 * and a message shown twice when they happen, and nothing when they do not.
 */
describe('crash test delivery checker (negative controls)', () => {
  const SERVER = { ip: '127.0.0.1', port: 5000 };
  const TOKEN = 'session-token';
  const hello: SentMessage = { senderKey: 'alice', id: 'a1', text: 'hello ✓', kind: 'channel', recipients: ['bob'], acked: true };
  const push: Message = { t: 'channel', id: 'a1', token: TOKEN, from: 'alice', text: 'hello ✓' };
  const storedCopy: Message = { t: 'stored', id: 'd7', token: TOKEN, items: [{ id: 'a1', from: 'alice', kind: 'channel', at: 1_700_000_000_000, text: 'hello ✓' }] };

  let checker: DeliveryChecker;
  const problems: string[] = [];
  /** ACKs the real client sent, by the id they answer. */
  const acks: string[] = [];
  const carried = new Map<string, ReadonlyArray<{ from: string; id: string }>>();
  beforeEach(() => {
    problems.length = 0;
    acks.length = 0;
    carried.clear();
    checker = new DeliveryChecker(new Map([['alice|a1', hello]]), (p) => problems.push(p));
  });

  function screen(seed = 1): InboundScreen {
    const s = new InboundScreen('bob', SERVER, seed, (event) => checker.shown('bob', event), (sent) => {
      if (sent.t !== 'ack') return;
      acks.push(sent.re);
      checker.acked('bob', carried.get(sent.re) ?? []);
    });
    s.online(TOKEN);
    return s;
  }

  /** What the crash test's raw client does with a push: count its items and hand it to the real inbound handling, which ACKs it. */
  async function receive(on: InboundScreen, message: Message): Promise<void> {
    const items = message.t === 'channel' ? [{ from: message.from, id: message.id, kind: 'channel' as const, text: message.text }]
      : message.t === 'stored' ? message.items : [];
    for (const item of items) checker.arrived('bob', item);
    if ('id' in message) carried.set(message.id, items);
    on.receive(message);
    // The real client may show after writing the seen id: let it finish.
    await new Promise((resolve) => setImmediate(resolve));
  }

  it('reports nothing for a message delivered and shown once', async () => {
    await receive(screen(), push);
    expect(acks).to.deep.equal(['a1']);
    expect(checker.figures).to.deep.equal({ deliveries: 1, unexpected: 0, redelivered_after_ack: 0, shown_twice: 0 });
    expect(checker.reached('bob', hello)).to.equal(true);
    expect(checker.wasShown('bob', hello)).to.equal(true);
    expect(problems).to.deep.equal([]);
  });

  it('counts a delivery after the ACK, which the real client still shows once', async () => {
    const bob = screen();
    await receive(bob, push);
    await receive(bob, storedCopy);
    expect(checker.figures.redelivered_after_ack).to.equal(1);
    expect(checker.figures.shown_twice).to.equal(0);
  });

  it('counts a message shown twice: a client process that lost its shown ids is handed the copy again', async () => {
    await receive(screen(1), push);
    await receive(screen(2), storedCopy);
    expect(checker.figures.redelivered_after_ack).to.equal(1);
    expect(checker.figures.shown_twice).to.equal(1);
    expect(problems.join('\n')).to.include('shown alice: hello ✓ 2 times');
  });

  it('sees a push the real client refuses (another session token) as reached, not ACKed and not shown', async () => {
    await receive(screen(), { ...push, token: 'an-earlier-session' });
    expect(checker.reached('bob', hello)).to.equal(true);
    expect(checker.wasShown('bob', hello)).to.equal(false);
    expect(acks).to.deep.equal([]);
  });

  it('counts a delivery of something never sent, or altered, as unexpected', async () => {
    const bob = screen();
    await receive(bob, { ...push, id: 'a2' });
    await receive(bob, { ...push, text: 'hello, altered' });
    expect(checker.figures.unexpected).to.equal(2);
  });
});
