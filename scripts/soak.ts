import 'reflect-metadata';
import {
  CHANNEL_DEFAULTS,
  DIRECT_DEFAULTS,
  formatSummary,
  runChannelSoak,
  runDirectSoak,
  soakPassed,
  type SoakOptions,
  type SoakSummary,
} from '../test/support/soak-run';
import { numberFlag, parseFlags, usageError } from './script-flags';

/**
 * `npm run soak`: the reliability soak of SPEC §5 at full scale (50 clients, 10,000 direct
 * messages at 20% loss, 5% duplication, 10% reordering, during which 5 clients leave silently
 * and new names register from their addresses; then 1,000 send_all with 10 clients offline at
 * 20% loss), in simulated time. Exit status 0 only if nothing was lost, shown twice, shown
 * unexpectedly or to someone other than its addressee in either run, no error escaped the
 * code, and every sender printed one outcome line per message. Options (see USAGE) apply to
 * both runs unless they say otherwise; the seed replays a run exactly.
 */

const USAGE = `usage: npm run soak -- [options]
  --only direct|channel   run one soak (default: both, direct first)
  --clients N             clients (default 50)
  --messages N            messages of each soak (default 10000 direct, 1000 channel)
  --offline N             channel soak: clients offline before the messages (default 10, or clients/5)
  --takeovers N           direct soak: clients that leave silently while a new name registers
                          from their ip:port, the others still writing to them (default 5)
  --loss P                loss per datagram, 0..1 (default 0.2)
  --dup P                 duplication per datagram (default 0.05 direct, 0 channel)
  --reorder P             share of datagrams delayed (default 0.1 direct, 0 channel)
  --reorder-ms N          greatest extra delay of a reordered datagram (default 200)
  --latency-ms N          delay of every datagram (default 0)
  --quota N               messages a mailbox may hold (default 1000); small, members' mailboxes
                          fill up and every copy not kept must be reported (not_kept_reported)
  --seed N                seed of the network faults and the message plan (default 1)
  --quiet                 no progress lines on stderr`;

interface Args {
  only: 'direct' | 'channel' | undefined;
  common: Partial<SoakOptions>;
  direct: Partial<SoakOptions>;
  channel: Partial<SoakOptions>;
  quiet: boolean;
}

function parseSoakArgs(argv: readonly string[]): Args {
  const values = parseFlags('soak', USAGE, argv, {
    only: { type: 'string' },
    clients: { type: 'string' },
    messages: { type: 'string' },
    offline: { type: 'string' },
    takeovers: { type: 'string' },
    loss: { type: 'string' },
    dup: { type: 'string' },
    reorder: { type: 'string' },
    'reorder-ms': { type: 'string' },
    'latency-ms': { type: 'string' },
    quota: { type: 'string' },
    seed: { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.only !== undefined && values.only !== 'direct' && values.only !== 'channel') fail(`--only ${values.only}: expected direct or channel`);
  const num = (flag: keyof typeof values, min: number, max: number, integer: boolean): number | undefined => numberFlag('soak', USAGE, flag, values[flag] as string | undefined, min, max, integer);
  const common: Partial<Record<keyof SoakOptions, number>> = {};
  const set = (key: keyof SoakOptions, value: number | undefined): void => {
    if (value !== undefined) common[key] = value;
  };
  set('clients', num('clients', 2, 100_000, true));
  set('messages', num('messages', 0, 10_000_000, true));
  set('loss', num('loss', 0, 0.99, false));
  set('duplicate', num('dup', 0, 1, false));
  set('reorder', num('reorder', 0, 1, false));
  set('reorderMaxDelayMs', num('reorder-ms', 0, 60_000, true));
  set('latencyMs', num('latency-ms', 0, 60_000, true));
  set('seed', num('seed', 0, 2 ** 32 - 1, true));
  const quota = num('quota', 1, 1_000_000, true);
  const offline = num('offline', 0, 100_000, true);
  const takeovers = num('takeovers', 0, 100_000, true);
  return {
    only: values.only,
    common: { ...(common as Partial<SoakOptions>), ...(quota === undefined ? {} : { settings: { mailboxQuota: { maxMessages: quota, maxBytes: 1024 * 1024 } } }) },
    direct: takeovers === undefined ? {} : { takeovers },
    channel: offline === undefined ? {} : { offline },
    quiet: values.quiet ?? false,
  };
}

function fail(message: string): never {
  return usageError('soak', USAGE, message);
}

async function main(): Promise<void> {
  const args = parseSoakArgs(process.argv.slice(2));
  const progress = args.quiet ? undefined : (line: string): void => void process.stderr.write(`${line}\n`);
  const summaries: SoakSummary[] = [];
  const started = performance.now();
  if (args.only !== 'channel') {
    const options = { ...DIRECT_DEFAULTS, ...args.common, ...args.direct, ...(progress ? { progress } : {}) };
    if (options.takeovers >= options.clients) fail(`--takeovers ${options.takeovers}: at most clients - 1 (${options.clients - 1})`);
    progress?.(`direct soak: ${options.clients} clients, ${options.messages} messages, ${options.takeovers} takeovers, seed ${options.seed}…`);
    const summary = await runDirectSoak(options);
    console.log(formatSummary(summary));
    summaries.push(summary);
  }
  if (args.only !== 'direct') {
    // A smaller run keeps the default's share of offline clients (one in five).
    const offline = args.channel.offline ?? (args.common.clients !== undefined ? Math.floor(args.common.clients / 5) : CHANNEL_DEFAULTS.offline);
    const options = { ...CHANNEL_DEFAULTS, ...args.common, offline, ...(progress ? { progress } : {}) };
    if (options.offline >= options.clients) fail(`--offline ${options.offline} leaves no client online to send`);
    progress?.(`channel soak: ${options.clients} clients (${options.offline} offline), ${options.messages} send_all, seed ${options.seed}…`);
    const summary = await runChannelSoak(options);
    if (summaries.length > 0) console.log('');
    console.log(formatSummary(summary));
    summaries.push(summary);
  }
  const passed = summaries.every(soakPassed);
  console.log(`\nsoak ${passed ? 'PASSED' : 'FAILED'} in ${((performance.now() - started) / 1000).toFixed(1)} s wall`);
  process.exitCode = passed ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error('soak crashed:', error);
  process.exitCode = 1;
});
