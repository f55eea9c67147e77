import fs from 'node:fs';
import path from 'node:path';

function code(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null ? (e as NodeJS.ErrnoException).code : undefined;
}

/**
 * The directories to make for `dir` to exist, outermost first, found by stat: from `dir` up to
 * the first that exists. Each is then made with a plain mkdir, so a parent that exists but cannot
 * hold the child (a path under /proc, a dangling symbolic link) fails once, with the child's error.
 * Node's own `recursive: true` retries such a path forever: the process spun at full CPU with
 * no output when given `--data-dir /proc/x`.
 */
function missingSync(target: string): string[] {
  const missing: string[] = [];
  for (let d = target; ; d = path.dirname(d)) {
    try {
      fs.statSync(d);
      return missing.reverse();
    } catch (e) {
      if (code(e) !== 'ENOENT' || path.dirname(d) === d) throw e;
      missing.push(d);
    }
  }
}

/**
 * mkdir -p `dir` (see missingSync); returns the first directory it made, or undefined if it
 * existed. On the spot: a few stat and mkdir calls, made when a store or log is first opened.
 */
export function makeDirSync(dir: string, mode?: number): string | undefined {
  let first: string | undefined;
  for (const d of missingSync(path.resolve(dir))) {
    try {
      fs.mkdirSync(d, mode === undefined ? undefined : { mode });
      first ??= d;
    } catch (e) {
      // Made meanwhile by another process; anything else (the child's ENOENT too) is final.
      if (code(e) !== 'EEXIST') throw e;
    }
  }
  if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR' });
  return first;
}
