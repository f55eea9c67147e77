import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { SecretStore } from '../../application/ports/secret-store';
import { ensureDurableDir, NodeFileSystem, type FileSystem } from './file-system';
import { KeyedQueue } from './keyed-queue';

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
 */
export class FsSecretStore implements SecretStore {
  private readonly secretsDir: string;
  private readonly queue = new KeyedQueue();

  /** `folder` and `extension` name where the secrets go (the key store keeps its key files the same way). */
  constructor(
    dir: string,
    private readonly fs: FileSystem = new NodeFileSystem(),
    folder = 'secrets',
    private readonly extension = '.secret',
  ) {
    this.secretsDir = path.join(dir, folder);
  }

  secretFor(nameKey: string, create: () => string): Promise<string> {
    // One at a time per name, so two registrations in this process cannot mint two secrets.
    return this.queue.run(nameKey, () => this.secretNow(nameKey, create));
  }

  private async secretNow(nameKey: string, create: () => string): Promise<string> {
    const file = path.join(this.secretsDir, `${createHash('sha256').update(nameKey, 'utf8').digest('hex')}${this.extension}`);
    const existing = await this.read(file);
    if (existing !== undefined) return existing;
    await ensureDurableDir(this.fs, this.secretsDir, SECRET_DIR_MODE);
    const secret = create();
    const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await this.fs.open(temp, 'exclusive', SECRET_FILE_MODE);
    try {
      await handle.append(Buffer.from(secret, 'utf8'));
      await handle.sync();
    } finally {
      await handle.close();
    }
    let linked = false;
    try {
      await this.fs.link(temp, file);
      linked = true;
    } catch (e) {
      // EEXIST: another process won the race. Another errno (no hard links on this file
      // system): fall back to rename below. Not an errno at all: a bug, let it through.
      if (errno(e) === undefined) throw e;
    }
    const stored = linked ? secret : await this.read(file);
    // An empty file (never written by this store) is no secret: replace it.
    if (stored === undefined) await this.fs.rename(temp, file);
    else await this.fs.unlink(temp);
    await this.fs.syncDir(this.secretsDir);
    return stored ?? secret;
  }

  private async read(file: string): Promise<string | undefined> {
    const data = await this.fs.readFile(file);
    if (data === undefined || data.length === 0) return undefined;
    return data.toString('utf8');
  }
}
