import fs from 'node:fs';
import Module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

/**
 * What a bundle file holds around the code: the function Node wraps a CommonJS module in, written
 * into the file at build time (scripts/build-bundle.ts), so the source is compiled as it is read
 * instead of as a wrapped copy. On its own (`node dist/bundle/chatapp.js`) the file only defines
 * that function; bin/chatapp.js runs it.
 */
export const BUNDLE_WRAPPER = {
  head: '// Runs through bin/chatapp.js (src/composition/run-bundle.ts): on its own it only defines this function.\n(function (exports, require, module, __filename, __dirname) {',
  tail: '\n})',
} as const;

/** How long after start the code cache is written when the process has not ended by then. */
const WRITE_CACHE_AFTER_MS = 3000;

/** Neither the group nor others may write: a cache someone else can write is code they choose. */
const GROUP_OR_OTHER_WRITE = 0o022;

/**
 * Where the V8 code cache of the bundle is kept: `$XDG_CACHE_HOME/chatapp`, else
 * `~/.cache/chatapp`. Undefined where there is no per-user owner to check (no `getuid`).
 */
export function codeCacheDir(env: NodeJS.ProcessEnv, homeDir: () => string = os.homedir): string | undefined {
  if (typeof process.getuid !== 'function') return undefined;
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'chatapp');
  try {
    return path.join(homeDir(), '.cache', 'chatapp');
  } catch {
    return undefined;
  }
}

/** Whose cache directory and files are trusted: the process's own uid by default. */
export interface CodeCacheFiles {
  readonly uid: number;
}

/**
 * A V8 code cache of one bundle file in a per-user directory. A cache is used only from a
 * directory and a file that are the user's own and that nobody else can write, because its
 * contents run as code; the file is named after the bundle (its path, size, time and inode),
 * the Node version and the role, since V8 checks only the source's length and its own version
 * before trusting it. Every failure (no home, read-only disk, someone else's file) means no cache,
 * never an error: the bundle then compiles from source as it would without one.
 */
export class CodeCache {
  private readonly file: string;
  private readonly prefix: string;

  constructor(
    private readonly dir: string,
    bundlePath: string,
    bundle: fs.Stats,
    role: string,
    private readonly owner: CodeCacheFiles = { uid: process.getuid?.() ?? -1 },
  ) {
    // Per installed copy: two copies (a global and a project one) do not evict each other.
    this.prefix = `${role}-${fnv1a(path.resolve(bundlePath))}-`;
    const name = `${this.prefix}${process.version}-${process.arch}-${bundle.size}-${Math.trunc(bundle.mtimeMs)}-${bundle.ino}.v8`;
    this.file = path.join(dir, name);
  }

  get path(): string {
    return this.file;
  }

  /** The cached data, or undefined when there is none this process may trust. */
  read(): Buffer | undefined {
    let fd: number | undefined;
    try {
      if (!this.trusted(fs.lstatSync(this.dir), true)) return undefined;
      fd = fs.openSync(this.file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      const stat = fs.fstatSync(fd);
      if (!this.trusted(stat, false) || stat.size === 0) return undefined;
      return fs.readFileSync(fd);
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /**
   * Store `data` under this bundle's name (a private temp file renamed into place, so a reader
   * never sees half of it) and remove the caches of earlier builds of this copy for this role.
   */
  write(data: Buffer): boolean {
    try {
      // Loaded only here, at the first start of a build: not on every start's path.
      const { makeDirSync } = require('../adapters/fs/make-dir') as typeof import('../adapters/fs/make-dir');
      makeDirSync(this.dir, 0o700);
      if (!this.trusted(fs.lstatSync(this.dir), true)) return false;
      const temp = path.join(this.dir, `.${path.basename(this.file)}.${process.pid}.tmp`);
      fs.writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
      try {
        fs.renameSync(temp, this.file);
      } catch (error) {
        fs.rmSync(temp, { force: true });
        throw error;
      }
      // Earlier builds' caches, and temp files a process that died while writing left behind.
      for (const name of fs.readdirSync(this.dir)) {
        if ((name.startsWith(this.prefix) || name.startsWith(`.${this.prefix}`)) && name !== path.basename(this.file)) fs.rmSync(path.join(this.dir, name), { force: true });
      }
      return true;
    } catch {
      return false;
    }
  }

  private trusted(stat: fs.Stats, directory: boolean): boolean {
    return (directory ? stat.isDirectory() : stat.isFile()) && stat.uid === this.owner.uid && (stat.mode & GROUP_OR_OTHER_WRITE) === 0;
  }
}

/** A short stable name for a string (32-bit FNV-1a, hex), without loading node:crypto. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The role a command line starts, for naming its cache: each role runs different code. */
export function roleOf(argv: readonly string[]): string {
  if (argv.includes('-c')) return 'client';
  if (argv.includes('-s')) return 'server';
  return 'other';
}

/**
 * Run a CommonJS bundle written inside BUNDLE_WRAPPER as `require` would run the module,
 * compiled with a V8 code cache when one is at hand.
 * Without a usable cache, one is made once the process has run for a while (or when it ends,
 * if sooner), so it holds the functions this role actually ran, not only the top level.
 */
export function runBundle(file: string, cacheDir: string | undefined, role: string, later: (write: () => void) => void = writeLater): void {
  const fd = fs.openSync(file, 'r');
  let source: string;
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
    source = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  const cache = cacheDir === undefined ? undefined : new CodeCache(cacheDir, file, stat, role);
  const { script, cached } = compile(source, file, cache);
  if (cache && !cached) later(() => cache.write(script.createCachedData()));
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  const module = { exports: {}, id: file, filename: file, loaded: false };
  wrapper.call(module.exports, module.exports, Module.createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
}

/**
 * Compile the bundle, from the cache when it holds. Its own function so that the cached bytes
 * are garbage once it returns, while still young: kept in the frame that runs the bundle, they
 * outlived the start-up's scavenges and stayed resident (half a MiB) until a full collection.
 */
function compile(source: string, file: string, cache: CodeCache | undefined): { script: vm.Script; cached: boolean } {
  const cachedData = cache?.read();
  const script = new vm.Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  return { script, cached: cachedData !== undefined && !script.cachedDataRejected };
}

/** Run `write` once: after WRITE_CACHE_AFTER_MS (without holding the process) or as it exits. */
function writeLater(write: () => void): void {
  let written = false;
  const once = (): void => {
    if (written) return;
    written = true;
    clearTimeout(timer);
    process.removeListener('exit', once);
    write();
  };
  const timer = setTimeout(once, WRITE_CACHE_AFTER_MS);
  timer.unref();
  process.once('exit', once);
}
