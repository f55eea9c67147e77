import { expect } from 'chai';
import { Scenario, type TestClient } from '../support/scenario';

const REFUSED = /^>>> \[Error: the message could not be sent \(it would be \d+ bytes, over the 300-byte datagram limit\); nothing was sent\.\]$/;

describe('scenario: a datagram the transport refuses is an error the user sees at once', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  async function say(from: TestClient, line: string, ms: number): Promise<string[]> {
    const mark = from.lines.length;
    void from.type(line);
    await s.run(ms);
    return from.view.since(mark);
  }

  it('send, send_all and dereg refused by the transport print an error line at once; the client keeps running, nothing is blamed on the server', async () => {
    s = new Scenario({ seed: 11 });
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    const yMark = y.lines.length;
    // The transports on this network now refuse anything over 300 bytes, as a host refuses a datagram over its path MTU.
    s.network.sendLimitBytes = 300;
    const long = 'q'.repeat(500);
    const sent = await say(x, `send y ${long}`, 10);
    expect(sent).to.have.length(1);
    expect(sent[0]).to.match(REFUSED);
    const all = await say(x, `send_all ${long}`, 10);
    expect(all).to.have.length(1);
    expect(all[0]).to.match(REFUSED);
    s.network.sendLimitBytes = 20;
    const dereg = await say(x, 'dereg x', 10);
    expect(dereg).to.have.length(1);
    expect(dereg[0]).to.match(/^>>> \[Error: the de-registration could not be sent \(it would be \d+ bytes, over the 20-byte datagram limit\); you are still online\.\]$/);
    // Nothing waited for an ACK, and nothing was said about the server or the recipient.
    await s.run(3000);
    expect(x.lines.join('\n')).to.not.match(/No ACK|not responding|Exiting/);
    expect(x.exitCode).to.equal(undefined);
    expect(x.client.state).to.equal('online');
    expect(y.view.since(yMark).filter((l) => l.includes('qqq'))).to.deep.equal([]);
    s.network.sendLimitBytes = 1200;
    expect(await say(x, 'send y hi', 100)).to.deep.equal(['>>> [Message received by y.]']);
  });
});
