import { expect } from 'chai';
import { runTestCaseOne } from '../support/assignment-cases';
import { freeUdpPort, useProcessPool, type ChatAppProcess } from '../support/chatapp-process';
import { uniquePrefix, useRedisServer } from '../support/redis-server';

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
    ports = [await freeUdpPort(), await freeUdpPort()];
    instances = [];
    for (const port of ports) {
      const proc = run.start(['-s', String(port), '--redis', redis.server().url, '--redis-prefix', prefix, '--advertise', '127.0.0.1']);
      await proc.linesAfter(0, 1);
      instances.push(proc);
    }
  });

  /** Clients go to the instances in turn: x on the first, y on the second, z on the first. */
  function placer(): (name: string) => Promise<ChatAppProcess> {
    let next = 0;
    return async (name) => {
      const port = ports[next++ % ports.length]!;
      const proc = run.start(['-c', name, '127.0.0.1', String(port), String(await freeUdpPort())]);
      expect(await proc.linesAfter(0, 2)).to.deep.equal([WELCOME, TABLE]);
      return proc;
    };
  }

  it('test case 1 across the instances: the same lines as with one server', async () => {
    await runTestCaseOne(placer());
    for (const instance of instances) expect(instance.exitCode, 'an instance exited').to.equal(undefined);
  });
});
