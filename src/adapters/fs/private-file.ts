import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { makeDirSync } from './make-dir';

/**
 * Write `text` to a new temp file beside `file` (mode 0600, its directory made if missing),
 * fsynced, and return its path: the caller renames it over `file` (replace) or links it to
 * `file` (create only), so no reader ever sees half of it.
 */
export function writeSyncedTemp(file: string, text: string): string {
  makeDirSync(path.dirname(path.resolve(file)));
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return temp;
}

/**
 * Replace `file` with `text` without blocking the event loop: a temp file beside it (mode 0600),
 * fsynced, then renamed over it, so a crash leaves the old contents or the new, never half.
 */
export async function writeFileDurably(file: string, text: string): Promise<void> {
  makeDirSync(path.dirname(path.resolve(file)));
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await fsp.open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temp, file);
}
