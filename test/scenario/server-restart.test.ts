import { expect } from 'chai';
import { Scenario } from '../support/scenario';

/**
 * A server restarted on its data (same key, same registry) lost its secure sessions. As it
 * starts it probes the clients that were online, which begins a new session with each, so a
 * client's first command after the restart does not wait for its own retransmissions to find
 * the old session gone (a command sent while the restart is under way is answered at its first
 * retransmission, 500 ms later).
 */
describe('scenario: the first command after a server restart', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  it('is answered at once, in the session the restarted server began with the client as it probed it', async () => {
    s = new Scenario({ seed: 51 });
    const first = await s.startServer();
    const x = await s.startClient('x');
    await s.startClient('y');
    await s.run(500);
    await first.server.stop();
    // The same data: the registry, mailboxes and channel log it had, and its key.
    await s.startServer({ registry: first.registry, mailbox: first.mailbox, channelLog: first.channelLog });
    await s.run(50);
    expect(await s.say(x, 'send_all right after the restart', 100)).to.deep.equal(['>>> [Message received by Server.]']);
  });
});
