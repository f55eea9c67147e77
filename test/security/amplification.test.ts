import { expect } from 'chai';
import {
  amplificationProbes, formatAmplification, loggedErrors, measureAmplification, startUdpClient, startUdpServer,
  type UdpClientNode, type UdpServerNode,
} from '../support/fuzz-run';

const WINDOW_MS = 1000;
const COPIES = 20;

describe('security: no amplification towards an address that never proved it receives (real UDP)', function () {
  this.timeout(30_000);
  let server: UdpServerNode;
  let alice: UdpClientNode;

  before(async () => {
    server = await startUdpServer();
    alice = await startUdpClient('alice', server.address);
  });
  after(async () => {
    await alice?.stop();
    await server?.stop();
  });

  it(`every request type from a fresh socket, ${COPIES} copies over ${WINDOW_MS} ms: bytes received ÷ bytes sent ≤ 1.0`, async () => {
    const figures = await measureAmplification(amplificationProbes(server.address, alice.address, 'alice'), { windowMs: WINDOW_MS, copies: COPIES });
    console.log(`      amplification over ${WINDOW_MS} ms (${figures.length} probes, each from its own socket):`);
    for (const line of formatAmplification(figures)) console.log(`        ${line}`);
    const worst = figures.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    console.log(`      worst ratio ${worst.ratio.toFixed(3)} (${worst.target}: ${worst.probe})`);
    // Padded first handshake messages were answered (the second, smaller), so the budget was
    // exercised, not just silence; requests in clear, whatever they claim, get nothing.
    expect(figures.find((f) => f.probe === 'link hello (padded, fresh key each time)')!.datagramsReceived).to.equal(COPIES);
    expect(figures.find((f) => f.probe === 'register (invalid name, padded)')!.datagramsReceived).to.equal(0);
    for (const f of figures) expect(f.ratio, `${f.target}: ${f.probe}`).to.be.at.most(1.0);
    expect(loggedErrors(server.logger)).to.deep.equal([]);
    expect(alice.view.lines.filter((l) => l.includes('forged'))).to.deep.equal([]);
  });
});
