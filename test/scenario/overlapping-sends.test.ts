import { expect } from 'chai';
import { SEND_WINDOW } from '../../src/application/client/chat-client';
import { Scenario, type TestClient } from '../support/scenario';

/** The texts of alice's direct messages that bob showed, in the order shown. */
function shownFromAlice(bob: TestClient): string[] {
  return bob.view.events.flatMap((e) => (e.kind === 'direct-received' && e.from === 'alice' ? [e.text] : []));
}

describe('scenario: several sends in flight at once', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  it('sends typed at once overlap, and bob shows them in the order typed', async () => {
    // 20 ms each way: one at a time, 20 messages would take 20 round trips (800 ms).
    s = new Scenario({ seed: 21, faults: { latencyMs: 20 } });
    await s.startServer();
    const alice = await s.startClient('alice', { port: 6001 });
    const bob = await s.startClient('bob', { port: 6002 });
    await s.run(500);
    const mark = alice.lines.length;
    const typed = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const done = Promise.all(typed.map((t) => alice.type(`send bob ${t}`)));
    await s.run(100);
    expect(alice.view.since(mark).filter((l) => l === '>>> [Message received by bob.]'), 'ACKed within 100 ms').to.have.length(20);
    await done;
    expect(shownFromAlice(bob)).to.deep.equal(typed);
  });

  it('keeps no more than the window in flight: a long paste still arrives whole and in order', async () => {
    s = new Scenario({ seed: 22, faults: { latencyMs: 20 } });
    await s.startServer();
    const alice = await s.startClient('alice', { port: 6001 });
    const bob = await s.startClient('bob', { port: 6002 });
    await s.run(500);
    const typed = Array.from({ length: 3 * SEND_WINDOW }, (_, i) => `paste ${i}`);
    const mark = alice.lines.length;
    void Promise.all(typed.map((t) => alice.type(`send bob ${t}`)));
    // One round trip (40 ms) lets one window through, not the whole paste.
    await s.run(45);
    const acked = (): number => alice.view.since(mark).filter((l) => l === '>>> [Message received by bob.]').length;
    expect(acked()).to.be.within(1, SEND_WINDOW);
    await s.run(1000);
    expect(acked()).to.equal(typed.length);
    expect(shownFromAlice(bob)).to.deep.equal(typed);
  });

  for (const seed of [31, 32, 33]) {
    it(`on a reordering network bob never shows one of alice's messages after a later one, and alice hears of each one he did not show (seed ${seed})`, async () => {
      s = new Scenario({ seed, faults: { latencyMs: 1 } });
      await s.startServer();
      const alice = await s.startClient('alice', { port: 6001 });
      const bob = await s.startClient('bob', { port: 6002 });
      await s.run(500);
      s.network.setFaults({ loss: 0, duplicate: 0.1, reorder: 0.3, reorderMaxDelayMs: 30, latencyMs: 1 });
      const mark = alice.lines.length;
      const typed = Array.from({ length: 40 }, (_, i) => `m${i}`);
      const done = Promise.all(typed.map((t) => alice.type(`send bob ${t}`)));
      await s.run(10_000);
      await done;
      const shown = shownFromAlice(bob);
      const order = shown.map((t) => typed.indexOf(t));
      expect(order, shown.join(' ')).to.deep.equal([...order].sort((a, b) => a - b));
      expect(new Set(shown).size, 'none shown twice').to.equal(shown.length);
      const printed = alice.view.since(mark);
      const acked = printed.filter((l) => l === '>>> [Message received by bob.]').length;
      const exists = printed.filter((l) => l === '>>> [Client bob exists!!]').length;
      expect(acked, printed.join('\n')).to.equal(shown.length);
      // Each message bob held back was not ACKed: alice fell back to the server, which found bob there.
      expect(acked + exists, printed.join('\n')).to.equal(typed.length);
      expect(s.network.stats.reordered).to.be.greaterThan(0);
    });
  }

  it('each command prints its own lines in order; send_all and local commands wait for the sends before them, and later sends wait for them', async () => {
    s = new Scenario({ seed: 41 });
    await s.startServer();
    const alice = await s.startClient('alice', { port: 6001 });
    const bob = await s.startClient('bob', { port: 6002 });
    const carol = await s.startClient('carol', { port: 6003 });
    await s.run(500);
    // carol leaves silently: alice's table still lists her online, so her message waits for an ACK.
    await carol.client.stop();
    const mark = alice.lines.length;
    void alice.type('send carol are you there');
    void alice.type('send bob one');
    void alice.type('send bob two');
    void alice.client.submitLocal(() => alice.view.show({ kind: 'info', text: 'LIST' }));
    void alice.type('send_all everyone');
    void alice.type('send bob three');
    await s.run(5000);
    const lines = alice.view.since(mark);
    const at = (line: string, from = 0): number => lines.indexOf(line, from);
    const noAck = at('>>> [No ACK from carol, message sent to server.]');
    const saved = at('>>> [Messages received by the server and saved]');
    const firstBob = at('>>> [Message received by bob.]');
    const list = at('>>> LIST');
    const server = at('>>> [Message received by Server.]');
    const lastBob = lines.lastIndexOf('>>> [Message received by bob.]');
    expect(lines.filter((l) => l === '>>> [Message received by bob.]'), lines.join('\n')).to.have.length(3);
    // bob's ACKs came back while carol's message still waited: the sends overlapped.
    expect(firstBob, lines.join('\n')).to.be.within(0, noAck);
    // carol's command: its two lines in the assignment's order.
    expect(noAck, lines.join('\n')).to.be.within(0, saved);
    // The local command took its turn after every send before it, send_all after it, the last send after that.
    expect(list, lines.join('\n')).to.be.greaterThan(saved);
    expect(server, lines.join('\n')).to.be.greaterThan(list);
    expect(lastBob, lines.join('\n')).to.be.greaterThan(server);
    expect(shownFromAlice(bob)).to.deep.equal(['one', 'two', 'three']);
    const channel = bob.view.events.findIndex((e) => e.kind === 'channel-received');
    const three = bob.view.events.findIndex((e) => e.kind === 'direct-received' && e.text === 'three');
    expect(channel).to.be.within(0, three);
  });
});
