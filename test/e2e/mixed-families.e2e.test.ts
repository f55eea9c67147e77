import { expect } from 'chai';
import { freeUdpPort, useProcessPool } from '../support/chatapp-process';

/**
 * Issue 12 "Keys, not addresses": a client that registers over 127.0.0.1 and one over ::1 see
 * each other's datagrams come from another address than the table lists; a direct message is
 * believed by its key, so they chat directly both ways (no fallback to the server).
 */
describe('e2e: one client over 127.0.0.1 and one over ::1 chat directly', function () {
  this.timeout(30_000);
  const pool = useProcessPool('chatapp-e2e-mixed-');

  it('alice (127.0.0.1) and bob (::1) exchange direct messages both ways, each ACKed, and whois shows the same fingerprint on both sides', async () => {
    const port = await freeUdpPort();
    const server = pool.start(['-s', String(port)]);
    await server.linesAfter(0, 1);
    const alice = pool.start(['-c', 'alice', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await alice.waitFor('>>> [Welcome, You are registered.]');
    const bob = pool.start(['-c', 'bob', '::1', String(port), String(await freeUdpPort())]);
    await bob.waitFor('>>> [Welcome, You are registered.]');
    // Both tables list both (alice gets the update with bob's row).
    const until = Date.now() + 5000;
    while (Date.now() < until && alice.lines.filter((l) => l === '>>> [Client table updated.]').length < 2) await new Promise((r) => setTimeout(r, 50));
    alice.type('send bob hello over IPv4 to IPv6');
    await bob.waitFor('>>> alice: hello over IPv4 to IPv6');
    await alice.waitFor('>>> [Message received by bob.]');
    bob.type('send alice and back from ::1');
    await alice.waitFor('>>> bob: and back from ::1');
    await bob.waitFor('>>> [Message received by alice.]');
    expect([...alice.lines, ...bob.lines].filter((l) => l.includes('No ACK') || l.includes('exists!!'))).to.deep.equal([]);
    alice.type('whois bob');
    bob.type('whois bob');
    const fromAlice = alice.lines.length;
    const fromBob = bob.lines.length;
    const pattern = /^>>> \[bob: key fingerprint ([0-9a-f ]{39})\]$/;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(alice.lines.slice(fromAlice - 1).some((l) => pattern.test(l)) && bob.lines.slice(fromBob - 1).some((l) => pattern.test(l)))) await new Promise((r) => setTimeout(r, 50));
    const a = alice.lines.find((l) => pattern.test(l));
    const b = bob.lines.find((l) => pattern.test(l));
    expect(a, 'alice printed bob\'s fingerprint').to.be.a('string');
    expect(a).to.equal(b);
  });
});
