/**
 * The simulated power-loss property at scale: `npx ts-node scripts/power-loss.ts [--runs N] [--seed S]`.
 * Prints `runs, crash_points, acked, lost, duplicated, unexpected, torn_tails_dropped, seed`
 * (crash_points: runs whose crash interrupted the workload rather than following it) and exits
 * with status 0 only if nothing acknowledged was lost, duplicated or unexpected.
 */
import fc from 'fast-check';
import { powerLossScenario, runPowerLossScenario, type PowerLossScenario } from '../test/support/power-loss-property';

const DEFAULT_RUNS = 5000;

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function integerOption(name: string, fallback: number): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} wants a non-negative integer, got ${raw}`);
  return value;
}

async function main(): Promise<number> {
  const runs = integerOption('--runs', DEFAULT_RUNS);
  const seed = integerOption('--seed', Math.floor(Math.random() * 0x7fffffff));
  const totals = { runs: 0, crash_points: 0, acked: 0, lost: 0, duplicated: 0, unexpected: 0, torn_tails_dropped: 0 };
  let firstFailure: { scenario: PowerLossScenario; problems: readonly string[] } | undefined;

  // Every run counts, failing or not, so the property never stops early and never shrinks.
  const details = await fc.check(
    fc.asyncProperty(powerLossScenario, async (scenario) => {
      const o = await runPowerLossScenario(scenario);
      totals.runs++;
      totals.crash_points += o.crashedMidRun ? 1 : 0;
      totals.acked += o.acked;
      totals.lost += o.lost;
      totals.duplicated += o.duplicated;
      totals.unexpected += o.unexpected;
      totals.torn_tails_dropped += o.tornTailsDropped;
      if (o.problems.length > 0) firstFailure ??= { scenario, problems: o.problems };
      return true;
    }),
    { numRuns: runs, seed },
  );
  if (details.failed) throw details.errorInstance ?? new Error('the property run itself failed');

  const columns = ['runs', 'crash_points', 'acked', 'lost', 'duplicated', 'unexpected', 'torn_tails_dropped', 'seed'];
  const values = { ...totals, seed } as Record<string, number>;
  console.log(columns.join(', '));
  console.log(columns.map((c) => values[c]).join(', '));
  if (firstFailure) {
    console.error(`first failing scenario (seed ${seed}): ${JSON.stringify(firstFailure.scenario)}`);
    for (const p of firstFailure.problems.slice(0, 20)) console.error(`  ${p}`);
  }
  return totals.lost === 0 && totals.duplicated === 0 && totals.unexpected === 0 ? 0 : 1;
}

main().then(
  (status) => { process.exitCode = status; },
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 2;
  },
);
