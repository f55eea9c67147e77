import { expect } from 'chai';
import { FAILPOINTS } from '../../src/composition/failpoints';
import { crashRunPassed, formatFigures, runCrashTest } from '../support/crash-run';

const KILLS = 15;
const SEED = 20261124;

/**
 * The crash test of issue 4 at small scale (the full run is `npm run crash-test`): a real
 * server process killed with SIGKILL 15 times at random moments and at each named failpoint,
 * during saves, send_alls and deliveries, restarting on the same data directory; nothing ACKed
 * may be lost, shown twice or delivered unexpectedly.
 */
describe('e2e: crash test (small scale)', function () {
  this.timeout(90_000);

  it(`${KILLS} kill -9s of the server during saves, send_alls and deliveries lose nothing ACKed (seed ${SEED})`, async () => {
    const { figures, problems } = await runCrashTest({ kills: KILLS, seed: SEED, failpointShare: 0.7 });
    const report = `seed ${SEED}\n${formatFigures(figures)}\n${problems.join('\n')}`;
    expect(problems, report).to.deep.equal([]);
    expect(crashRunPassed(figures), report).to.equal(true);
    expect(figures.runs, report).to.equal(KILLS);
    expect(figures.acked, report).to.be.greaterThan(10);
    expect(figures.deliveries_expected, report).to.be.greaterThan(figures.acked);
    for (const name of FAILPOINTS) expect(figures.failpoint_runs[name] ?? 0, `${name} armed\n${report}`).to.be.greaterThan(0);
    expect(Object.values(figures.failpoints_fired).reduce((a, b) => a + b, 0), `failpoints fired\n${report}`).to.be.greaterThan(0);
  });
});
