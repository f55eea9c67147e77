import { expect } from 'chai';
import { DEFAULT_RATE_LIMIT } from '../../src/adapters/wire/rate-limiter';
import { Scenario, type TestClient } from '../support/scenario';

/** The texts `from` sent that `to` showed, in the order shown. */
function shownFrom(to: TestClient, from: string): string[] {
  return to.view.events.flatMap((e) => (e.kind === 'direct-received' && e.from === from ? [e.text] : []));
}

/**
 * Every node drops what one source sends it beyond DEFAULT_RATE_LIMIT (a flood defence, before
 * decoding). A paste longer than that burst is legitimate: it must arrive whole, so a sender
 * never sends one address more than that address takes from it.
 */
describe('scenario: a paste longer than a peer takes at once', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  it(`direct: ${DEFAULT_RATE_LIMIT.burst + 2000} lines pasted at once are all shown, in order, and all ACKed`, async function () {
    this.timeout(60_000);
    s = new Scenario({ seed: 51, faults: { latencyMs: 1 } });
    await s.startServer();
    const alice = await s.startClient('alice', { port: 6001 });
    const bob = await s.startClient('bob', { port: 6002 });
    await s.run(500);
    const typed = Array.from({ length: DEFAULT_RATE_LIMIT.burst + 2000 }, (_, i) => `paste ${i}`);
    const mark = alice.lines.length;
    const done = Promise.all(typed.map((t) => alice.type(`send bob ${t}`)));
    await s.run(20_000);
    await done;
    const printed = alice.view.since(mark);
    expect(printed.filter((l) => l !== '>>> [Message received by bob.]').slice(0, 3), 'every line ACKed').to.deep.equal([]);
    expect(printed).to.have.length(typed.length);
    expect(shownFrom(bob, 'alice')).to.deep.equal(typed);
  });
});
