import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeFileSystem } from '../../../../src/adapters/fs/file-system';
import { PidLock } from '../../../../src/adapters/fs/pid-lock';

describe('adapters/fs/pid-lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-lock-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a lock whose whole line names a live process', async () => {
    fs.writeFileSync(path.join(dir, 'chatapp.lock'), `${process.ppid}\n`);
    let error: unknown;
    await new PidLock(new NodeFileSystem(), dir).acquire().catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/another ChatApp server \(pid \d+\) is using/);
  });

  it('takes over a torn lock (a power cut kept a prefix of the pid, which may name a live stranger)', async () => {
    fs.writeFileSync(path.join(dir, 'chatapp.lock'), `${process.ppid}`);
    const lock = new PidLock(new NodeFileSystem(), dir);
    await lock.acquire();
    expect(fs.readFileSync(path.join(dir, 'chatapp.lock'), 'ascii')).to.equal(`${process.pid}\n`);
    await lock.release();
  });
});
