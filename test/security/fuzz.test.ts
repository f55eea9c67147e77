import { expect } from 'chai';
import fc from 'fast-check';
import { UdpAttacker } from '../support/attacker';
import {
  fuzzDatagramArbitrary, fuzzTemplates, mayBeAnswered, kernelDrops, loggedErrors, sleep, startUdpClient, startUdpServer, waitUntil,
  type FuzzDatagram, type UdpClientNode, type UdpServerNode,
} from '../support/fuzz-run';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261123);
const RUNS = 10;
const PER_RUN = 200;

describe('security: fuzzing a real server and client over UDP (fast-check, in process)', function () {
  this.timeout(30_000);
  let server: UdpServerNode;
  let x: UdpClientNode;
  let y: UdpClientNode;

  before(async () => {
    server = await startUdpServer();
    x = await startUdpClient('x', server.address);
    y = await startUdpClient('y', server.address);
  });
  after(async () => {
    await x?.stop();
    await y?.stop();
    await server?.stop();
  });

  it(`${RUNS * PER_RUN} hostile datagrams: nothing crashes, unparseable ones get no reply, chat still works`, async () => {
    const arb = fc.array(fuzzDatagramArbitrary(fuzzTemplates(['x', 'y'], x.address)), { minLength: PER_RUN, maxLength: PER_RUN });
    const targets = [server.address, x.address, y.address];
    const totals = { datagrams: 0, unparseable: 0, repliesToUnparseable: 0 };
    await fc.assert(
      fc.asyncProperty(arb, async (batch: FuzzDatagram[]) => {
        // Fresh sockets per run: unparseable input goes only from `bad`, so anything it receives is a reply to garbage.
        const [bad, good] = await Promise.all([UdpAttacker.open(), UdpAttacker.open()]);
        try {
          for (const d of batch) {
            const parseable = mayBeAnswered(d.data);
            if (!parseable) totals.unparseable += 1;
            totals.datagrams += 1;
            await Promise.all(targets.map((t) => (parseable ? good : bad).send(t, d.data)));
          }
          await sleep(50);
          // Replies the kernel dropped at our socket count too: none may exist.
          const replies = bad.received.datagrams + kernelDrops(bad.address.port);
          totals.repliesToUnparseable += replies;
          return replies === 0;
        } finally {
          await Promise.all([bad.close(), good.close()]);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    const errors = [...loggedErrors(server.logger), ...loggedErrors(x.logger), ...loggedErrors(y.logger)];
    const mark = x.view.lines.length;
    void x.type('send y still here after the fuzz');
    const delivered = await waitUntil(() => x.view.lines.slice(mark).includes('>>> [Message received by y.]'), 2000);
    console.log(
      `      fuzz (seed ${SEED}): ${totals.datagrams} datagrams × 3 targets, ${totals.unparseable} unparseable, ` +
        `replies to unparseable ${totals.repliesToUnparseable}, errors logged ${errors.length}, chat after: ${delivered ? 'delivered' : 'LOST'}`,
    );
    expect(totals.datagrams).to.equal(RUNS * PER_RUN);
    expect(totals.repliesToUnparseable).to.equal(0);
    expect(errors).to.deep.equal([]);
    expect(delivered).to.equal(true);
    expect(y.view.lines.at(-1)).to.equal('>>> x: still here after the fuzz');
  });
});
