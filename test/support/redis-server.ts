import { reapOnExit } from './child-reaper';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { writeNewServerKey } from '../../src/adapters/fs/server-key-file';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../../src/adapters/redis/create-redis-client';

/** Debian's server; override with CHATAPP_REDIS_SERVER. */
export const REDIS_SERVER_BIN = process.env.CHATAPP_REDIS_SERVER ?? '/usr/bin/redis-server';
/** A Redis may already run here on its default port, keeping nothing on disk: never ours. */
const SHARED_REDIS_PORT = 6379;
const START_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 5;

export interface RedisServerOptions {
  /** `yes` (the default) or `no`, for a negative control. */
  readonly appendonly?: 'yes' | 'no';
  /** `always` (the default), `everysec` or `no`. */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
}

/** Why a Redis server cannot be started here, or undefined when the binary is there. */
export function redisServerMissing(): string | undefined {
  return fs.existsSync(REDIS_SERVER_BIN) ? undefined : `${REDIS_SERVER_BIN} not found (apt-get install redis-server)`;
}

/**
 * In a suite's `before`: without a `redis-server` the suite fails with the reason (`.ci/run`
 * installs one; a test that cannot run is reported, never quietly skipped).
 */
export function requireRedisServer(): void {
  const missing = redisServerMissing();
  if (missing) throw new Error(missing);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a fresh socket: '+PONG', '-LOADING …' while it replays its AOF, or an error. */
function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(1_000, () => socket.destroy(new Error('PING timed out')));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.split('\r\n')[0]!);
      }
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/**
 * A `redis-server` of the test's own, on a free loopback port, in a fresh temp dir, with the
 * AOF on and fsynced before every reply (`--appendonly yes --appendfsync always --save ''`)
 * unless told otherwise. It can be killed with SIGKILL and restarted on the same dir and port
 * (a Redis crash), and `stop()` kills it and removes the dir. Never the shared 6379 Redis.
 */
export class RedisServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private portNumber: number,
    private readonly options: RedisServerOptions,
  ) {}

  /**
   * A server key file for the instances of a system on this Redis (`--server-key`), made on
   * first use in the Redis's temp directory: they share one, as the README tells operators to.
   */
  get serverKeyFile(): string {
    const file = path.join(this.dir, 'system-server.key');
    if (!fs.existsSync(file)) writeNewServerKey(file);
    return file;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
    const missing = redisServerMissing();
    if (missing) throw new Error(missing);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-redis-'));
    const server = new RedisServerProcess(dir, 0, options);
    try {
      let lastError: unknown;
      for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        // Another process may take the free port before Redis binds it: pick another.
        let port = await freePort();
        while (port === SHARED_REDIS_PORT) port = await freePort();
        server.portNumber = port;
        try {
          await server.launch();
          return server;
        } catch (e) {
          lastError = e;
        }
      }
      throw lastError;
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.portNumber}`;
  }

  get isRunning(): boolean {
    return this.child !== undefined;
  }

  /** A client set as the stores expect (fail closed), connected; the caller quits it. */
  async connect(): Promise<Redis> {
    const client = createRedisClient(this.url, { retryStrategy: () => 50 });
    // Connection errors while the server is down are expected; commands report their own.
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** SIGKILL, as a crash: no shutdown, no final fsync. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Start again on the same dir and port: Redis replays its AOF. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is still running; kill() it first');
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      try {
        await this.launch();
        return;
      } catch (e) {
        lastError = e;
        await sleep(100);
      }
    }
    throw lastError;
  }

  /** Kill the server (if running) and remove its dir. */
  async stop(): Promise<void> {
    await this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The end of the server's log, for failure messages. */
  logTail(lines = 20): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'redis.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private async launch(): Promise<void> {
    const args = [
      '--port', String(this.portNumber), '--bind', '127.0.0.1', '--protected-mode', 'yes',
      '--dir', this.dir, '--logfile', path.join(this.dir, 'redis.log'), '--daemonize', 'no',
      '--appendonly', this.options.appendonly ?? 'yes', '--appendfsync', this.options.appendfsync ?? 'always',
      '--save', '',
    ];
    const child = spawn(REDIS_SERVER_BIN, args, { stdio: 'ignore' });
    let exitedEarly = false;
    let spawnError: Error | undefined;
    this.exited = new Promise((resolve) => {
      child.once('error', (e) => { spawnError = e; exitedEarly = true; resolve(); });
      child.once('exit', () => { exitedEarly = true; resolve(); });
    });
    reapOnExit(child);
    this.child = child;
    void this.exited.then(() => { if (this.child === child) this.child = undefined; });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exitedEarly) {
        throw new Error(`redis-server on port ${this.portNumber} ${spawnError ? `could not start: ${spawnError.message}` : 'exited'}\n${this.logTail()}`);
      }
      const reply = await ping(this.portNumber).catch(() => '');
      if (reply === '+PONG') return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`redis-server on port ${this.portNumber} did not answer PING within ${START_TIMEOUT_MS} ms (last: ${reply || 'no reply'})\n${this.logTail()}`);
      }
      await sleep(20);
    }
  }
}

let prefixes = 0;

/** A key prefix no other test (or run) uses, so suites sharing a server never see each other's keys. */
export function uniquePrefix(label: string): string {
  return `chatapp-test:${label}:${process.pid}:${Date.now().toString(36)}:${++prefixes}:`;
}

/** What a suite gets from `useRedisServer`. */
export interface RedisServerHarness {
  server(): RedisServerProcess;
  /** The suite's shared client (connected in `before`, quit in `after`). */
  client(): Redis;
  /** Another client on the suite's server, quit in `after`. */
  connect(): Promise<Redis>;
}

/**
 * For a suite, inside its `describe`: its own `redis-server` (started in `before`, stopped in
 * `after`) and a client on it. Where no server can be started the suite fails with the reason.
 */
export function useRedisServer(options: RedisServerOptions = {}): RedisServerHarness {
  let server: RedisServerProcess | undefined;
  let shared: Redis | undefined;
  const clients: Redis[] = [];

  before(async function () {
    this.timeout(START_TIMEOUT_MS * 2);
    server = await RedisServerProcess.start(options);
    shared = await server.connect();
    clients.push(shared);
  });

  after(async () => {
    for (const client of clients.splice(0)) {
      await client.quit().catch(() => client.disconnect());
    }
    await server?.stop();
    server = undefined;
    shared = undefined;
  });

  return {
    server: () => {
      if (!server) throw new Error('redis-server not started');
      return server;
    },
    client: () => {
      if (!shared) throw new Error('redis-server not started');
      return shared;
    },
    connect: async () => {
      if (!server) throw new Error('redis-server not started');
      const client = await server.connect();
      clients.push(client);
      return client;
    },
  };
}
