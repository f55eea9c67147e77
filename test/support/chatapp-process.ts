import { reapOnExit } from './child-reaper';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The command users run: bin/chatapp.js runs the bundle (npm run build makes it). */
const BIN = path.resolve(__dirname, '../../bin/chatapp.js');
const DEFAULT_WAIT_MS = 10_000;

/**
 * The bundle's code cache of this test run, not the user's: the first process of each role
 * makes it and the others start from it, and nothing is left in the home directory.
 */
let cacheHome: string | undefined;
function testCacheHome(): string {
  if (cacheHome === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-e2e-cache-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    cacheHome = dir;
  }
  return cacheHome;
}

/** A free UDP port on 127.0.0.1 (bound to port 0, read, released). */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * A real `chatapp` process driven through stdin and read line by line on stdout, as a
 * user in a terminal (or a grader's script) would.
 */
export class ChatAppProcess {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters: Array<() => void> = [];
  private partial = '';
  exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string> = {}) {
    // The user's own ChatApp settings (a Redis, a data directory) must not leak into a test's processes.
    const { CHATAPP_REDIS_URL: _redis, CHATAPP_DATA_DIR: _dataDir, CHATAPP_FAILPOINT: _failpoint, ...inherited } = process.env;
    this.child = spawn(process.execPath, [BIN, ...args], { env: { ...inherited, NO_COLOR: '1', XDG_CACHE_HOME: testCacheHome(), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    reapOnExit(this.child);
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.partial += chunk;
      const parts = this.partial.split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => this.stderr.push(chunk));
    // A line typed at a process that has just exited is lost with it (EPIPE), as at a terminal.
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exitCode = code;
        if (this.partial) this.lines.push(this.partial);
        for (const w of this.waiters.splice(0)) w();
        resolve(code);
      });
    });
  }

  type(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  /** Wait until `count` lines have been printed after index `from`; returns them. */
  async linesAfter(from: number, count: number, waitMs = DEFAULT_WAIT_MS): Promise<string[]> {
    await this.until(() => this.lines.length >= from + count, waitMs, `${count} lines after line ${from}`);
    return this.lines.slice(from, from + count);
  }

  /** Wait until a line equal to `line` has been printed; returns its index. */
  async waitFor(line: string, waitMs = DEFAULT_WAIT_MS): Promise<number> {
    await this.until(() => this.lines.includes(line), waitMs, JSON.stringify(line));
    return this.lines.indexOf(line);
  }

  async waitForExit(waitMs = DEFAULT_WAIT_MS): Promise<number | null> {
    await this.until(() => this.exitCode !== undefined, waitMs, 'exit');
    return this.exited;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.exitCode === undefined) this.child.kill(signal);
    return this.exited;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private until(done: () => boolean, waitMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${what}; stdout so far:\n${this.lines.join('\n')}\nstderr:\n${this.stderr.join('')}`));
      }, waitMs);
      const check = (): void => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else if (this.exitCode !== undefined) {
          clearTimeout(timer);
          reject(new Error(`process exited (${this.exitCode}) while waiting for ${what}; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr.join('')}`));
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }
}

/** The `chatapp` processes of one e2e test and the data directory they share. */
export interface ProcessPool {
  /** Start `chatapp` with `args` (and the test's `--data-dir`); it is killed when the test ends. */
  start(args: string[], env?: Record<string, string>): ChatAppProcess;
  /** Start `chatapp` with exactly `args` (no `--data-dir` added); it is killed when the test ends. */
  spawn(args: string[], env?: Record<string, string>): ChatAppProcess;
  /** The current test's data directory (fresh for each test, removed after it). */
  readonly dataDir: string;
}

/**
 * Call inside a `describe`: each test gets a fresh data directory, and every process it started
 * through the pool is killed (SIGKILL) and the directory removed when it ends, pass or fail.
 */
export function useProcessPool(prefix = 'chatapp-e2e-'): ProcessPool {
  let dataDir = '';
  let processes: ChatAppProcess[] = [];
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    processes = [];
  });
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    start(args, env = {}) {
      return this.spawn([...args, '--data-dir', dataDir], env);
    },
    spawn(args, env = {}) {
      const p = new ChatAppProcess(args, env);
      processes.push(p);
      return p;
    },
    get dataDir() {
      return dataDir;
    },
  };
}
