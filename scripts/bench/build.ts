import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
/** The command the process figures run; BENCH_CHATAPP_BIN points them at another build (a bundle, say). */
export const BIN = process.env['BENCH_CHATAPP_BIN'] ?? path.join(ROOT, 'bin/chatapp.js');

let built = false;

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(file) : statSync(file).mtimeMs);
  }
  return newest;
}

function mtimeMs(file: string): number {
  try {
    return statSync(path.join(ROOT, file)).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Compile src to dist and bundle it (what bin/chatapp.js runs), each step unless its output
 * is newer than its input, so the processes run the current code.
 */
export function ensureBuilt(): void {
  if (built || process.env['BENCH_CHATAPP_BIN']) return;
  if (mtimeMs('dist/composition/main.js') < newestSourceMs(path.join(ROOT, 'src'))) {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  }
  // tsc rewrites every output file, so main.js stands for all of dist.
  if (mtimeMs('dist/bundle/chatapp.js') < mtimeMs('dist/composition/main.js')) {
    execFileSync(process.execPath, ['-r', 'ts-node/register', path.join(ROOT, 'scripts/build-bundle.ts')], { cwd: ROOT, stdio: 'inherit' });
  }
  built = true;
}
