import { expect } from 'chai';
import { formatSummary, runChannelSoak, runDirectSoak, type SoakSummary } from '../support/soak-run';

/**
 * The reliability soak of SPEC §5 at small scale, inside the test run (the full scale is
 * `npm run soak`). A fixed seed replays exactly; the summary, seed included, is printed on failure.
 */
const SEEDS = [20261123, 7, 4119];

describe('scenario: soak on a lossy network (small scale)', function () {
  this.timeout(60_000);

  function expectClean(summary: SoakSummary): void {
    const report = `\n${formatSummary(summary)}\n`;
    expect(summary.lost, `lost ${report}`).to.equal(0);
    expect(summary.shown_twice, `shown_twice ${report}`).to.equal(0);
    expect(summary.unexpected, `unexpected ${report}`).to.equal(0);
    expect(summary.misdelivered, `misdelivered ${report}`).to.equal(0);
    expect(summary.uncaught, `uncaught ${report}`).to.equal(0);
    expect(summary.bad_outcome, `bad_outcome ${report}`).to.equal(0);
    expect(summary.attempted, `attempted ${report}`).to.be.greaterThan(0);
    // The faults really happened, and some messages took each path.
    expect(summary.network.lost, `network loss ${report}`).to.be.greaterThan(0);
    expect(summary.delivered_direct, report).to.be.greaterThan(0);
    expect(summary.delivered_via_mailbox, report).to.be.greaterThan(0);
  }

  for (const seed of SEEDS) {
    it(`direct: 8 clients, 300 messages at 20% loss, 5% duplication, 10% reordering: none lost, none shown twice (seed ${seed})`, async () => {
      const summary = await runDirectSoak({ clients: 8, messages: 300, seed, takeovers: 0 });
      expectClean(summary);
      expect(summary.acked + summary.saved + summary.failed_reported).to.equal(summary.attempted);
      expect(summary.network.duplicated).to.be.greaterThan(0);
      expect(summary.network.reordered).to.be.greaterThan(0);
    });
  }

  // Section A of issue 10, kept apart so the other soaks stay meaningful while it fails: today
  // the gone name stays online, the newcomer at its address is shown messages meant for it and
  // ACKs them, and table pushes to the two sessions at one address collide in the reliable sender.
  it(`direct with silent leaves: 8 clients, 300 messages at 20% loss, 2 clients leave silently and a new name registers from each one's ip:port while the others keep writing to the gone name: none misdelivered, lost or unexpected (seed ${SEEDS[0]})`, async () => {
    const summary = await runDirectSoak({ clients: 8, messages: 300, seed: SEEDS[0]!, takeovers: 2 });
    const report = `\n${formatSummary(summary)}\n`;
    expect(summary.takeovers, `takeovers ${report}`).to.equal(2);
    expect(summary.misdelivered, `misdelivered ${report}`).to.equal(0);
    expect(summary.uncaught, `uncaught ${report}`).to.equal(0);
    expectClean(summary);
    expect(summary.acked + summary.saved + summary.failed_reported).to.equal(summary.attempted);
  });

  for (const seed of SEEDS) {
    it(`channel: 20 clients (4 offline), 400 send_all at 20% loss: every member shows each once, every sender one line each (seed ${seed})`, async () => {
      const summary = await runChannelSoak({ clients: 20, offline: 4, messages: 400, seed });
      expectClean(summary);
      expect(summary.acked + summary.failed_reported).to.equal(summary.attempted);
    });
  }

  it('channel with a small mailbox quota: 12 clients (4 offline), 200 send_all at 20% loss: every copy not kept is reported, none lost (seed 20261123)', async () => {
    const summary = await runChannelSoak({ clients: 12, offline: 4, messages: 200, seed: 20261123, settings: { mailboxQuota: { maxMessages: 10, maxBytes: 1024 * 1024 } } });
    expectClean(summary);
    // The path is exercised: members' mailboxes were full and that was reported.
    expect(summary.not_kept_reported, formatSummary(summary)).to.be.greaterThan(0);
  });

  it('negative control: the same run with the reports ignored counts those copies as lost', async () => {
    const summary = await runChannelSoak({ clients: 12, offline: 4, messages: 200, seed: 20261123, settings: { mailboxQuota: { maxMessages: 10, maxBytes: 1024 * 1024 } }, ignoreNotKeptReports: true });
    expect(summary.lost, formatSummary(summary)).to.be.greaterThan(0);
  });
});
