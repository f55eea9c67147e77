import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freeUdpPort, useProcessPool } from '../support/chatapp-process';

const REDIS_BUNDLE = path.resolve(__dirname, '../../dist/bundle/ioredis.js');
const MAIN_BUNDLE = path.resolve(__dirname, '../../dist/bundle/chatapp.js');
/** A text of the Redis client library's own (its closed-connection error). */
const REDIS_LIBRARY_TEXT = 'Connection is closed.';

/** Node's module debug channel names every file a process loads (on stderr). */
const MODULE_DEBUG = { NODE_DEBUG: 'module' };

/**
 * The Redis client library is a bundle of its own, loaded only by a server started with
 * --redis: a client and a server on files never read it (its source held in memory cost an idle
 * server 1.5 MiB). The Redis e2e tests show a --redis server loading and using it.
 */
describe('e2e: the Redis client library stays out of processes that do not use it', function () {
  this.timeout(30_000);
  const pool = useProcessPool('chatapp-e2e-bundle-');

  it('its bundle gives the Redis client the adapters construct, and the main bundle holds none of its code', () => {
    const { Redis } = require(REDIS_BUNDLE) as { Redis?: unknown };
    expect(Redis).to.be.a('function');
    expect(fs.readFileSync(REDIS_BUNDLE, 'utf8')).to.include(REDIS_LIBRARY_TEXT);
    const main = fs.readFileSync(MAIN_BUNDLE, 'utf8');
    expect(main).not.to.include(REDIS_LIBRARY_TEXT);
    expect(main).to.include('require("./ioredis.js")');
  });

  it('a process that loads it is seen doing so (the check below can fail)', () => {
    const run = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(REDIS_BUNDLE)})`], { env: { ...process.env, ...MODULE_DEBUG }, encoding: 'utf8' });
    expect(run.status).to.equal(0);
    expect(run.stderr).to.include('ioredis.js');
  });

  it('a server without --redis and a client registered with it never load it', async () => {
    const port = await freeUdpPort();
    const server = pool.spawn(['-s', String(port), '--data-dir', path.join(pool.dataDir, 'server')], MODULE_DEBUG);
    await server.linesAfter(0, 1);
    const alice = pool.spawn(['-c', 'alice', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', path.join(pool.dataDir, 'clients')], MODULE_DEBUG);
    await alice.waitFor('>>> [Welcome, You are registered.]');
    alice.type('send_all hello');
    await alice.waitFor('>>> [Message received by Server.]');
    for (const [who, proc] of [['server', server], ['client', alice]] as const) {
      const stderr = proc.stderr.join('');
      // The channel is on: it names the bundle the process runs.
      expect(stderr, who).to.include('chatapp.js');
      expect(stderr, who).not.to.include('ioredis');
    }
  });
});
