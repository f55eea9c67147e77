import { expect } from 'chai';
import path from 'node:path';
import { writeNewServerKey } from '../../src/adapters/fs/server-key-file';
import { ChatAppProcess, freeUdpPort, useProcessPool } from '../support/chatapp-process';

/**
 * A server restarted on the same port with an empty data directory does not know the
 * sessions of the clients still running. With its key kept (`--server-key`), it tells them so;
 * each registers again and its command goes through, instead of ending with [Server not
 * responding]. With a new key, the clients refuse it: they pinned the old one.
 */
describe('e2e: a server restarted on an empty data directory', function () {
  this.timeout(30_000);
  const pool = useProcessPool('chatapp-lost-');

  it('its online clients register again and their next commands are served', async () => {
    const port = await freeUdpPort();
    // The key outside the data directories: the server's identity survives the loss of its data.
    const keyFile = path.join(pool.dataDir, 'server.key');
    writeNewServerKey(keyFile);
    const start = (dir: string): ChatAppProcess => {
      const server = pool.spawn(['-s', String(port), '--data-dir', path.join(pool.dataDir, dir), '--server-key', keyFile]);
      return server;
    };
    const first = start('first');
    await first.linesAfter(0, 1);
    const clients = path.join(pool.dataDir, 'clients');
    const x = pool.spawn(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', clients]);
    const y = pool.spawn(['-c', 'y', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', clients]);
    await x.waitFor('>>> [Welcome, You are registered.]');
    await y.waitFor('>>> [Welcome, You are registered.]');
    expect(await first.kill('SIGTERM')).to.equal(0);
    const second = start('second');
    await second.linesAfter(0, 1);

    const ySeen = y.lines.length;
    y.type('send_all after the restart');
    await y.waitFor('>>> [Message received by Server.]');
    expect(y.lines.slice(ySeen)).to.include.members(['>>> [The server no longer knew this session; registering again as y.]', '>>> [Welcome, You are registered.]']);
    const xSeen = x.lines.length;
    x.type('dereg x');
    await x.waitFor('>>> [You are Offline. Bye.]');
    expect(x.lines.slice(xSeen)).to.include('>>> [The server no longer knew this session; registering again as x.]');
    for (const c of [x, y]) {
      expect(c.lines).to.not.include('>>> [Server not responding]');
      expect(c.exitCode).to.equal(undefined);
    }
  });

  it('a server that comes back with another key is refused with the documented line, until the client accepts it on purpose', async () => {
    const port = await freeUdpPort();
    const first = pool.spawn(['-s', String(port), '--data-dir', path.join(pool.dataDir, 'one')]);
    await first.linesAfter(0, 1);
    const clients = path.join(pool.dataDir, 'clients');
    const x = pool.spawn(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', clients]);
    await x.waitFor('>>> [Client table updated.]');
    expect(await first.kill('SIGTERM')).to.equal(0);
    // Another data directory: another key, as a reinstalled server (or an impostor) has.
    const second = pool.spawn(['-s', String(port), '--data-dir', path.join(pool.dataDir, 'two')]);
    await second.linesAfter(0, 1);
    x.type('send_all are you the same server?');
    await x.waitFor('>>> [Server not responding.]');
    const refusal = x.lines.find((l) => l.startsWith('>>> [Error: the server at'));
    expect(refusal).to.match(/^>>> \[Error: the server at 127\.0\.0\.1:\d+ presented key [0-9a-f ]{39}, not the key pinned for it \([0-9a-f ]{39}\); nothing was sent to it\. If its operator changed its key on purpose, start again with --accept-server-key\.\]$/);
    expect(x.lines).to.not.include('>>> [Message received by Server.]');
    await x.kill('SIGTERM');
    // The user restarts the client refusing again, then accepting the new key on purpose.
    const again = pool.spawn(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', clients]);
    expect(await again.waitForExit()).to.equal(1);
    // One line: the refusal, not also that the server does not answer (it did, with another key).
    expect(again.lines).to.have.length(1);
    expect(again.lines[0]).to.match(/^>>> \[Error: the server at 127\.0\.0\.1:\d+ presented key .*--accept-server-key\.\]$/);
    const accepted = pool.spawn(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', clients, '--accept-server-key']);
    await accepted.waitFor('>>> [Client table updated.]');
    // The new key is pinned now: later starts need no flag.
    await accepted.kill('SIGTERM');
    const later = pool.spawn(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', clients]);
    await later.waitFor('>>> [Client table updated.]');
  });
});
