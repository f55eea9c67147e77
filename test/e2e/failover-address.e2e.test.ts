import { expect } from 'chai';
import { useProcessPool, type ChatAppProcess } from '../support/chatapp-process';
import { registeredClient, startInstances } from '../support/cluster-instances';
import { uniquePrefix, useRedisServer } from '../support/redis-server';

const TABLE = '>>> [Client table updated.]';

/**
 * A client that reached its instance at one address of the host and moves to an instance
 * advertised at another (by default instances advertise the host's LAN address, while a client
 * on the same host may use 127.0.0.1): its datagrams then come from another source address. The
 * survivor must take the moving session, which its old address would still answer a probe for.
 * Here the instances advertise ::1 and the clients start with 127.0.0.1.
 */
describe('e2e: a client moves to an instance advertised at another address of its host', function () {
  this.timeout(60_000);
  const redis = useRedisServer();
  const run = useProcessPool('chatapp-e2e-move-');
  let ports: number[];
  let instances: ChatAppProcess[];

  beforeEach(async () => {
    ({ ports, instances } = await startInstances(run, redis, uniquePrefix('e2e-move'), '::1'));
  });

  const client = (name: string, port: number): Promise<ChatAppProcess> => registeredClient(run, name, port);

  it('x (127.0.0.1) loses its instance; its send_all moves to the other at [::1] and is ACKed, and y gets it', async () => {
    const x = await client('x', ports[0]!);
    const y = await client('y', ports[1]!);
    await instances[0]!.kill('SIGKILL');
    const mark = x.lines.length;
    const typed = Date.now();
    x.type('send_all moved across addresses');
    await y.waitFor('>>> [Channel_Message x: moved across addresses]', 10_000);
    await x.waitFor('>>> [Message received by Server.]', 10_000);
    const said = x.lines.slice(mark).filter((l) => l !== TABLE);
    expect(said, said.join('\n')).to.deep.equal([`>>> [Server 127.0.0.1:${ports[0]} not responding; now using [::1]:${ports[1]}.]`, '>>> [Message received by Server.]']);
    expect(x.exitCode).to.equal(undefined);
    // Five tries at the killed instance, then straight to the other: not to the killed one again
    // under the address it advertised (the first of its list), which would cost 2.5 s more.
    expect(Date.now() - typed).to.be.within(2_400, 4_500);
  });
});
