import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SecretStore } from '../../application/ports/secret-store';
import { ensureDurableDirSync, syncDirSync } from './file-system';

const SECRET_FILE_MODE = 0o600;
const SECRET_DIR_MODE = 0o700;

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null ? (e as NodeJS.ErrnoException).code : undefined;
}

/**
 * A client's per-name secrets in `<dir>/secrets/<sha256(nameKey)>.secret`, readable only by
 * its owner (0600). A new secret is written to a temp file and fsynced before it gets its
 * name, so a crash never leaves a half-written secret that would lock the user out of the name;
 * the name is given with link(2), which never replaces a secret another process created first.
 *
 * The files are read and made on the spot (synchronous calls): a client needs them once, to
 * register, and waits for nothing else meanwhile. A name's first start makes two such files
 * (its secret and its key), each some thirty system calls of which seven are fsyncs (most of
 * directories that did not change); one after another both take 2-4 ms here. Through the
 * thread pool, a dozen round trips each, they took about 12 ms, most of it waiting for pool
 * threads and the event loop, and the registration waited for them.
 */
export class FsSecretStore implements SecretStore {
  private readonly secretsDir: string;

  /** `folder` and `extension` name where the secrets go (the key store keeps its key files the same way). */
  constructor(
    dir: string,
    folder = 'secrets',
    private readonly extension = '.secret',
  ) {
    this.secretsDir = path.join(dir, folder);
  }

  secretFor(nameKey: string, create: () => string): Promise<string> {
    // Synchronous, so two registrations in this process cannot mint two secrets.
    try {
      return Promise.resolve(this.secretNow(nameKey, create));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private secretNow(nameKey: string, create: () => string): string {
    const file = path.join(this.secretsDir, `${createHash('sha256').update(nameKey, 'utf8').digest('hex')}${this.extension}`);
    const existing = this.read(file);
    if (existing !== undefined) return existing;
    ensureDurableDirSync(this.secretsDir, SECRET_DIR_MODE);
    const secret = create();
    const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = fs.openSync(temp, 'wx', SECRET_FILE_MODE);
    try {
      const data = Buffer.from(secret, 'utf8');
      // write(2) may be short: loop so a secret is never cut.
      for (let written = 0; written < data.length; ) written += fs.writeSync(fd, data, written, data.length - written);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    let linked = false;
    try {
      fs.linkSync(temp, file);
      linked = true;
    } catch (e) {
      // EEXIST: another process won the race. Another errno (no hard links on this file
      // system): fall back to rename below. Not an errno at all: a bug, let it through.
      if (errno(e) === undefined) throw e;
    }
    const stored = linked ? secret : this.read(file);
    // An empty file (never written by this store) is no secret: replace it.
    if (stored === undefined) fs.renameSync(temp, file);
    else fs.unlinkSync(temp);
    syncDirSync(this.secretsDir);
    return stored ?? secret;
  }

  private read(file: string): string | undefined {
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined;
      throw e;
    }
    return data.length === 0 ? undefined : data.toString('utf8');
  }
}
