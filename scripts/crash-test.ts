import 'reflect-metadata';
import { crashRunPassed, formatFigures, runCrashTest } from '../test/support/crash-run';
import { numberFlag, parseFlags, usageError } from './script-flags';

/**
 * `npm run crash-test`: issue 4's crash test at full scale. 1,000 `kill -9`s of a real server
 * process (part of them at named failpoints) during a stream of saves, send_alls and
 * deliveries, restarting on the same data directory each time; prints `attempted, acked, lost,
 * redelivered_after_ack, shown_twice, unexpected, torn_tails_dropped` (and runs,
 * seconds) and exits 0 only if lost = shown_twice = unexpected = 0 and nothing else went wrong.
 * See test/support/crash-run.ts for what each figure counts. Unknown flags are refused.
 */

const USAGE = `usage: npm run crash-test -- [--kills N] [--seed N] [--failpoints SHARE] [--data-dir DIR]
  --kills N          kill -9s of the server (default 1000)
  --seed N           seed of the workload and kill schedule (default: random, printed)
  --failpoints P     share of runs that arm a failpoint, 0..1 (default 0.4)
  --data-dir DIR     keep the server's data (and its log) here (default: a temp dir, removed after)
  --log-level LEVEL  the server's log level: error, warn (default), info or debug
  --trace            trace every client's traffic and explain each lost message (debugging)
  --help             this text`;

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

function parseOptions(argv: readonly string[]) {
  const values = parseFlags('crash-test', USAGE, argv, {
    kills: { type: 'string' },
    seed: { type: 'string' },
    failpoints: { type: 'string' },
    'data-dir': { type: 'string' },
    'log-level': { type: 'string' },
    trace: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  const num = (flag: 'kills' | 'seed' | 'failpoints', max: number, integer: boolean): number | undefined => numberFlag('crash-test', USAGE, flag, values[flag], 0, max, integer);
  const logLevel = values['log-level'] ?? 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) usageError('crash-test', USAGE, `--log-level wants ${LOG_LEVELS.join(', ')}, got ${logLevel}`);
  return {
    help: values.help === true,
    kills: num('kills', 1_000_000, true) ?? 1000,
    seed: num('seed', 2 ** 31 - 1, true) ?? Math.floor(Math.random() * 0x7fffffff),
    failpointShare: num('failpoints', 1, false) ?? 0.4,
    dataDir: values['data-dir'],
    logLevel: logLevel as (typeof LOG_LEVELS)[number],
    trace: values.trace === true,
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { kills, seed, failpointShare, dataDir } = options;
  process.stderr.write(`crash test: ${kills} kills, seed ${seed}\n`);
  const result = await runCrashTest({ kills, seed, failpointShare, ...(dataDir ? { dataDir } : {}), serverLogLevel: options.logLevel, trace: options.trace, progress: (line) => process.stderr.write(`  ${line}\n`) });
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
