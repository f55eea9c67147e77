import { expect } from 'chai';
import { scenarioTestCaseOne, scenarioTestCaseThree } from '../support/assignment-scenarios';
import { Scenario } from '../support/scenario';

describe('scenario: the assignment test cases (SPEC §6)', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  it('test case 1: register x, y, z; chat in six directions; dereg x; offline messages; reg x', async () => {
    s = new Scenario();
    await s.startServer();
    await scenarioTestCaseOne(s, (name) => s.startClient(name));
  });

  it('test case 2: dereg y, server exits, x sends to y: five tries, then Server not responding and Exiting', async () => {
    s = new Scenario();
    const server = await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    void y.type('dereg y');
    await s.run(50);
    expect(y.lines.at(-1)).to.equal('>>> [You are Offline. Bye.]');
    await server.server.stop();
    // What x sends the dead server now is its save, five times (sealed, so counted by address).
    let saves = 0;
    const xAddress = x.client.tableRows().find((r) => r.name === 'x')!;
    s.network.onSend = (_data, from, to) => {
      if (from.port === xAddress.port && to.port === 5000) saves += 1;
    };
    const mark = x.lines.length;
    void x.type('send y are you there');
    await s.run(3000);
    expect(saves).to.equal(5);
    expect(x.view.since(mark)).to.deep.equal(['>>> [No ACK from y, message sent to server.]', '>>> [Server not responding]', '>>> [Exiting]']);
    expect(x.exitCode).to.equal(1);
  });

  it('test case 3: send_all from x; x sees the server ACK, y and z the channel message', async () => {
    s = new Scenario();
    await s.startServer();
    await scenarioTestCaseThree(s, (name) => s.startClient(name));
  });
});
