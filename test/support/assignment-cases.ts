import { expect } from 'chai';
import type { ChatAppProcess } from './chatapp-process';

const WELCOME = '>>> [Welcome, You are registered.]';
const TABLE = '>>> [Client table updated.]';
const STAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** Type `line` at `proc` and wait for the `count` lines it prints next. */
export async function typeAndRead(proc: ChatAppProcess, line: string, count: number): Promise<string[]> {
  const mark = proc.lines.length;
  proc.type(line);
  return proc.linesAfter(mark, count);
}

/**
 * The assignment's test case 1 through real processes, whatever stores the server uses:
 * three clients (each registration reaches all online clients), chat in all six directions,
 * `dereg x`, y → x and z → x stored, `reg x` shows both with timestamps, then a clean exit.
 * `afterSaves` runs once both messages are stored (to look at where the server keeps them).
 */
export async function runTestCaseOne(client: (name: string) => Promise<ChatAppProcess>, afterSaves: () => Promise<void> = async () => undefined): Promise<void> {
  const x = await client('x');
  const y = await client('y');
  await x.linesAfter(2, 1);
  const z = await client('z');
  expect(await x.linesAfter(3, 1)).to.deep.equal([TABLE]);
  expect(await y.linesAfter(2, 1)).to.deep.equal([TABLE]);
  const nodes = { x, y, z };
  for (const [from, to] of [['x', 'y'], ['x', 'z'], ['y', 'x'], ['y', 'z'], ['z', 'x'], ['z', 'y']] as const) {
    const toMark = nodes[to].lines.length;
    expect(await typeAndRead(nodes[from], `send ${to} hi ${to}, this is ${from}`, 1)).to.deep.equal([`>>> [Message received by ${to}.]`]);
    expect(await nodes[to].linesAfter(toMark, 1)).to.deep.equal([`>>> ${from}: hi ${to}, this is ${from}`]);
  }
  const [ym, zm] = [y.lines.length, z.lines.length];
  expect(await typeAndRead(x, 'dereg x', 1)).to.deep.equal(['>>> [You are Offline. Bye.]']);
  expect(await y.linesAfter(ym, 1)).to.deep.equal([TABLE]);
  expect(await z.linesAfter(zm, 1)).to.deep.equal([TABLE]);
  expect(await typeAndRead(y, 'send x message one', 2)).to.deep.equal(['>>> [No ACK from x, message sent to server.]', '>>> [Messages received by the server and saved]']);
  expect(await typeAndRead(z, 'send x message two', 2)).to.deep.equal(['>>> [No ACK from x, message sent to server.]', '>>> [Messages received by the server and saved]']);
  await afterSaves();
  const [ym2, zm2] = [y.lines.length, z.lines.length];
  const back = await typeAndRead(x, 'reg x', 5);
  expect(back.slice(0, 3)).to.deep.equal([WELCOME, TABLE, '>>> [You have messages]']);
  expect(/^>>> y: (.{19}) message one$/.exec(back[3]!)?.[1]).to.match(STAMP);
  expect(/^>>> z: (.{19}) message two$/.exec(back[4]!)?.[1]).to.match(STAMP);
  expect(await y.linesAfter(ym2, 1)).to.deep.equal([TABLE]);
  expect(await z.linesAfter(zm2, 1)).to.deep.equal([TABLE]);
  for (const p of [x, y, z]) p.endInput();
  for (const p of [x, y, z]) expect(await p.waitForExit()).to.equal(0);
}

/** The assignment's test case 3: `send_all` from x; x sees the server's ACK, y and z the channel message. */
export async function runTestCaseThree(client: (name: string) => Promise<ChatAppProcess>): Promise<void> {
  const x = await client('x');
  const y = await client('y');
  const z = await client('z');
  await y.waitFor(TABLE);
  // Let the last table updates land, so the lines counted next are the channel's.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const [ym, zm] = [y.lines.length, z.lines.length];
  expect(await typeAndRead(x, 'send_all hello channel', 1)).to.deep.equal(['>>> [Message received by Server.]']);
  expect(await y.linesAfter(ym, 1)).to.deep.equal(['>>> [Channel_Message x: hello channel]']);
  expect(await z.linesAfter(zm, 1)).to.deep.equal(['>>> [Channel_Message x: hello channel]']);
}
