/**
 * The simulated power-loss property at scale, on every durable store (mailbox, channel log,
 * registry, seen store): `npm run power-loss -- [--runs N] [--seed S] [--store NAME]`. Prints one
 * line per store, `store, runs, crash_points, acked, lost, duplicated, unexpected, errors,
 * torn_tails_dropped`, then the seed (see test/support/power-loss-property.ts for what each
 * counts), and exits with status 0 only if every store's lost, duplicated, unexpected and errors
 * are 0.
 */
import fc from 'fast-check';
import { DURABLE_STORES, powerLossScenario, runPowerLossScenario, type DurableStore, type PowerLossOutcome } from '../test/support/power-loss-property';
import { runStoreScenario, storeScenario } from '../test/support/power-loss-stores';
import { numberFlag, parseFlags, usageError } from './script-flags';

const DEFAULT_RUNS = 5000;

const USAGE = `usage: npm run power-loss -- [--runs N] [--seed N] [--store NAME]...
  --runs N       seeded runs per store (default ${DEFAULT_RUNS})
  --seed N       seed of the runs (default: random, printed)
  --store NAME   only this store (repeatable): ${DURABLE_STORES.join(', ')} (default: all)
  --help         this text`;

interface Options {
  readonly runs: number;
  readonly seed: number;
  readonly stores: readonly DurableStore[];
  readonly help: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const values = parseFlags('power-loss', USAGE, argv, {
    runs: { type: 'string' },
    seed: { type: 'string' },
    store: { type: 'string', multiple: true },
    help: { type: 'boolean' },
  });
  const stores = values.store ?? [...DURABLE_STORES];
  for (const s of stores) if (!(DURABLE_STORES as readonly string[]).includes(s)) usageError('power-loss', USAGE, `--store wants one of ${DURABLE_STORES.join(', ')}, got ${s}`);
  return {
    runs: numberFlag('power-loss', USAGE, 'runs', values.runs, 0, 10_000_000, true) ?? DEFAULT_RUNS,
    seed: numberFlag('power-loss', USAGE, 'seed', values.seed, 0, 2 ** 31 - 1, true) ?? Math.floor(Math.random() * 0x7fffffff),
    stores: stores as DurableStore[],
    help: values.help === true,
  };
}

const COLUMNS = ['store', 'runs', 'crash_points', 'acked', 'lost', 'duplicated', 'unexpected', 'errors', 'torn_tails_dropped'] as const;

interface Totals { runs: number; crash_points: number; acked: number; lost: number; duplicated: number; unexpected: number; errors: number; torn_tails_dropped: number }

async function runStore(store: DurableStore, runs: number, seed: number): Promise<{ totals: Totals; firstFailure?: { scenario: unknown; problems: readonly string[] } }> {
  const totals: Totals = { runs: 0, crash_points: 0, acked: 0, lost: 0, duplicated: 0, unexpected: 0, errors: 0, torn_tails_dropped: 0 };
  let firstFailure: { scenario: unknown; problems: readonly string[] } | undefined;
  const count = (scenario: unknown, o: PowerLossOutcome): boolean => {
    totals.runs++;
    totals.crash_points += o.crashedMidRun ? 1 : 0;
    totals.acked += o.acked;
    totals.lost += o.lost;
    totals.duplicated += o.duplicated;
    totals.unexpected += o.unexpected;
    totals.errors += o.errors;
    totals.torn_tails_dropped += o.tornTailsDropped;
    if (o.problems.length > 0) firstFailure ??= { scenario, problems: o.problems };
    // Every run counts, failing or not, so the property never stops early and never shrinks.
    return true;
  };
  const details = store === 'mailbox'
    ? await fc.check(fc.asyncProperty(powerLossScenario, async (s) => count(s, await runPowerLossScenario(s))), { numRuns: runs, seed })
    : await fc.check(fc.asyncProperty(storeScenario, async (s) => count(s, await runStoreScenario(store, s))), { numRuns: runs, seed });
  if (details.failed) throw details.errorInstance ?? new Error(`the ${store} property run itself failed`);
  return { totals, ...(firstFailure ? { firstFailure } : {}) };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  console.log(COLUMNS.join(', '));
  let failed = false;
  for (const store of options.stores) {
    const { totals, firstFailure } = await runStore(store, options.runs, options.seed);
    const values: Record<string, string | number> = { store, ...totals };
    console.log(COLUMNS.map((c) => values[c]).join(', '));
    if (totals.lost + totals.duplicated + totals.unexpected + totals.errors > 0) failed = true;
    if (firstFailure) {
      console.error(`${store}: first failing scenario (seed ${options.seed}): ${JSON.stringify(firstFailure.scenario)}`);
      for (const p of firstFailure.problems.slice(0, 10)) console.error(`  ${p}`);
    }
  }
  console.log(`seed=${options.seed}`);
  return failed ? 1 : 0;
}

main().then(
  (status) => { process.exitCode = status; },
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 2;
  },
);
