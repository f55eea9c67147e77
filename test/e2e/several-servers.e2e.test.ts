import { expect } from 'chai';
import { runTestCaseOne, runTestCaseThree, typeAndRead } from '../support/assignment-cases';
import { useProcessPool, type ChatAppProcess } from '../support/chatapp-process';
import { uniquePrefix, useRedisServer } from '../support/redis-server';
import { registeredClient, startInstances } from '../support/cluster-instances';

const WELCOME = '>>> [Welcome, You are registered.]';
const TABLE = '>>> [Client table updated.]';

/**
 * SPEC §7 "Several servers" through real processes: two `chatapp -s --redis` instances on one
 * Redis (a redis-server of the test's own, AOF always) form one system; clients on both.
 */
describe('e2e: two server instances over one Redis', function () {
  this.timeout(60_000);
  const redis = useRedisServer();
  const run = useProcessPool('chatapp-e2e-cluster-');
  let prefix: string;
  let ports: number[];
  let instances: ChatAppProcess[];

  beforeEach(async () => {
    prefix = uniquePrefix('e2e-cluster');
    ({ ports, instances } = await startInstances(run, redis, prefix, '127.0.0.1'));
  });

  const client = (name: string, port: number): Promise<ChatAppProcess> => registeredClient(run, name, port);

  /** Clients go to the instances in turn: x on the first, y on the second, z on the first. */
  function placer(): (name: string) => Promise<ChatAppProcess> {
    let next = 0;
    return (name) => client(name, ports[next++ % ports.length]!);
  }

  it('test case 1 across the instances: the same lines as with one server', async () => {
    await runTestCaseOne(placer());
    for (const instance of instances) expect(instance.exitCode, 'an instance exited').to.equal(undefined);
  });

  it('test case 3 across the instances: x on the first, y on the second, z on the first', async () => {
    await runTestCaseThree(placer());
  });

  it('test case 2 with the second instance alive: x moves to it instead of exiting, and y gets the message from it', async () => {
    const x = await client('x', ports[0]!);
    const y = await client('y', ports[0]!);
    await x.waitFor(TABLE);
    const xTables = x.lines.filter((l) => l === TABLE).length;
    expect(await typeAndRead(y, 'dereg y', 1)).to.deep.equal(['>>> [You are Offline. Bye.]']);
    // x has learnt that y is offline (so its send goes to the server) before the instance dies.
    for (const end = Date.now() + 10_000; x.lines.filter((l) => l === TABLE).length === xTables; ) {
      if (Date.now() > end) throw new Error('x never learnt that y went offline');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await instances[0]!.kill('SIGKILL');
    const started = Date.now();
    const mark = x.lines.length;
    x.type('send y are you there');
    await x.waitFor('>>> [Messages received by the server and saved]');
    // The survivor may take x over during x's five tries (its lease runs out first) and push it
    // the table, whose line may come in between: the lines of the command are these three.
    expect(x.lines.slice(mark).filter((l) => l !== TABLE)).to.deep.equal([
      '>>> [No ACK from y, message sent to server.]',
      `>>> [Server 127.0.0.1:${ports[0]} not responding; now using 127.0.0.1:${ports[1]}.]`,
      '>>> [Messages received by the server and saved]',
    ]);
    expect(Date.now() - started, 'the five tries at the killed instance, then the move').to.be.within(2_400, 6_000);
    expect(x.exitCode).to.equal(undefined);
    // y's instance is gone too: its reg moves, then goes on as any registration does.
    const back = await typeAndRead(y, 'reg y', 5);
    expect(back.slice(0, 4)).to.deep.equal([
      `>>> [Server 127.0.0.1:${ports[0]} not responding; now using 127.0.0.1:${ports[1]}.]`,
      WELCOME,
      TABLE,
      '>>> [You have messages]',
    ]);
    expect(back[4]).to.match(/^>>> x: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} are you there$/);
  });

  it('an instance killed: the survivor takes its clients over within seconds and pushes them the table', async () => {
    const x = await client('x', ports[0]!);
    const y = await client('y', ports[1]!);
    await x.waitFor(TABLE);
    await instances[0]!.kill('SIGKILL');
    // The lease of the killed instance runs out (3 s), the survivor takes x over, probes it and
    // sends it the table; x then hears of z through the survivor without having typed anything.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const mark = x.lines.length;
    await client('z', ports[1]!);
    expect(await x.linesAfter(mark, 1)).to.deep.equal([TABLE]);
    expect(await typeAndRead(x, 'send_all hello', 2)).to.deep.equal([
      `>>> [Server 127.0.0.1:${ports[0]} not responding; now using 127.0.0.1:${ports[1]}.]`,
      '>>> [Message received by Server.]',
    ]);
    await y.waitFor('>>> [Channel_Message x: hello]');
  });

  it('an instance stopped (SIGTERM) says so: its client moves at once, and its next send_all is answered without a wait', async () => {
    const x = await client('x', ports[0]!);
    const y = await client('y', ports[1]!);
    await x.waitFor(TABLE);
    const mark = x.lines.length;
    const stopped = Date.now();
    await instances[0]!.kill('SIGTERM');
    const moved = `>>> [Server 127.0.0.1:${ports[0]} stopped; now using 127.0.0.1:${ports[1]}.]`;
    await x.waitFor(moved);
    expect(Date.now() - stopped, 'told by the instance as it stopped, not after five silent tries').to.be.below(1_500);
    expect(x.lines.slice(mark).filter((l) => l !== TABLE)).to.deep.equal([moved]);
    const asked = Date.now();
    expect(await typeAndRead(x, 'send_all still here', 1)).to.deep.equal(['>>> [Message received by Server.]']);
    expect(Date.now() - asked).to.be.below(1_000);
    await y.waitFor('>>> [Channel_Message x: still here]');
  });
});
