import { expect } from 'chai';
import { Scenario, type TestClient } from '../support/scenario';

describe('scenario: the name Server is the channel\'s, never a client\'s', () => {
  let s: Scenario;
  beforeEach(() => {
    s = new Scenario();
  });
  afterEach(async () => {
    await s.stop();
  });

  async function say(from: TestClient, line: string, ms = 200): Promise<string[]> {
    const mark = from.lines.length;
    void from.type(line);
    await s.run(ms);
    return from.view.since(mark);
  }

  for (const name of ['Server', 'server', 'SERVER']) {
    it(`the server refuses to register ${name}, with a line that says why, and the client ends`, async () => {
      const server = await s.startServer();
      const c = await s.startClient(name);
      expect(c.lines).to.deep.equal([`>>> [Error: the name ${name} is reserved for the server; choose another name.]`]);
      expect(c.exitCode).to.equal(1);
      expect(server.table().rows).to.deep.equal([]);
    });
  }

  it('send_all keeps the leading spaces of the message, as send does', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    expect(await say(x, 'send_all    indented')).to.deep.equal(['>>> [Message received by Server.]']);
    expect(y.lines.at(-1)).to.equal('>>> [Channel_Message x:    indented]');
  });
});
