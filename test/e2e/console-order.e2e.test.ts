import { expect } from 'chai';
import { ChatAppProcess, freeUdpPort, useProcessPool } from '../support/chatapp-process';

/** Pasted or scripted lines run in the order typed, and nothing after `quit` runs. */
describe('e2e: a pasted script runs in order and stops at quit', function () {
  this.timeout(30_000);
  const pool = useProcessPool('chatapp-order-');

  async function serverAndY(): Promise<{ port: number; y: ChatAppProcess }> {
    const port = await freeUdpPort();
    const server = pool.start(['-s', String(port)]);
    await server.linesAfter(0, 1);
    const y = pool.start(['-c', 'y', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await y.linesAfter(0, 2);
    return { port, y };
  }

  it('one paste through the $ start: the command, then send, list, quit and a line after quit', async () => {
    const { port, y } = await serverAndY();
    const x = pool.spawn([], { CHATAPP_DATA_DIR: pool.dataDir });
    // All in one write, as a paste or `printf … | chatapp` delivers it.
    x.type([`chatapp -c x 127.0.0.1 ${port} ${await freeUdpPort()}`, 'send_all first', 'list', 'quit', 'send_all after quit'].join('\n'));
    expect(await x.waitForExit()).to.equal(0);
    const lines = x.lines;
    expect(lines[0]).to.equal('$ >>> [Welcome, You are registered.]');
    const acked = lines.indexOf('>>> [Message received by Server.]');
    const listed = lines.indexOf('>>> [Client table: 2 clients, 2 online]');
    expect(acked, lines.join('\n')).to.be.greaterThan(0);
    // list took its turn after the send_all before it.
    expect(listed, lines.join('\n')).to.be.greaterThan(acked);
    expect(lines.filter((l) => l === '>>> [Message received by Server.]')).to.have.length(1);
    expect(lines.join('\n')).to.not.include('not responding');
    await y.waitFor('>>> [Channel_Message x: first]');
    // y would have shown it within this time had it been sent.
    await new Promise((r) => setTimeout(r, 700));
    expect(y.lines.filter((l) => l.startsWith('>>> [Channel_Message'))).to.deep.equal(['>>> [Channel_Message x: first]']);
  });

  it('quit first: the line after it is neither sent nor reported', async () => {
    const { port, y } = await serverAndY();
    const x = pool.start(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await x.linesAfter(0, 2);
    await y.linesAfter(2, 1);
    x.type('quit\nsend y x');
    expect(await x.waitForExit()).to.equal(0);
    expect(x.lines).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [Client table updated.]']);
  });

  it('a pasted line of a million characters is refused at once with a short error; the next command runs', async () => {
    const { port } = await serverAndY();
    const x = pool.start(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await x.linesAfter(0, 2);
    x.type('q'.repeat(1_000_000));
    x.type('send_all after the paste');
    const [refused, acked] = await x.linesAfter(2, 2);
    expect(refused).to.equal('>>> [Error: the line is 1000000 characters long; a command fits in 1102 (messages up to 1000 bytes), so nothing was done.]');
    expect(acked).to.equal('>>> [Message received by Server.]');
  });

  it('a malformed line in a paste answers in its turn, after the lines before it, not ahead of them', async () => {
    const { port } = await serverAndY();
    const x = pool.start(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await x.linesAfter(0, 2);
    x.type('send_all first\nfoo bar\nsend nobody hi\nsend\nsend_all last');
    const lines = await x.linesAfter(2, 5);
    expect(lines, lines.join('\n')).to.deep.equal([
      '>>> [Message received by Server.]',
      '>>> [Error: unknown command foo (type help for the list).]',
      '>>> [Error: no client named nobody in the table; use list to see the table.]',
      '>>> [Error: missing arguments; use send <name> <message>.]',
      '>>> [Message received by Server.]',
    ]);
  });

  it('list after dereg shows the own row offline and says the table is not current', async () => {
    const { port } = await serverAndY();
    const x = pool.start(['-c', 'x', '127.0.0.1', String(port), String(await freeUdpPort())]);
    await x.linesAfter(0, 2);
    x.type('dereg x\nlist');
    const at = await x.waitFor('>>> [You are Offline. Bye.]');
    const table = await x.linesAfter(at + 1, 5);
    expect(table[0]).to.equal('>>> [Client table: 2 clients, 1 online]');
    expect(table.find((l) => /^\s+x\s/.test(l))).to.match(/offline$/);
    expect(table[4]).to.equal('>>> [You are offline: this is the table as it was when you left; reg x to get the current one.]');
    x.endInput();
    expect(await x.waitForExit()).to.equal(0);
  });
});
