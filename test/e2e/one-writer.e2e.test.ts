import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatAppProcess, freeUdpPort } from '../support/chatapp-process';

const LISTENING = /^>>> \[Server listening on .*\]$/;

/** Every entry under `root` with its type, size, mtime and content digest, to compare before/after. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(e.parentPath, e.name);
    const st = fs.statSync(full);
    const digest = e.isFile() ? createHash('sha256').update(fs.readFileSync(full)).digest('hex').slice(0, 16) : 'dir';
    out[path.relative(root, full)] = `${digest} ${st.size} ${st.mtimeMs} ${st.ino}`;
  }
  return out;
}

/**
 * SPEC §5 "Two servers never share one data directory" (issue 4 "One writer"), with real
 * processes: a second server on the same data is refused, with status 1 and one clear line,
 * and touches nothing; a lock left by a server killed with SIGKILL does not block a restart.
 */
describe('e2e: one writer per server data directory', function () {
  this.timeout(30_000);
  let base: string;
  let processes: ChatAppProcess[];

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-one-writer-'));
    processes = [];
  });
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    fs.rmSync(base, { recursive: true, force: true });
  });

  function server(port: number): ChatAppProcess {
    const p = new ChatAppProcess(['-s', String(port), '--data-dir', base]);
    processes.push(p);
    return p;
  }

  async function running(port: number): Promise<ChatAppProcess> {
    const p = server(port);
    expect((await p.linesAfter(0, 1))[0]).to.match(LISTENING);
    return p;
  }

  function lockPid(port: number): number {
    return Number(fs.readFileSync(path.join(base, `server-${port}`, 'chatapp.lock'), 'ascii').trim());
  }

  it('a second server on the same data exits with status 1 and a clear line, touching nothing', async () => {
    const port = await freeUdpPort();
    const first = await running(port);
    const client = new ChatAppProcess(['-c', 'alice', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', base]);
    processes.push(client);
    await client.waitFor('>>> [Welcome, You are registered.]');
    await client.waitFor('>>> [Client table updated.]');
    // Let the first server finish writing what the registration made it write.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = snapshot(base);
    expect(Object.keys(before)).to.include.members([`server-${port}/chatapp.lock`, `server-${port}/registry.log`]);

    const second = server(port);
    expect(await second.waitForExit()).to.equal(1);
    expect(second.lines).to.deep.equal([
      `>>> [Error: another ChatApp server (pid ${first.pid}) is using ${path.join(base, `server-${port}`)}; stop it or use another --data-dir.]`,
    ]);
    expect(second.stderr.join('')).to.equal('');
    expect(snapshot(base), 'files, sizes, mtimes and contents under the data directory').to.deep.equal(before);

    // The first server is unharmed: it still holds the lock and serves.
    expect(first.exitCode).to.equal(undefined);
    expect(lockPid(port)).to.equal(first.pid);
    const mark = client.lines.length;
    client.type('send_all still here');
    expect(await client.waitFor('>>> [Message received by Server.]')).to.be.at.least(mark);
  });

  it('a lock left by a server killed with SIGKILL does not block the restart, which keeps the registry', async () => {
    const port = await freeUdpPort();
    const killed = await running(port);
    const client = new ChatAppProcess(['-c', 'bob', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', base]);
    processes.push(client);
    await client.waitFor('>>> [Client table updated.]');
    expect(await killed.kill('SIGKILL')).to.equal(null);
    expect(lockPid(port), 'the stale lock names the dead server').to.equal(killed.pid);

    const restarted = await running(port);
    expect(lockPid(port)).to.equal(restarted.pid);
    // The restarted server knows bob (registry) and serves him under his session.
    const mark = client.lines.length;
    client.type('send_all after the restart');
    expect(await client.waitFor('>>> [Message received by Server.]')).to.be.at.least(mark);
    expect(client.lines.slice(mark)).to.not.include('>>> [Server not responding.]');

    expect(await restarted.kill('SIGTERM')).to.equal(0);
    expect(fs.existsSync(path.join(base, `server-${port}`, 'chatapp.lock')), 'a clean stop releases the lock').to.equal(false);
  });
});
