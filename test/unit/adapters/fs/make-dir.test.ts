import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeDirSync } from '../../../../src/adapters/fs/make-dir';

describe('adapters/fs: makeDirSync (mkdir -p that ends)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-make-dir-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('makes every missing folder, with the mode given, and returns the first it made', () => {
    const target = path.join(dir, 'a', 'b', 'c');
    expect(makeDirSync(target, 0o700)).to.equal(path.join(dir, 'a'));
    expect(fs.statSync(target).isDirectory()).to.equal(true);
    if (process.platform !== 'win32') expect(fs.statSync(path.join(dir, 'a', 'b')).mode & 0o777).to.equal(0o700);
  });

  it('returns undefined for a folder that exists, and makes only the missing tail', () => {
    expect(makeDirSync(dir)).to.equal(undefined);
    fs.mkdirSync(path.join(dir, 'x'));
    expect(makeDirSync(path.join(dir, 'x', 'y'))).to.equal(path.join(dir, 'x', 'y'));
  });

  it('fails with ENOTDIR where a file stands in the path or at the end', () => {
    fs.writeFileSync(path.join(dir, 'f'), '');
    expect(() => makeDirSync(path.join(dir, 'f', 'sub'))).to.throw().with.property('code', 'ENOTDIR');
    expect(() => makeDirSync(path.join(dir, 'f'))).to.throw().with.property('code', 'ENOTDIR');
  });

  // Node's `recursive: true` spins forever on both: a parent that exists (EEXIST) whose child cannot be made (ENOENT).
  it('fails once, with ENOENT, under a dangling symbolic link and under /proc', () => {
    const paths: string[] = [];
    if (process.platform !== 'win32') {
      fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, 'dangling'));
      paths.push(path.join(dir, 'dangling', 'data', 'logs'));
    }
    if (fs.existsSync('/proc/self')) paths.push('/proc/chatapp-not-here/logs');
    for (const p of paths) expect(() => makeDirSync(p), p).to.throw().with.property('code', 'ENOENT');
  });
});
