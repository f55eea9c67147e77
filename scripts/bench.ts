import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatTable, type SectionResult } from './bench/report';
import { nowMs } from './bench/stats';
import { benchDirect } from './bench/section-direct';
import { benchFanOut } from './bench/section-fanout';

/**
 * `npm run bench`: ChatApp's figures, each against a raw baseline measured in the same run
 * on the same machine. `--only 1,3` runs a subset; `--out file.json` changes the JSON path.
 */
type Section = { id: number; title: string; run: () => Promise<Omit<SectionResult, 'seconds'>> };

const SECTIONS: Section[] = [
  { id: 1, title: 'direct message send → ACK', run: () => benchDirect({ messages: 2000 }) },
  { id: 2, title: 'send_all fan-out to 1,000 clients', run: () => benchFanOut({ clients: 1000, rounds: 5 }) },
];

function parseArgs(argv: string[]): { only: Set<number> | undefined; out: string } {
  let only: Set<number> | undefined;
  let out = path.resolve('bench-results.json');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--only' || arg.startsWith('--only=')) only = new Set(value().split(',').map((s) => Number(s.trim())));
    else if (arg === '--out' || arg.startsWith('--out=')) out = path.resolve(value());
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run bench [-- --only 1,3] [--out bench-results.json]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return { only, out };
}

async function main(): Promise<void> {
  const { only, out } = parseArgs(process.argv.slice(2));
  const started = nowMs();
  const results: SectionResult[] = [];
  for (const section of SECTIONS) {
    if (only && !only.has(section.id)) continue;
    process.stderr.write(`[bench] ${section.id}. ${section.title} …\n`);
    const t0 = nowMs();
    try {
      const r = await section.run();
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
  if (results.some((r) => r.error)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
