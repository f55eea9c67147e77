import { expect } from 'chai';
import { terminalSafe } from '../../src/adapters/console/terminal-safe';
import { ChatAppProcess, freeUdpPort, useProcessPool } from '../support/chatapp-process';

const WELCOME = '>>> [Welcome, You are registered.]';
const TABLE = '>>> [Client table updated.]';

/**
 * Texts of exactly 1,000 UTF-8 bytes (the limit) that JSON would escape to several times their
 * size. Tabs sit between two letters: a message of only blanks is not a message.
 */
const TEXTS: Record<string, string> = {
  quotes: '"'.repeat(1000),
  backslashes: '\\'.repeat(1000),
  tabs: `a${'\t'.repeat(998)}z`,
  emoji: '😀'.repeat(250),
  mixed: `${'"\\\t😀é'.repeat(111)}"`,
};

describe('e2e: texts at the 1,000-byte limit that JSON escaping would blow up, through real chatapp processes', function () {
  this.timeout(60_000);

  before(() => {
    for (const [name, text] of Object.entries(TEXTS)) expect(Buffer.byteLength(text), name).to.equal(1000);
  });
  const pool = useProcessPool('chatapp-e2e-texts-');
  const start = (args: string[]): ChatAppProcess => pool.start(args);

  async function next(proc: ChatAppProcess, action: () => void, count: number): Promise<string[]> {
    const mark = proc.lines.length;
    action();
    return proc.linesAfter(mark, count);
  }

  it('direct, stored (recipient offline, then reg) and send_all: each arrives exactly, nobody is told the server is gone', async () => {
    const serverPort = await freeUdpPort();
    const server = start(['-s', String(serverPort)]);
    await server.linesAfter(0, 1);
    const x = start(['-c', 'x', '127.0.0.1', String(serverPort), String(await freeUdpPort())]);
    expect(await x.linesAfter(0, 2)).to.deep.equal([WELCOME, TABLE]);
    const y = start(['-c', 'y', '127.0.0.1', String(serverPort), String(await freeUdpPort())]);
    expect(await y.linesAfter(0, 2)).to.deep.equal([WELCOME, TABLE]);
    await x.linesAfter(2, 1);

    for (const [name, text] of Object.entries(TEXTS)) {
      const yMark = y.lines.length;
      expect(await next(x, () => x.type(`send y ${text}`), 1), `direct, ${name}`).to.deep.equal(['>>> [Message received by y.]']);
      expect(await y.linesAfter(yMark, 1), `direct, ${name}`).to.deep.equal([`>>> x: ${terminalSafe(text)}`]);
    }

    for (const [name, text] of Object.entries(TEXTS)) {
      const yMark = y.lines.length;
      expect(await next(x, () => x.type(`send_all ${text}`), 1), `send_all, ${name}`).to.deep.equal(['>>> [Message received by Server.]']);
      expect(await y.linesAfter(yMark, 1), `send_all, ${name}`).to.deep.equal([`>>> [Channel_Message x: ${terminalSafe(text)}]`]);
    }

    const xMark = x.lines.length;
    expect(await next(y, () => y.type('dereg y'), 1)).to.deep.equal(['>>> [You are Offline. Bye.]']);
    await x.linesAfter(xMark, 1);
    for (const [name, text] of Object.entries(TEXTS)) {
      expect(await next(x, () => x.type(`send y ${text}`), 2), `stored, ${name}`).to.deep.equal([
        '>>> [No ACK from y, message sent to server.]',
        '>>> [Messages received by the server and saved]',
      ]);
    }
    const texts = Object.values(TEXTS);
    const back = await next(y, () => y.type('reg y'), 3 + texts.length);
    expect(back.slice(0, 3)).to.deep.equal([WELCOME, TABLE, '>>> [You have messages]']);
    back.slice(3).forEach((line, i) => {
      const stored = /^>>> x: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (.*)$/s.exec(line);
      expect(stored?.[1], `stored, ${Object.keys(TEXTS)[i]}`).to.equal(terminalSafe(texts[i]!));
    });
    for (const p of [x, y]) expect(p.lines.join('\n')).to.not.match(/not responding|Exiting|Error/);
  });
});
