import { expect } from 'chai';
import { scenarioTestCaseOne, scenarioTestCaseThree, type StartClient } from '../support/assignment-scenarios';
import { InMemorySecretStore } from '../../src/adapters/in-memory/in-memory-secret-store';
import { SERVER_PORT, Scenario, type ServerNode, type SharedSystem } from '../support/scenario';

/**
 * SPEC §7 "Several servers": instances of one system in one process (the in-memory network,
 * and the in-memory adapters of the shared table, membership, mailboxes and channel log),
 * clients spread over them. The assignment's lines are the same however many instances.
 */
describe('scenario: several server instances form one system', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  /** Start `count` instances of one system; clients are placed on them in turn (x on the first, y on the second, ...). */
  async function system(count: number, options: { settled?: boolean } = {}): Promise<{ start: StartClient; shared: SharedSystem; ports: number[]; servers: ServerNode[] }> {
    s = new Scenario();
    const shared = s.newSystem();
    const ports = Array.from({ length: count }, (_, i) => SERVER_PORT + i);
    const servers: ServerNode[] = [];
    for (const port of ports) servers.push(await s.startServer({ port, system: shared }));
    // The first instances learn of the later ones at their next heartbeat (within a second), so
    // clients registering after that are told of every instance in their welcome.
    if (options.settled) await s.run(1500);
    let next = 0;
    return { shared, ports, servers, start: (name) => s.startClient(name, { server: ports[next++ % count]! }) };
  }

  for (const count of [1, 2, 3]) {
    it(`test case 1 with clients over ${count} instance(s): the same lines as with one server`, async () => {
      const { start } = await system(count);
      await scenarioTestCaseOne(s, start);
    });

    it(`test case 3 with clients over ${count} instance(s): the same lines as with one server`, async () => {
      const { start } = await system(count);
      await scenarioTestCaseThree(s, start);
    });
  }

  it('a name is owned once in the whole system: the same name on two instances at once, one wins', async () => {
    s = new Scenario();
    const shared = s.newSystem();
    await s.startServer({ port: SERVER_PORT, system: shared });
    await s.startServer({ port: SERVER_PORT + 1, system: shared });
    const first = s.startClient('alice', { server: SERVER_PORT, settle: false });
    const second = s.startClient('alice', { server: SERVER_PORT + 1, settle: false });
    await s.run(200);
    const [a, b] = await Promise.all([first, second]);
    const welcomed = [a, b].filter((c) => c.lines[0] === '>>> [Welcome, You are registered.]');
    const refused = [a, b].filter((c) => c.lines[0] === '>>> [Error: the name alice is in use by an online client; choose another name.]');
    expect([welcomed.length, refused.length], `${a.lines.join('|')} / ${b.lines.join('|')}`).to.deep.equal([1, 1]);
  });

  it('dereg on one instance, messages stored through another, reg on a third: delivered in the order stored', async () => {
    const { ports } = await system(3);
    const secrets = new InMemorySecretStore();
    const alice = await s.startClient('alice', { server: ports[0]!, secrets });
    const bob = await s.startClient('bob', { server: ports[1]! });
    const carol = await s.startClient('carol', { server: ports[2]! });
    expect(await s.say(alice, 'dereg alice')).to.deep.equal(['>>> [You are Offline. Bye.]']);
    await s.say(bob, 'send alice one');
    await s.run(1000);
    await s.say(carol, 'send alice two');
    await s.run(1000);
    await s.say(bob, 'send alice three');
    const back = await s.startClient('alice', { server: ports[2]!, secrets });
    expect(back.lines.slice(2)).to.deep.equal([
      '>>> [You have messages]',
      '>>> bob: 2026-11-23 12:00:00 one',
      '>>> carol: 2026-11-23 12:00:01 two',
      '>>> bob: 2026-11-23 12:00:02 three',
    ]);
  });

  it('test case 2 with a second instance alive: the client moves to it instead of exiting, and the save is kept', async () => {
    const { servers: [a] } = await system(2, { settled: true });
    const x = await s.startClient('x', { server: SERVER_PORT });
    const ySecrets = new InMemorySecretStore();
    const y = await s.startClient('y', { server: SERVER_PORT, secrets: ySecrets });
    expect(await s.say(y, 'dereg y')).to.deep.equal(['>>> [You are Offline. Bye.]']);
    await a.silence();
    expect(await s.say(x, 'send y are you there', 5000)).to.deep.equal([
      '>>> [No ACK from y, message sent to server.]',
      `>>> [Server 127.0.0.1:${SERVER_PORT} not responding; now using 127.0.0.1:${SERVER_PORT + 1}.]`,
      '>>> [Messages received by the server and saved]',
    ]);
    expect(x.exitCode).to.equal(undefined);
    // y comes back (to the live instance) and gets it.
    const back = await s.startClient('y', { server: SERVER_PORT + 1, secrets: ySecrets });
    expect(back.lines.slice(2)).to.deep.equal(['>>> [You have messages]', '>>> x: 2026-11-23 12:00:04 are you there']);
  });

  it('an instance that stops says so: its clients move to another at once, and their next request goes there without a wait', async () => {
    const { servers: [a] } = await system(2, { settled: true });
    const x = await s.startClient('x', { server: SERVER_PORT });
    const y = await s.startClient('y', { server: SERVER_PORT + 1 });
    const xm = x.lines.length;
    const stopped = s.settle(a.server.stop());
    await s.run(100);
    expect(x.view.since(xm)).to.deep.equal([`>>> [Server 127.0.0.1:${SERVER_PORT} stopped; now using 127.0.0.1:${SERVER_PORT + 1}.]`]);
    await stopped;
    // Answered by B at once: not five silent tries at A first (2.5 s).
    expect(await s.say(x, 'send_all still here', 50)).to.deep.equal(['>>> [Message received by Server.]']);
    expect(y.lines.at(-1)).to.equal('>>> [Channel_Message x: still here]');
    // B took x over from A: a newcomer's registration reaches x through B.
    const later = x.lines.length;
    await s.startClient('z', { server: SERVER_PORT + 1 });
    expect(x.view.since(later)).to.deep.equal(['>>> [Client table updated.]']);
  });

  it('a silent instance\'s clients are taken over: the survivor pushes them the table, and their next request moves to it', async () => {
    const { servers: [a] } = await system(2, { settled: true });
    const x = await s.startClient('x', { server: SERVER_PORT });
    const y = await s.startClient('y', { server: SERVER_PORT + 1 });
    await a.silence();
    // Within a few heartbeats the survivor took x over; a newcomer's registration reaches x through it.
    await s.run(4000);
    const xm = x.lines.length;
    await s.startClient('z', { server: SERVER_PORT + 1 });
    expect(x.view.since(xm)).to.deep.equal(['>>> [Client table updated.]']);
    expect(await s.say(x, 'send_all still here', 5000)).to.deep.equal([
      `>>> [Server 127.0.0.1:${SERVER_PORT} not responding; now using 127.0.0.1:${SERVER_PORT + 1}.]`,
      '>>> [Message received by Server.]',
    ]);
    expect(y.lines.at(-1)).to.equal('>>> [Channel_Message x: still here]');
  });

  it('an instance stopped before its channel push reached a member of another instance: the survivor delivers the stored copy now, not at the next log-in', async () => {
    const { servers: [a] } = await system(2, { settled: true });
    const x = await s.startClient('x', { server: SERVER_PORT });
    const y = await s.startClient('y', { server: SERVER_PORT + 1 });
    const yRow = x.client.tableRows().find((r) => r.name === 'y')!;
    // A's pushes to y are lost: the message stays owed to y in the shared channel log when A stops.
    s.network.partitionOneWay({ ip: '127.0.0.1', port: SERVER_PORT }, { ip: yRow.ip, port: yRow.port });
    expect(await s.say(x, 'send_all while A goes', 200)).to.deep.equal(['>>> [Message received by Server.]']);
    await s.settle(a.server.stop());
    s.network.heal();
    // B takes x over within a few heartbeats and hands what A still owed to the mailboxes; y,
    // online on B all along, must not wait for a log-in to see it.
    await s.run(6000);
    expect(y.lines.filter((l) => l.includes('while A goes'))).to.have.length(1);
  });

  it('an instance stopped with no client left on it still has its owed channel pushes handed over', async () => {
    const { servers: [a] } = await system(2, { settled: true });
    const secrets = new InMemorySecretStore();
    const x = await s.startClient('x', { server: SERVER_PORT, secrets });
    const y = await s.startClient('y', { server: SERVER_PORT + 1 });
    const yRow = x.client.tableRows().find((r) => r.name === 'y')!;
    s.network.partitionOneWay({ ip: '127.0.0.1', port: SERVER_PORT }, { ip: yRow.ip, port: yRow.port });
    expect(await s.say(x, 'send_all nobody left on A', 200)).to.deep.equal(['>>> [Message received by Server.]']);
    // Its only client moves to B (as clients move to an instance restarted on the same port):
    // the survivor takes over no client from A, but A's push to y is still owed.
    expect(await s.say(x, 'dereg x', 200)).to.deep.equal(['>>> [You are Offline. Bye.]']);
    await x.client.stop();
    await s.startClient('x', { server: SERVER_PORT + 1, secrets });
    await a.server.stop();
    s.network.heal();
    await s.run(6000);
    expect(y.lines.filter((l) => l.includes('nobody left on A'))).to.have.length(1);
  });

  it('a takeover hands over only what dead instances owe: a live instance still pushing its channel message delivers it live, never as a stored copy', async () => {
    const { servers: [, , c] } = await system(3, { settled: true });
    const y = await s.startClient('y', { server: SERVER_PORT });
    const z = await s.startClient('z', { server: SERVER_PORT + 1 });
    const yRow = z.client.tableRows().find((r) => r.name === 'y')!;
    // B's pushes to y are lost for a while: its message stays owed in the shared log meanwhile.
    s.network.partitionOneWay({ ip: '127.0.0.1', port: SERVER_PORT + 1 }, { ip: yRow.ip, port: yRow.port });
    expect(await s.say(z, 'send_all from a live instance', 100)).to.deep.equal(['>>> [Message received by Server.]']);
    // C, with no client, stops; another instance takes it over while B is still trying y.
    await c!.server.stop();
    await s.run(1500);
    s.network.heal();
    await s.run(6000);
    expect(y.lines.filter((l) => l.includes('from a live instance'))).to.deep.equal(['>>> [Channel_Message z: from a live instance]']);
    expect(y.lines).to.not.include('>>> [You have messages]');
  });
});
