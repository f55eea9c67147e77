import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

const children = new Set<ChildProcess>();
let installed = false;

/**
 * Kill `child` when this process ends, however it ends: normally, or told to stop (a test's
 * timeout ends a script with SIGTERM, a user presses Ctrl-C). A script killed that way must not
 * leave servers and clients running behind it.
 */
export function reapOnExit(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
  // Without a listener Node ends at once on these, and its exit listeners never run.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => process.exit(128 + constants.signals[signal]));
  }
}
