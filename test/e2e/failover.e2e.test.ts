import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNewServerKey } from '../../src/adapters/fs/server-key-file';
import { ChatAppProcess, freeUdpPort, useProcessPool } from '../support/chatapp-process';

const WELCOME = '>>> [Welcome, You are registered.]';
const TABLE = '>>> [Client table updated.]';

/** SPEC §7 "Several servers", the client's side, through real processes over UDP on 127.0.0.1. */
describe('e2e: a client moves to another server instance when its own is killed', function () {
  this.timeout(30_000);

  const pool = useProcessPool();
  // A and B share one key, as the instances of one system do: the client trusts B for holding the key it pinned for A.
  let keyFile: string;
  before(() => {
    keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-failover-key-')), 'server.key');
    writeNewServerKey(keyFile);
  });
  after(() => fs.rmSync(path.dirname(keyFile), { recursive: true, force: true }));

  async function server(): Promise<{ proc: ChatAppProcess; port: number }> {
    const port = await freeUdpPort();
    const proc = pool.start(['-s', String(port), '--server-key', keyFile]);
    const [line] = await proc.linesAfter(0, 1);
    expect(line).to.match(/^>>> \[Server listening on .*127\.0\.0\.1:\d+.*\]$/);
    return { proc, port };
  }

  async function next(proc: ChatAppProcess, action: () => void, count: number): Promise<string[]> {
    const mark = proc.lines.length;
    action();
    return proc.linesAfter(mark, count);
  }

  /** Servers A and B, and client x registered on A and told of B, its registration complete. */
  async function twoServersAndClient(): Promise<{ a: { proc: ChatAppProcess; port: number }; b: { proc: ChatAppProcess; port: number }; x: ChatAppProcess }> {
    const a = await server();
    const b = await server();
    const x = pool.start(['-c', 'x', '127.0.0.1', String(a.port), String(await freeUdpPort()), '--servers', `127.0.0.1:${b.port}`]);
    expect(await x.linesAfter(0, 2)).to.deep.equal([WELCOME, TABLE]);
    // The table line can arrive just before the ACK of x's confirm: killed in between, A would
    // leave the move to the confirm (tested in the scenarios), not to the command under test.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { a, b, x };
  }

  it('send_all after SIGKILL of its server: the failover line, then the other server ACKs; dereg goes there too', async () => {
    const { a, b, x } = await twoServersAndClient();
    await a.proc.kill('SIGKILL');
    const started = Date.now();
    // B's table holds x alone, as A's did: no table line.
    expect(await next(x, () => x.type('send_all hi'), 2)).to.deep.equal([
      `>>> [Server 127.0.0.1:${a.port} not responding; now using 127.0.0.1:${b.port}.]`,
      '>>> [Message received by Server.]',
    ]);
    expect(Date.now() - started).to.be.within(2400, 6000);
    expect(await next(x, () => x.type('dereg x'), 1)).to.deep.equal(['>>> [You are Offline. Bye.]']);
    x.endInput();
    expect(await x.waitForExit()).to.equal(0);
    expect(x.lines.filter((l) => l.includes('not responding'))).to.have.length(1);
  });

  it('both servers gone: [Server not responding] and [Exiting] after trying each, exit status 1', async () => {
    const { a, b, x } = await twoServersAndClient();
    await a.proc.kill('SIGKILL');
    await b.proc.kill('SIGKILL');
    const started = Date.now();
    expect(await next(x, () => x.type('dereg x'), 2)).to.deep.equal(['>>> [Server not responding]', '>>> [Exiting]']);
    expect(Date.now() - started).to.be.within(4900, 9000);
    expect(await x.waitForExit()).to.equal(1);
  });

  it('a malformed --servers is a usage error: one line, exit status 2', async () => {
    const x = pool.start(['-c', 'x', '127.0.0.1', '5000', String(await freeUdpPort()), '--servers', '127.0.0.1']);
    expect(await x.waitForExit()).to.equal(2);
    expect([...x.lines, ...x.stderr].join('\n')).to.include('invalid --servers entry "127.0.0.1"');
  });
});
