import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
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
import { numberFlag, parseFlags, usageError } from './script-flags';

/**
 * `npm run bench`: ChatApp's figures, each against a raw baseline measured in the same run
 * on the same machine. See USAGE for the options.
 */
type Section = { id: number; title: string; run: () => Promise<Omit<SectionResult, 'seconds'>> };

const USAGE = `usage: npm run bench [-- options]
  --only 1,3         run these sections only (1 direct, 2 send_all, 3 10,000-client table,
                     4 durable saves, 5 server memory, 6 chatapp processes)
  --clients <n>      online clients in section 3 (default 10000)
  --storm <n>        registrations in section 3's storm, within one second (default 1000)
  --out <file>       where the JSON goes (default bench-results.json)
  --cpu-prof <dir>   write a V8 CPU profile of each section's main thread there
  --help             this text (an unknown flag is an error: exit status 2)
environment: BENCH_CHATAPP_BIN=<file> runs section 5 and 6 against another chatapp build.`;

interface Options {
  only: Set<number> | undefined;
  out: string;
  profileDir: string | undefined;
  clients: number;
  storm: number;
}

const sections = (options: Options): Section[] => [
  { id: 1, title: 'direct message send → ACK', run: () => benchDirect({ messages: 2000 }) },
  { id: 2, title: 'send_all fan-out to 1,000 clients', run: () => benchFanOut({ clients: 1000, rounds: 5 }) },
  { id: 3, title: '10,000-client table', run: () => benchTable({ clients: options.clients, storm: options.storm, stormMs: 1000 }) },
  { id: 4, title: 'durable offline saves', run: () => benchDurable({ sequential: 1000, concurrent: 5000, inFlight: 64 }) },
  { id: 5, title: 'server memory with 10,000 clients', run: () => benchMemory({ clients: 10_000 }) },
  { id: 6, title: 'the chatapp processes', run: () => benchCli({ starts: 7, messages: 200, burst: 200 }) },
];

function parseOptions(argv: readonly string[]): Options {
  const values = parseFlags('bench', USAGE, argv, {
    only: { type: 'string' },
    clients: { type: 'string' },
    storm: { type: 'string' },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  let only: Set<number> | undefined;
  if (values.only !== undefined) {
    const ids = values.only.split(',').map((x) => x.trim());
    if (ids.some((x) => !/^[1-6]$/.test(x))) usageError('bench', USAGE, `--only ${values.only}: expected section numbers 1-6, separated by commas`);
    only = new Set(ids.map(Number));
  }
  const count = (flag: 'clients' | 'storm', fallback: number): number => numberFlag('bench', USAGE, flag, values[flag], 1, 1_000_000, true) ?? fallback;
  return {
    only,
    out: path.resolve(values.out ?? 'bench-results.json'),
    profileDir: values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']),
    clients: count('clients', 10_000),
    storm: count('storm', 1000),
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const { only, out, profileDir } = options;
  const started = nowMs();
  const results: SectionResult[] = [];
  for (const section of sections(options)) {
    if (only && !only.has(section.id)) continue;
    process.stderr.write(`[bench] ${section.id}. ${section.title} …\n`);
    const t0 = nowMs();
    try {
      const r = profileDir ? await withCpuProfile(path.join(profileDir, `bench-${section.id}.cpuprofile`), section.run) : await section.run();
      results.push({ ...r, seconds: (nowMs() - t0) / 1000 });
    } catch (error) {
      results.push({ id: section.id, title: section.title, rows: [], notes: [], seconds: (nowMs() - t0) / 1000, error: error instanceof Error ? error.message : String(error) });
    }
    process.stderr.write(`[bench] ${section.id} done in ${((nowMs() - t0) / 1000).toFixed(1)} s\n`);
  }
  const seconds = (nowMs() - started) / 1000;
  const machine = `${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
  process.stdout.write(`ChatApp bench — ${machine}\n\n${formatTable(results)}\n\nTotal ${seconds.toFixed(1)} s\n`);
  writeFileSync(out, `${JSON.stringify({ machine, date: new Date().toISOString(), seconds, sections: results }, null, 2)}\n`);
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
