import { expect } from 'chai';
import path from 'node:path';
import { ChatAppProcess, freeUdpPort, useProcessPool } from '../support/chatapp-process';

/**
 * A server restarted on the same port with an empty data directory does not know the
 * sessions of the clients still running. It tells them so; each registers again with its name
 * and secret and its command goes through, instead of ending with [Server not responding].
 */
describe('e2e: a server restarted on an empty data directory', function () {
  this.timeout(30_000);
  const pool = useProcessPool('chatapp-lost-');

  it('its online clients register again and their next commands are served', async () => {
    const port = await freeUdpPort();
    const start = (dir: string): ChatAppProcess => {
      const server = pool.spawn(['-s', String(port), '--data-dir', path.join(pool.dataDir, dir)]);
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
});
