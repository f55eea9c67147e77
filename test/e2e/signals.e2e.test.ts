import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatAppProcess, freeUdpPort } from '../support/chatapp-process';

describe('e2e: silent leave and clean stops', function () {
  this.timeout(30_000);
  let dataDir: string;
  const procs: ChatAppProcess[] = [];

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-sig-'));
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGKILL')));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function start(args: string[]): ChatAppProcess {
    const p = new ChatAppProcess([...args, '--data-dir', dataDir]);
    procs.push(p);
    return p;
  }

  for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) {
    it(`${signal} ends a client quietly (status 0, nothing on stderr); the others learn on the next message`, async () => {
      const port = await freeUdpPort();
      const server = start(['-s', String(port)]);
      await server.linesAfter(0, 1);
      const x = start(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort())]);
      await x.linesAfter(0, 2);
      const y = start(['-c', 'y', '127.0.0.1', String(port), String(await freeUdpPort())]);
      await y.linesAfter(0, 2);
      await x.linesAfter(2, 1);
      await y.kill(signal);
      expect(y.exitCode).to.equal(0);
      expect(y.stderr.join('')).to.equal('');
      expect(y.lines).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [Client table updated.]']);
      const mark = x.lines.length;
      x.type('send y are you there?');
      const lines = await x.linesAfter(mark, 3);
      expect(lines[0]).to.equal('>>> [No ACK from y, message sent to server.]');
      // The table change (y offline) and the save's ACK travel separately; either may come first.
      expect(lines.slice(1).sort()).to.deep.equal(['>>> [Client table updated.]', '>>> [Messages received by the server and saved]']);
    });
  }

  it('end of input finishes what is in flight, then exits 0', async () => {
    const port = await freeUdpPort();
    const server = start(['-s', String(port)]);
    await server.linesAfter(0, 1);
    const x = start(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await x.linesAfter(0, 2);
    x.type('send_all last words');
    x.endInput();
    expect(await x.waitForExit()).to.equal(0);
    expect(x.lines.at(-1)).to.equal('>>> [Message received by Server.]');
  });

  it('SIGTERM stops the server cleanly (status 0) and a restart on the same data keeps the registry', async () => {
    const port = await freeUdpPort();
    const server = start(['-s', String(port)]);
    await server.linesAfter(0, 1);
    const x = start(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await x.linesAfter(0, 2);
    await x.kill('SIGINT');
    expect(await server.kill('SIGTERM')).to.equal(0);
    expect(server.stderr.join('')).to.equal('');
    const again = start(['-s', String(port)]);
    await again.linesAfter(0, 1);
    const y = start(['-c', 'y', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await y.linesAfter(0, 2);
    // The restarted server probes x (recorded online) and marks it offline: let that settle.
    await new Promise((r) => setTimeout(r, 1000));
    const mark = y.lines.length;
    y.type('send x hello?');
    expect(await y.linesAfter(mark, 2)).to.deep.equal(['>>> [No ACK from x, message sent to server.]', '>>> [Messages received by the server and saved]']);
  });

  it('a client whose server does not answer says so and exits with status 1', async () => {
    const x = start(['-c', 'x', '127.0.0.1', String(await freeUdpPort()), String(await freeUdpPort())]);
    expect(await x.waitForExit(8000)).to.equal(1);
    expect(x.lines).to.have.length(1);
    expect(x.lines[0]).to.match(/^>>> \[Error: server 127\.0\.0\.1:\d+ is not responding; check the address and that the server is running\.\]$/);
  });

  it('a client port already in use is a clear error and status 1', async () => {
    const port = await freeUdpPort();
    const server = start(['-s', String(port)]);
    await server.linesAfter(0, 1);
    const x = start(['-c', 'x', '127.0.0.1', String(port), String(port)]);
    expect(await x.waitForExit()).to.equal(1);
    expect(x.lines).to.deep.equal([`>>> [Error: port ${port} is already in use; choose another client port.]`]);
  });
});
