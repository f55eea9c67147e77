import 'reflect-metadata';
import { crashRunPassed, formatFigures, runCrashTest } from '../test/support/crash-run';

/**
 * `npm run crash-test`: issue 4's crash test at full scale. 1,000 `kill -9`s of a real server
 * process (part of them at named failpoints) during a stream of saves, send_alls and
 * deliveries, restarting on the same data directory each time; prints `attempted, acked, lost,
 * duplicated, unexpected, torn_tails_dropped` (and redelivered, runs, seconds) and exits 0 only
 * if lost = duplicated = unexpected = 0 and nothing else went wrong. See test/support/crash-run.ts
 * for what each figure counts.
 */

const USAGE = `usage: npm run crash-test -- [--kills N] [--seed N] [--failpoints SHARE] [--data-dir DIR]
  --kills N          kill -9s of the server (default 1000)
  --seed N           seed of the workload and kill schedule (default: random, printed)
  --failpoints P     share of runs that arm a failpoint, 0..1 (default 0.4)
  --data-dir DIR     keep the server's data (and its log) here (default: a temp dir, removed after)
  --log-level LEVEL  the server's log level: error, warn (default), info or debug
  --trace            trace every client's traffic and explain each lost message (debugging)`;

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function numberOption(name: string, fallback: number, integer: boolean): number {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    process.stderr.write(`${name} wants a non-negative ${integer ? 'integer' : 'number'}, got ${raw}\n${USAGE}\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const kills = numberOption('--kills', 1000, true);
  const seed = numberOption('--seed', Math.floor(Math.random() * 0x7fffffff), true);
  const failpointShare = Math.min(1, numberOption('--failpoints', 0.4, false));
  const dataDir = option('--data-dir');
  const logLevel = option('--log-level') ?? 'warn';
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) {
    process.stderr.write(`--log-level wants error, warn, info or debug\n${USAGE}\n`);
    return 2;
  }
  process.stderr.write(`crash test: ${kills} kills, seed ${seed}\n`);
  const result = await runCrashTest({ kills, seed, failpointShare, ...(dataDir ? { dataDir } : {}), serverLogLevel: logLevel as 'warn', trace: process.argv.includes('--trace'), progress: (line) => process.stderr.write(`  ${line}\n`) });
  process.stdout.write(`${formatFigures(result.figures)}\nseed=${seed}\n`);
  for (const p of result.problems) process.stdout.write(`problem: ${p}\n`);
  return crashRunPassed(result.figures) && result.problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`crash test failed to run: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
