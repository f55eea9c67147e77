import { expect } from 'chai';
import type { Scenario, TestClient } from './scenario';

/** Starts a client of the scenario's system by name (on whichever server the caller places it). */
export type StartClient = (name: string) => Promise<TestClient>;

/**
 * The assignment's test case 1 (SPEC §6) with its exact console lines: register x, y, z; chat
 * in six directions; dereg x; offline messages; reg x. `start` places each client.
 */
export async function scenarioTestCaseOne(s: Scenario, start: StartClient): Promise<void> {
  const x = await start('x');
  expect(x.lines).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [Client table updated.]']);
  const y = await start('y');
  const z = await start('z');
  expect(x.lines).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [Client table updated.]', '>>> [Client table updated.]', '>>> [Client table updated.]']);
  expect(y.lines).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [Client table updated.]', '>>> [Client table updated.]']);
  expect(z.lines).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [Client table updated.]']);

  const pairs: Array<[typeof x, typeof y]> = [[x, y], [x, z], [y, x], [y, z], [z, x], [z, y]];
  for (const [from, to] of pairs) {
    const fromMark = from.lines.length;
    const toMark = to.lines.length;
    void from.type(`send ${to.name} hello ${to.name} from ${from.name}`);
    await s.run(50);
    expect(to.view.since(toMark)).to.deep.equal([`>>> ${from.name}: hello ${to.name} from ${from.name}`]);
    expect(from.view.since(fromMark)).to.deep.equal([`>>> [Message received by ${to.name}.]`]);
  }

  const [xm, ym, zm] = [x.lines.length, y.lines.length, z.lines.length];
  void x.type('dereg x');
  await s.run(50);
  expect(x.view.since(xm)).to.deep.equal(['>>> [You are Offline. Bye.]']);
  expect(y.view.since(ym)).to.deep.equal(['>>> [Client table updated.]']);
  expect(z.view.since(zm)).to.deep.equal(['>>> [Client table updated.]']);

  const y2 = y.lines.length;
  void y.type('send x are you there?');
  await s.run(50);
  expect(y.view.since(y2)).to.deep.equal(['>>> [No ACK from x, message sent to server.]', '>>> [Messages received by the server and saved]']);
  await s.run(2000);
  const z2 = z.lines.length;
  void z.type('send x call me');
  await s.run(50);
  expect(z.view.since(z2)).to.deep.equal(['>>> [No ACK from x, message sent to server.]', '>>> [Messages received by the server and saved]']);

  const [x3, y3, z3] = [x.lines.length, y.lines.length, z.lines.length];
  void x.type('reg x');
  await s.run(100);
  expect(x.view.since(x3)).to.deep.equal([
    '>>> [Welcome, You are registered.]',
    '>>> [Client table updated.]',
    '>>> [You have messages]',
    '>>> y: 2026-11-23 12:00:00 are you there?',
    '>>> z: 2026-11-23 12:00:02 call me',
  ]);
  expect(y.view.since(y3)).to.deep.equal(['>>> [Client table updated.]']);
  expect(z.view.since(z3)).to.deep.equal(['>>> [Client table updated.]']);
}

/** The assignment's test case 3: send_all from x; x sees the server ACK, y and z the channel message. */
export async function scenarioTestCaseThree(s: Scenario, start: StartClient): Promise<void> {
  const x = await start('x');
  const y = await start('y');
  const z = await start('z');
  const [xm, ym, zm] = [x.lines.length, y.lines.length, z.lines.length];
  void x.type('send_all hello everyone');
  await s.run(100);
  expect(x.view.since(xm)).to.deep.equal(['>>> [Message received by Server.]']);
  expect(y.view.since(ym)).to.deep.equal(['>>> [Channel_Message x: hello everyone]']);
  expect(z.view.since(zm)).to.deep.equal(['>>> [Channel_Message x: hello everyone]']);
}
