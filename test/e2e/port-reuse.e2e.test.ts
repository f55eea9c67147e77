import { expect } from 'chai';
import { ChatAppProcess, freeUdpPort, useProcessPool } from '../support/chatapp-process';

const WELCOME = '>>> [Welcome, You are registered.]';
const TABLE = '>>> [Client table updated.]';

/**
 * Section A of the review, as a class hit it: alice is killed (a silent leave), bob starts on
 * her port, carol registers and writes to alice. The server stays up, bob is never shown a
 * message meant for alice, and the message is stored for her.
 */
describe('e2e: a port reused by another name after a silent leave', function () {
  this.timeout(60_000);

  const pool = useProcessPool();
  const start = (args: string[]): ChatAppProcess => pool.start(args);

  async function until(condition: () => boolean, waitMs = 10_000): Promise<void> {
    for (const end = Date.now() + waitMs; !condition(); ) {
      if (Date.now() > end) throw new Error('timed out waiting for a condition');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function client(name: string, serverPort: number, port: number): Promise<ChatAppProcess> {
    const proc = start(['-c', name, '127.0.0.1', String(serverPort), String(port)]);
    expect(await proc.linesAfter(0, 2)).to.deep.equal([WELCOME, TABLE]);
    return proc;
  }

  it('the server stays up, nothing meant for the gone client is shown to the newcomer, and it is stored', async () => {
    const serverPort = await freeUdpPort();
    const server = start(['-s', String(serverPort)]);
    await server.linesAfter(0, 1);
    const port = await freeUdpPort();
    const alice = await client('alice', serverPort, port);
    await alice.kill('SIGKILL');
    const bob = await client('bob', serverPort, port);
    const carol = await client('carol', serverPort, await freeUdpPort());

    let mark = carol.lines.length;
    carol.type('send alice secret');
    await carol.waitFor('>>> [Messages received by the server and saved]');
    expect(carol.lines.slice(mark, mark + 1)).to.deep.equal(['>>> [No ACK from alice, message sent to server.]']);

    mark = carol.lines.length;
    carol.type('send_all hello all');
    await carol.waitFor('>>> [Message received by Server.]');
    await bob.waitFor('>>> [Channel_Message carol: hello all]');

    // Past every retry round of the table pushes that once crashed the server (about 12 s).
    await new Promise((resolve) => setTimeout(resolve, 13_000));
    const bobTables = bob.lines.filter((l) => l === TABLE).length;
    const dave = await client('dave', serverPort, await freeUdpPort());
    // bob has learnt of dave (the table push reached it) before dave writes: on a loaded machine
    // the push may otherwise still be on its way after dave's five tries, which is not the
    // behaviour under test here.
    await until(() => bob.lines.filter((l) => l === TABLE).length > bobTables);
    mark = dave.lines.length;
    dave.type('send bob are you there');
    expect(await dave.linesAfter(mark, 1)).to.deep.equal(['>>> [Message received by bob.]']);
    expect(server.exitCode, 'the server exited').to.equal(undefined);
    expect(bob.lines.filter((l) => l.includes('secret')), 'shown to the newcomer').to.deep.equal([]);

    // alice comes back (same data directory, so the same name secret) and gets her message.
    const back = start(['-c', 'alice', '127.0.0.1', String(serverPort), String(await freeUdpPort())]);
    await back.waitFor('>>> [You have messages]');
    const stored = await back.linesAfter(back.lines.indexOf('>>> [You have messages]') + 1, 1);
    expect(stored[0]).to.match(/^>>> carol: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} secret$/);
  });
});
