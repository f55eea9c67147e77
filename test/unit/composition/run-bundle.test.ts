import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLE_WRAPPER, CodeCache, codeCacheDir, roleOf, runBundle } from '../../../src/composition/run-bundle';

const uid = process.getuid?.() ?? -1;

describe('run-bundle (the chatapp command start-up)', () => {
  let dir = '';
  let bundle = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-run-bundle-'));
    bundle = path.join(dir, 'bundle.js');
    // A CommonJS file as the build writes it (inside the module wrapper): uses require, module and __dirname.
    fs.writeFileSync(bundle, `${BUNDLE_WRAPPER.head}module.exports.ran = true; globalThis.__runBundleSeen = { sep: require('node:path').sep, dirname: __dirname, exports: module.exports };${BUNDLE_WRAPPER.tail}`);
  });
  afterEach(() => {
    delete (globalThis as { __runBundleSeen?: unknown }).__runBundleSeen;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const seen = (): { sep: string; dirname: string; exports: { ran?: boolean } } | undefined => (globalThis as { __runBundleSeen?: { sep: string; dirname: string; exports: { ran?: boolean } } }).__runBundleSeen;

  it('the cache directory is $XDG_CACHE_HOME/chatapp when absolute, else ~/.cache/chatapp', () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: '/x/cache' }, () => '/home/u')).to.equal(path.join('/x/cache', 'chatapp'));
    expect(codeCacheDir({ XDG_CACHE_HOME: 'relative' }, () => '/home/u')).to.equal(path.join('/home/u', '.cache', 'chatapp'));
    expect(codeCacheDir({}, () => '/home/u')).to.equal(path.join('/home/u', '.cache', 'chatapp'));
    expect(
      codeCacheDir({}, () => {
        throw new Error('no home');
      }),
    ).to.equal(undefined);
  });

  it('names the role from the command line', () => {
    expect(roleOf(['-c', 'alice', '127.0.0.1', '5000', '6001'])).to.equal('client');
    expect(roleOf(['-s', '5000'])).to.equal('server');
    expect(roleOf([])).to.equal('other');
  });

  it('a cache written is read back, from a directory (0700) and a file (0600) only the user can write', () => {
    const cacheDir = path.join(dir, 'cache', 'chatapp');
    const cache = new CodeCache(cacheDir, bundle, fs.statSync(bundle), 'client');
    expect(cache.read()).to.equal(undefined);
    expect(cache.write(Buffer.from('cached'))).to.equal(true);
    expect(cache.read()?.toString()).to.equal('cached');
    expect(fs.statSync(cacheDir).mode & 0o777).to.equal(0o700);
    expect(fs.statSync(cache.path).mode & 0o777).to.equal(0o600);
    expect(fs.readdirSync(cacheDir)).to.deep.equal([path.basename(cache.path)]);
  });

  it('a cache directory that cannot be made (under /proc, a dangling link) means no cache, at once', () => {
    const cacheDirs = [path.join(dir, 'dangling', 'chatapp'), ...(fs.existsSync('/proc/self') ? ['/proc/chatapp-not-here/chatapp'] : [])];
    fs.symlinkSync(path.join(dir, 'unmounted'), path.join(dir, 'dangling'));
    // Node's mkdir -p spun forever on both, at the exit of every start that wrote its cache.
    for (const cacheDir of cacheDirs) {
      const cache = new CodeCache(cacheDir, bundle, fs.statSync(bundle), 'client');
      expect(cache.write(Buffer.from('cached')), cacheDir).to.equal(false);
      expect(cache.read()).to.equal(undefined);
    }
  });

  it('a cache others can write, or someone else owns, is neither read nor written', () => {
    const cacheDir = path.join(dir, 'cache');
    const cache = new CodeCache(cacheDir, bundle, fs.statSync(bundle), 'client');
    expect(cache.write(Buffer.from('cached'))).to.equal(true);
    fs.chmodSync(cacheDir, 0o777);
    expect(cache.read()).to.equal(undefined);
    expect(cache.write(Buffer.from('other'))).to.equal(false);
    fs.chmodSync(cacheDir, 0o700);
    fs.chmodSync(cache.path, 0o666);
    expect(cache.read()).to.equal(undefined);
    fs.chmodSync(cache.path, 0o600);
    expect(new CodeCache(cacheDir, bundle, fs.statSync(bundle), 'client', { uid: uid + 1 }).read()).to.equal(undefined);
    expect(cache.read()?.toString()).to.equal('cached');
  });

  it("a new build's cache replaces the earlier build's for the same role, not the other roles'", () => {
    const cacheDir = path.join(dir, 'cache');
    const before = new CodeCache(cacheDir, bundle, fs.statSync(bundle), 'client');
    const server = new CodeCache(cacheDir, bundle, fs.statSync(bundle), 'server');
    before.write(Buffer.from('old'));
    server.write(Buffer.from('server'));
    fs.appendFileSync(bundle, '// rebuilt\n');
    const after = new CodeCache(cacheDir, bundle, fs.statSync(bundle), 'client');
    expect(after.path).to.not.equal(before.path);
    expect(after.read()).to.equal(undefined);
    after.write(Buffer.from('new'));
    expect(fs.readdirSync(cacheDir).sort()).to.deep.equal([path.basename(after.path), path.basename(server.path)].sort());
  });

  it("another installed copy's cache is left alone", () => {
    const cacheDir = path.join(dir, 'cache');
    const copy = path.join(dir, 'copy.js');
    fs.copyFileSync(bundle, copy);
    const other = new CodeCache(cacheDir, copy, fs.statSync(copy), 'client');
    other.write(Buffer.from('copy'));
    const own = new CodeCache(cacheDir, bundle, fs.statSync(bundle), 'client');
    own.write(Buffer.from('own'));
    expect(other.read()?.toString()).to.equal('copy');
    expect(own.read()?.toString()).to.equal('own');
  });

  it('runs the bundle as require would, without a cache directory', () => {
    const writes: Array<() => void> = [];
    runBundle(bundle, undefined, 'client', (write) => writes.push(write));
    expect(seen()).to.deep.include({ sep: path.sep, dirname: dir });
    expect(seen()!.exports.ran).to.equal(true);
    expect(writes).to.have.length(0);
  });

  it('without a cache, makes one that the next start uses (and so does not write again)', () => {
    const cacheDir = path.join(dir, 'cache');
    const writes: Array<() => void> = [];
    runBundle(bundle, cacheDir, 'client', (write) => writes.push(write));
    expect(writes).to.have.length(1);
    writes[0]!();
    const cache = new CodeCache(cacheDir, bundle, fs.statSync(bundle), 'client');
    expect(cache.read()?.length).to.be.greaterThan(0);
    runBundle(bundle, cacheDir, 'client', (write) => writes.push(write));
    expect(writes).to.have.length(1);
    expect(seen()!.exports.ran).to.equal(true);
  });

  it('a damaged cache is ignored: the bundle runs from its source and the cache is made again', () => {
    const cacheDir = path.join(dir, 'cache');
    const cache = new CodeCache(cacheDir, bundle, fs.statSync(bundle), 'client');
    cache.write(Buffer.from('not a V8 code cache at all'));
    const writes: Array<() => void> = [];
    runBundle(bundle, cacheDir, 'client', (write) => writes.push(write));
    expect(seen()!.exports.ran).to.equal(true);
    expect(writes).to.have.length(1);
    writes[0]!();
    expect(cache.read()?.toString()).to.not.equal('not a V8 code cache at all');
  });
});
