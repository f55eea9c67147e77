import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runTestCaseOne, runTestCaseThree } from '../support/assignment-cases';
import { ChatAppProcess, freeUdpPort, useProcessPool } from '../support/chatapp-process';
import { uniquePrefix, useRedisServer } from '../support/redis-server';

const WELCOME = '>>> [Welcome, You are registered.]';
const TABLE = '>>> [Client table updated.]';
const LISTENING = /^>>> \[Server listening on .*127\.0\.0\.1:\d+.*\]$/;
const STAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

async function next(proc: ChatAppProcess, action: () => void, count: number): Promise<string[]> {
  const mark = proc.lines.length;
  action();
  return proc.linesAfter(mark, count);
}

describe('e2e: chatapp -s --redis keeps its stores in Redis', function () {
  this.timeout(40_000);
  const redis = useRedisServer();
  const run = useProcessPool('chatapp-e2e-redis-');
  /** Processes on a data directory of their own (another server's, another user's), killed after the test. */
  const elsewhere: ChatAppProcess[] = [];
  let prefix: string;
  afterEach(async () => {
    await Promise.all(elsewhere.splice(0).map((p) => p.kill('SIGKILL')));
  });

  function startIn(dir: string, args: string[]): ChatAppProcess {
    const p = new ChatAppProcess([...args, '--data-dir', dir]);
    elsewhere.push(p);
    return p;
  }

  beforeEach(() => {
    prefix = uniquePrefix('e2e');
  });

  async function server(port?: number, dataDir?: string): Promise<{ proc: ChatAppProcess; port: number }> {
    const p = port ?? (await freeUdpPort());
    const args = ['-s', String(p), '--redis', redis.server().url, '--redis-prefix', prefix, '--server-key', redis.server().serverKeyFile, '--advertise', '127.0.0.1'];
    const proc = dataDir ? startIn(dataDir, args) : run.start(args);
    const [line] = await proc.linesAfter(0, 1);
    expect(line).to.match(LISTENING);
    return { proc, port: p };
  }

  async function client(name: string, serverPort: number): Promise<ChatAppProcess> {
    const proc = run.start(['-c', name, '127.0.0.1', String(serverPort), String(await freeUdpPort())]);
    expect(await proc.linesAfter(0, 2)).to.deep.equal([WELCOME, TABLE]);
    return proc;
  }

  it('test case 1: three clients, six directions, dereg, offline messages, reg', async () => {
    const { port } = await server();
    await runTestCaseOne(
      (name) => client(name, port),
      // The stored messages are in Redis, one Stream entry each, not in the data directory.
      async () => {
        expect(await redis.client().xlen(`${prefix}mbox:x`)).to.equal(2);
      },
    );
  });

  it('test case 3: send_all from x; x sees the server ACK, y and z the channel message', async () => {
    const { port } = await server();
    await runTestCaseThree((name) => client(name, port));
  });

  it('a server killed with SIGKILL and restarted on the same Redis (another data directory) keeps the registry and stored messages', async () => {
    const first = await server();
    const x = await client('x', first.port);
    const y = await client('y', first.port);
    await x.linesAfter(2, 1);
    const ym = y.lines.length;
    expect(await next(x, () => x.type('dereg x'), 1)).to.deep.equal(['>>> [You are Offline. Bye.]']);
    expect(await y.linesAfter(ym, 1)).to.deep.equal([TABLE]);
    expect(await next(y, () => y.type('send x kept across the crash'), 2)).to.deep.equal(['>>> [No ACK from x, message sent to server.]', '>>> [Messages received by the server and saved]']);
    await first.proc.kill('SIGKILL');
    // Nothing to wait for: an instance holds no lease on the prefix, and its successor joins at once.
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-e2e-redis-other-'));
    try {
      await server(first.port, otherDir);
      // The registry came back: y's name is still owned, so a newcomer without y's secret is refused.
      const impostorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-e2e-redis-impostor-'));
      try {
        const impostor = startIn(impostorDir, ['-c', 'y', '127.0.0.1', String(first.port), String(await freeUdpPort())]);
        expect(await impostor.waitForExit()).to.equal(1);
        expect(impostor.lines.join('\n')).to.match(/Error: /);
        expect(impostor.lines).to.not.include(WELCOME);
      } finally {
        fs.rmSync(impostorDir, { recursive: true, force: true });
      }
      // And x, with its secret, logs back in and gets the message stored before the crash.
      const back = await next(x, () => x.type('reg x'), 4);
      expect(back.slice(0, 3)).to.deep.equal([WELCOME, TABLE, '>>> [You have messages]']);
      expect(/^>>> y: (.{19}) kept across the crash$/.exec(back[3]!)?.[1]).to.match(STAMP);
      // Removed once x ACKed it, which the server learns just after x printed it.
      const deadline = Date.now() + 5_000;
      while ((await redis.client().exists(`${prefix}mbox:x`)) === 1 && Date.now() < deadline) await sleep(50);
      expect(await redis.client().exists(`${prefix}mbox:x`)).to.equal(0);
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('Redis killed with SIGKILL and restarted: the server reconnects, keeps what it ACKed before and stores again after', async () => {
    const { port } = await server();
    const x = await client('x', port);
    const y = await client('y', port);
    await x.linesAfter(2, 1);
    const ym = y.lines.length;
    expect(await next(x, () => x.type('dereg x'), 1)).to.deep.equal(['>>> [You are Offline. Bye.]']);
    expect(await y.linesAfter(ym, 1)).to.deep.equal([TABLE]);
    const saved = ['>>> [No ACK from x, message sent to server.]', '>>> [Messages received by the server and saved]'];
    expect(await next(y, () => y.type('send x before the Redis crash'), 2)).to.deep.equal(saved);
    await redis.server().kill();
    await redis.server().restart();
    // The server's connection comes back on its own (retried every few tens of ms).
    expect(await next(y, () => y.type('send x after the Redis crash'), 2)).to.deep.equal(saved);
    const back = await next(x, () => x.type('reg x'), 5);
    expect(back.slice(0, 3)).to.deep.equal([WELCOME, TABLE, '>>> [You have messages]']);
    expect(back[3]).to.match(/^>>> y: .{19} before the Redis crash$/);
    expect(back[4]).to.match(/^>>> y: .{19} after the Redis crash$/);
    // The suite's own client reconnects too; later tests use it.
    while (redis.client().status !== 'ready') await sleep(20);
  });

  it('Redis restarted without its data: the server says so on one error line and exits with status 1', async () => {
    const { proc, port } = await server();
    await client('x', port);
    await redis.server().kill();
    // A Redis that lost its disk: its append-only files are gone.
    for (const entry of fs.readdirSync(redis.server().dir)) {
      if (entry.startsWith('appendonly')) fs.rmSync(path.join(redis.server().dir, entry), { recursive: true, force: true });
    }
    await redis.server().restart();
    // Noticed by the next lease renewal (every third of the 10 s lease).
    expect(await proc.waitForExit(15_000)).to.equal(1);
    expect(proc.lines.slice(1)).to.deep.equal([
      `>>> [Error: Redis at ${redis.server().url} lost its data (the shared table and its epoch are gone); stopping; start the server again.]`,
    ]);
    while (redis.client().status !== 'ready') await sleep(20);
  });

  it('a server whose Redis cannot be reached exits with status 1 and says so', async () => {
    const closed = await freeUdpPort();
    const proc = run.start(['-s', String(await freeUdpPort()), '--redis', `redis://127.0.0.1:${closed}`, '--server-key', redis.server().serverKeyFile]);
    expect(await proc.waitForExit()).to.equal(1);
    expect(proc.lines).to.deep.equal([`>>> [Error: cannot reach Redis at redis://127.0.0.1:${closed} (connect ECONNREFUSED 127.0.0.1:${closed}).]`]);
  });
});

describe('e2e: chatapp -s --redis against a Redis that may lose acknowledged writes', function () {
  this.timeout(30_000);
  const redis = useRedisServer({ appendonly: 'no', appendfsync: 'everysec' });
  const run = useProcessPool('chatapp-e2e-redis-');

  it('refuses to start: status 1 and an error line naming appendonly and appendfsync', async () => {
    const proc = run.start(['-s', String(await freeUdpPort()), '--redis', redis.server().url, '--redis-prefix', uniquePrefix('volatile'), '--server-key', redis.server().serverKeyFile]);
    expect(await proc.waitForExit()).to.equal(1);
    expect(proc.lines).to.have.length(1);
    expect(proc.lines[0]).to.match(/^>>> \[Error: Redis at redis:\/\/127\.0\.0\.1:\d+ may lose acknowledged messages: appendonly is no; it must be yes .*appendfsync is everysec; it must be always .*--allow-volatile-redis\.\]$/);
  });

  it('starts with --allow-volatile-redis (URL from CHATAPP_REDIS_URL), after a warning line, and serves clients', async () => {
    const port = await freeUdpPort();
    const proc = run.start(['-s', String(port), '--allow-volatile-redis', '--advertise', '127.0.0.1', '--redis-prefix', uniquePrefix('volatile'), '--server-key', redis.server().serverKeyFile], { CHATAPP_REDIS_URL: redis.server().url });
    const [warning, listening] = await proc.linesAfter(0, 2);
    expect(warning).to.match(/^>>> \[Warning: Redis at redis:\/\/127\.0\.0\.1:\d+ may lose acknowledged messages \(appendonly is no.*appendfsync is everysec.*\); started anyway because of --allow-volatile-redis\.\]$/);
    expect(listening).to.match(LISTENING);
    const x = run.start(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort())]);
    expect(await x.linesAfter(0, 2)).to.deep.equal([WELCOME, TABLE]);
  });
});
