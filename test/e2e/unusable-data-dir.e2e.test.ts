import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { freeUdpPort, useProcessPool } from '../support/chatapp-process';

/**
 * A data directory that cannot be made (under a dangling symbolic link, under /proc) ends the
 * command at once with one line saying so and status 1. Node's `mkdir -p` retries such a path
 * forever: the process used to spin at full CPU, printing nothing.
 */
describe('e2e: a data directory that cannot be made', function () {
  this.timeout(30_000);
  const pool = useProcessPool('chatapp-e2e-dirs-');

  const dangling = (): string => {
    const link = path.join(pool.dataDir, 'dangling');
    fs.symlinkSync(path.join(pool.dataDir, 'unmounted-disk'), link);
    return path.join(link, 'chatapp');
  };

  it('a client under a dangling link: one line on stderr naming the folder and the flag, status 1', async () => {
    const dir = dangling();
    const client = pool.spawn(['-c', 'x', '127.0.0.1', String(await freeUdpPort()), String(await freeUdpPort()), '--data-dir', dir]);
    expect(await client.waitForExit(5000)).to.equal(1);
    expect(client.stderr.join('')).to.equal(`chatapp: cannot make the log folder ${path.join(dir, 'logs')} (ENOENT: no such file or directory, mkdir '${dir}'); give --data-dir a folder you can write\n`);
    expect(client.lines).to.deep.equal([]);
  });

  it('a server under /proc: the same, status 1', async () => {
    const client = pool.spawn(['-s', String(await freeUdpPort()), '--data-dir', '/proc/chatapp-not-here']);
    expect(await client.waitForExit(5000)).to.equal(1);
    expect(client.stderr.join('')).to.include('chatapp: cannot make the log folder /proc/chatapp-not-here/logs');
  });

  it('a client logging to stderr (--log-file -) under a dangling link: an error line, status 1', async () => {
    const client = pool.spawn(['-c', 'x', '127.0.0.1', String(await freeUdpPort()), String(await freeUdpPort()), '--data-dir', dangling(), '--log-file', '-']);
    expect(await client.waitForExit(5000)).to.equal(1);
    expect(client.lines.filter((l) => l.startsWith('>>> [Error: '))).to.have.length(1);
    expect(client.lines[0]).to.match(/^>>> \[Error: cannot start the client: ENOENT/);
  });

  it('a log file that is a folder: one line naming it and the flag, status 1 (winston said nothing)', async () => {
    const client = pool.start(['-c', 'x', '127.0.0.1', String(await freeUdpPort()), String(await freeUdpPort()), '--log-file', pool.dataDir]);
    expect(await client.waitForExit(5000)).to.equal(1);
    expect(client.stderr.join('')).to.equal(`chatapp: cannot write the log file ${pool.dataDir} (EISDIR: illegal operation on a directory, open '${pool.dataDir}'); give --log-file a file you can write\n`);
  });
});
