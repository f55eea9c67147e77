import { sealedTextsFor } from '../support/peer-keys';
import { expect } from 'chai';
import { Scenario } from '../support/scenario';

describe('scenario: a direct message reaches only the name it is addressed to', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  it('alice leaves silently, bob takes her port, carol writes to alice: bob shows nothing, carol is not told alice got it, the message is kept for alice', async () => {
    s = new Scenario({ seed: 10 });
    const server = await s.startServer();
    const alice = await s.startClient('alice', { port: 6001 });
    const carol = await s.startClient('carol', { port: 6003 });
    await s.run(200);
    await alice.client.stop();
    // The server may first probe alice, who held that address (a few ACK waits).
    const bob = await s.startClient('bob', { port: 6001, settle: false });
    await s.run(3000);
    expect(bob.lines).to.include('>>> [Welcome, You are registered.]');
    const bobMark = bob.lines.length;
    const carolMark = carol.lines.length;
    void carol.type('send alice secret');
    await s.run(4000);
    expect(bob.view.since(bobMark).filter((l) => l.includes('secret')), 'bob printed').to.deep.equal([]);
    const carolSaw = carol.view.since(carolMark);
    expect(carolSaw, 'carol printed').to.not.include('>>> [Message received by alice.]');
    expect(carolSaw, 'carol printed').to.include('>>> [Messages received by the server and saved]');
    expect(sealedTextsFor(await server.mailbox.list('alice'), ['secret']), 'kept sealed, unreadable by the server').to.equal(true);
  });
});
