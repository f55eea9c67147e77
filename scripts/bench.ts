import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatTable, type SectionResult } from './bench/report';
import { withCpuProfile } from './bench/profile';
import { nowMs } from './bench/stats';
import { benchDirect } from './bench/section-direct';
import { benchFanOut } from './bench/section-fanout';
import { benchTable } from './bench/section-table';
import { benchDurable } from './bench/section-durable';
import { benchMemory } from './bench/section-memory';
import { benchCli } from './bench/section-cli';
import { benchStartup } from './bench/section-startup';
import { BenchSetup, type StoreVariant } from './bench/nodes';
import { numberFlag, parseFlags, usageError } from './script-flags';

/**
 * `npm run bench`: ChatApp's figures, each against a raw baseline measured in the same run
 * on the same machine. Each section says which stores and logger its nodes used: by default
 * those the `chatapp` command runs (sections 1-3 build them in this process in a temp data
 * directory; 5 and 6 run the command itself). See USAGE for the options.
 */
type Section = { id: number; tag: string; title: string; setup: string; run: () => Promise<Omit<SectionResult, 'seconds'>> };

const USAGE = `usage: npm run bench [-- options]
  --only 1,3         run these sections only (1 direct, 2 send_all, 3 10,000-client table,
                     4 durable saves, 5 server memory, 6 chatapp processes, 7 or startup:
                     start-up and resident memory of the chatapp command)
  --clients <n>      online clients in section 3 (default 10000)
  --storm <n>        registrations in section 3's storm, within one second (default 1000)
  --stores <which>   stores and logger of sections 1-3, whose nodes run in this process:
                     command (default): file stores in a temp data dir and a winston log file
                       at info, as the chatapp command runs; memory: in-memory stores and no
                       logger (shown as 1m, 2m, 3m); both: each section twice, side by side
  --out <file>       where the JSON goes (default bench-results.json)
  --cpu-prof <dir>   write a V8 CPU profile of each section's main thread there
  --help             this text (an unknown flag is an error: exit status 2)
environment: BENCH_CHATAPP_BIN=<file> runs sections 5-7 against another chatapp build;
  BENCH_CHILD_CPU_PROF=<dir> makes each process sections 5-7 start write a V8 CPU profile there;
  BENCH_KEEP_DATA=1 keeps the data directories and logs of sections 1-3.`;

interface Options {
  only: Set<number> | undefined;
  variants: StoreVariant[];
  out: string;
  profileDir: string | undefined;
  clients: number;
  storm: number;
}

/** Run `fn` on a fresh setup of `variant` (a temp data dir for files), closed and removed afterwards. */
async function onSetup<T>(variant: StoreVariant, fn: (setup: BenchSetup) => Promise<T>): Promise<T> {
  const setup = await BenchSetup.create(variant);
  let result: T;
  try {
    result = await fn(setup);
  } catch (error) {
    // The section's own failure is the one to report, not a clean-up that failed after it.
    await setup.close().catch(() => undefined);
    throw error;
  }
  await setup.close();
  return result;
}

const sections = (options: Options): Section[] => [
  ...options.variants.flatMap((variant): Section[] => {
    const tag = variant === 'command' ? '' : 'm';
    const setup = BenchSetup.describe(variant);
    return [
      { id: 1, tag, setup, title: 'direct message send → ACK', run: () => onSetup(variant, (s) => benchDirect(s, { messages: 2000 })) },
      { id: 2, tag, setup, title: 'send_all fan-out to 1,000 clients', run: () => onSetup(variant, (s) => benchFanOut(s, { clients: 1000, rounds: 5 })) },
      { id: 3, tag, setup, title: '10,000-client table', run: () => onSetup(variant, (s) => benchTable(s, { clients: options.clients, storm: options.storm, stormMs: 1000 })) },
    ];
  }),
  { id: 4, tag: '', setup: 'FsMailboxStore alone', title: 'durable offline saves', run: () => benchDurable({ sequential: 1000, concurrent: 5000, inFlight: 64 }) },
  { id: 5, tag: '', setup: 'the chatapp command itself', title: 'server memory with 10,000 clients', run: () => benchMemory({ clients: 10_000 }) },
  { id: 6, tag: '', setup: 'the chatapp command itself', title: 'the chatapp processes', run: () => benchCli({ starts: 7, messages: 300, burst: 200, burstRounds: 5, directMessages: 1000 }) },
  { id: 7, tag: '', setup: 'the chatapp command itself', title: 'start-up and resident memory', run: () => benchStartup({ starts: 7 }) },
].sort((a, b) => a.id - b.id);

/** Sections that may also be named in --only. */
const SECTION_NAMES: Readonly<Record<string, string>> = { startup: '7' };

function parseOptions(argv: readonly string[]): Options {
  const values = parseFlags('bench', USAGE, argv, {
    only: { type: 'string' },
    clients: { type: 'string' },
    storm: { type: 'string' },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
    stores: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  let only: Set<number> | undefined;
  if (values.only !== undefined) {
    const ids = values.only.split(',').map((x) => SECTION_NAMES[x.trim()] ?? x.trim());
    if (ids.some((x) => !/^[1-7]$/.test(x))) usageError('bench', USAGE, `--only ${values.only}: expected section numbers 1-7 (or startup), separated by commas`);
    only = new Set(ids.map(Number));
  }
  const count = (flag: 'clients' | 'storm', fallback: number): number => numberFlag('bench', USAGE, flag, values[flag], 1, 1_000_000, true) ?? fallback;
  const stores = values.stores ?? 'command';
  if (stores !== 'command' && stores !== 'memory' && stores !== 'both') usageError('bench', USAGE, `--stores ${stores}: expected command, memory or both`);
  return {
    only,
    variants: stores === 'both' ? ['command', 'memory'] : [stores],
    out: path.resolve(values.out ?? 'bench-results.json'),
    profileDir: values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']),
    clients: count('clients', 10_000),
    storm: count('storm', 1000),
  };
}

/**
 * Variables that make every Node process do fixed work at its start, whatever it runs: with
 * NODE_EXTRA_CA_CERTS set, each start reads and parses that CA bundle (here about 45 ms and
 * 1.7 MiB for the system's bundle), which would be added to both sides of the start-up and
 * memory ratios and so flatter them. The processes the bench starts run without them.
 */
const START_COST_VARIABLES = ['NODE_EXTRA_CA_CERTS'] as const;

/** Remove START_COST_VARIABLES from this process's environment (which children inherit); the names removed. */
function withoutStartCosts(env: NodeJS.ProcessEnv): string[] {
  const removed = START_COST_VARIABLES.filter((name) => env[name] !== undefined);
  for (const name of removed) delete env[name];
  return removed;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const removed = withoutStartCosts(process.env);
  const { only, out, profileDir } = options;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const started = nowMs();
  const results: SectionResult[] = [];
  for (const section of sections(options)) {
    if (only && !only.has(section.id)) continue;
    process.stderr.write(`[bench] ${section.id}${section.tag}. ${section.title} (${section.setup}) …\n`);
    const t0 = nowMs();
    try {
      const r = profileDir ? await withCpuProfile(path.join(profileDir, `bench-${section.id}.cpuprofile`), section.run) : await section.run();
      results.push({ ...r, seconds: (nowMs() - t0) / 1000 });
    } catch (error) {
      results.push({ id: section.id, tag: section.tag, title: section.title, setup: section.setup, rows: [], notes: [], seconds: (nowMs() - t0) / 1000, error: error instanceof Error ? error.message : String(error) });
    }
    process.stderr.write(`[bench] ${section.id}${section.tag} done in ${((nowMs() - t0) / 1000).toFixed(1)} s\n`);
  }
  const seconds = (nowMs() - started) / 1000;
  const machine = `${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
  const environment = removed.length > 0 ? `Removed from the environment of every process the bench started (each Node start would read what it names): ${removed.join(', ')}\n\n` : '';
  process.stdout.write(`ChatApp bench — ${machine}\n\n${formatTable(results)}\n\n${environment}Total ${seconds.toFixed(1)} s\n`);
  writeFileSync(out, `${JSON.stringify({ machine, date: new Date().toISOString(), seconds, removedFromEnvironment: removed, sections: results }, null, 2)}\n`);
  process.stdout.write(`Results written to ${path.relative(process.cwd(), out)}\n`);
  return results.some((r) => r.error) ? 1 : 0;
}

// Exit explicitly: a section that failed half-way may leave sockets or a worker behind.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
