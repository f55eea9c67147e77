import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { crashRunPassed, formatFigures, runCrashTest } from '../test/support/crash-run';

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

class UsageError extends Error {}

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

function numberOption(name: string, raw: string | undefined, fallback: number, integer: boolean): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} wants a non-negative ${integer ? 'integer' : 'number'}, got ${raw}`);
  }
  return value;
}

function parseOptions(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        kills: { type: 'string' },
        seed: { type: 'string' },
        failpoints: { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        trace: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const logLevel = values['log-level'] ?? 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level wants ${LOG_LEVELS.join(', ')}, got ${logLevel}`);
  return {
    help: values.help === true,
    kills: numberOption('kills', values.kills, 1000, true),
    seed: numberOption('seed', values.seed, Math.floor(Math.random() * 0x7fffffff), true),
    failpointShare: Math.min(1, numberOption('failpoints', values.failpoints, 0.4, false)),
    dataDir: values['data-dir'],
    logLevel: logLevel as (typeof LOG_LEVELS)[number],
    trace: values.trace === true,
  };
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`crash-test: ${e.message}\n${USAGE}\n`);
    return 2;
  }
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
