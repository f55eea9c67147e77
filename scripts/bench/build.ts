import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
/** The command the process figures run; BENCH_CHATAPP_BIN points them at another build (a bundle, say). */
export const BIN = process.env['BENCH_CHATAPP_BIN'] ?? path.join(ROOT, 'bin/chatapp.js');

let built = false;

/** Compile src to dist (what bin/chatapp.js runs) once per bench run, so the processes run the current code. */
export function ensureBuilt(): void {
  if (built || process.env['BENCH_CHATAPP_BIN']) return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  built = true;
}
