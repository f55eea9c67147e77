import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { freeUdpPort, useProcessPool } from '../support/chatapp-process';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/**
 * Issue 12: a message saved for an offline recipient is sealed by its sender for the
 * recipient's key, so the server's files hold its ciphertext only; the recipient still reads it.
 */
describe('e2e: the server keeps stored direct messages it cannot read', function () {
  this.timeout(30_000);
  const pool = useProcessPool('chatapp-e2e-files-');

  it('no byte of a stored message\'s text is in any file of the server\'s data directory, and the recipient shows it on reg', async () => {
    const secret = 'TOP-SECRET for bob alone 🗝';
    const port = await freeUdpPort();
    const serverDir = path.join(pool.dataDir, 'server');
    const server = pool.spawn(['-s', String(port), '--data-dir', serverDir]);
    await server.linesAfter(0, 1);
    const clients = path.join(pool.dataDir, 'clients');
    const alice = pool.spawn(['-c', 'alice', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', clients]);
    await alice.waitFor('>>> [Welcome, You are registered.]');
    const bob = pool.spawn(['-c', 'bob', '127.0.0.1', String(port), String(await freeUdpPort()), '--data-dir', clients]);
    await bob.waitFor('>>> [Welcome, You are registered.]');
    bob.type('dereg bob');
    await bob.waitFor('>>> [You are Offline. Bye.]');
    // Until alice's table says bob is offline, her message would try him directly first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    alice.type(`send bob ${secret}`);
    await alice.waitFor('>>> [Messages received by the server and saved]');
    const files = filesUnder(serverDir);
    expect(files.length).to.be.greaterThan(2);
    const holding = files.filter((f) => fs.readFileSync(f).includes(Buffer.from('TOP-SECRET')));
    expect(holding, 'server files holding the text').to.deep.equal([]);
    bob.type('reg bob');
    await bob.waitFor('>>> [You have messages]');
    const until = Date.now() + 5000;
    while (Date.now() < until && !bob.lines.some((l) => l.endsWith(secret))) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bob.lines.some((l) => l.startsWith('>>> alice: ') && l.endsWith(secret))).to.equal(true);
  });
});
