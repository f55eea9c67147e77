import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ChatAppProcess, freeUdpPort, useProcessPool } from '../support/chatapp-process';

/**
 * The process-level policy: an unexpected promise rejection that nothing handles is logged
 * through the server's log and the process keeps serving. The `unhandled-rejection` failpoint
 * leaves such a rejection after every fsync of the server's stores.
 */
describe('e2e: an unhandled rejection is logged, not fatal', function () {
  this.timeout(30_000);
  const pool = useProcessPool('chatapp-faults-');

  it('the server logs each one and goes on registering and relaying', async () => {
    const port = await freeUdpPort();
    const logFile = path.join(pool.dataDir, 'server.log');
    const server = pool.start(['-s', String(port), '--log-file', logFile], { CHATAPP_FAILPOINT: 'unhandled-rejection:1' });
    await server.linesAfter(0, 1);
    const x = pool.start(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await x.waitFor('>>> [Client table updated.]');
    // Registering x went through fsyncs, each leaving a rejection behind.
    expect(server.stderr.join('')).to.include('failpoint unhandled-rejection fired');
    const y = pool.start(['-c', 'y', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await y.waitFor('>>> [Client table updated.]');
    x.type('send_all still serving');
    await x.waitFor('>>> [Message received by Server.]');
    await y.waitFor('>>> [Channel_Message x: still serving]');
    expect(server.exitCode).to.equal(undefined);

    expect(await server.kill('SIGTERM')).to.equal(0);
    const log = fs.readFileSync(logFile, 'utf8');
    const logged = log.split('\n').filter((l) => l.includes('unhandled rejection; the process keeps running'));
    expect(logged.length).to.be.greaterThan(0);
    expect(logged[0]).to.include('failpoint unhandled-rejection');
  });
});
