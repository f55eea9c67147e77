import path from 'node:path';
import os from 'node:os';
import { ChatServer } from '../application/server/chat-server';
import { formatAddress } from '../domain/address';
import type { LineStyle } from '../adapters/console/console-ui';
import { renderLine } from '../adapters/console/line-renderer';
import { NodeFileSystem } from '../adapters/fs/file-system';
import type { CliOptions } from './cli-args';
import { defaultSettings, type ServerConfig } from './config';
import { consoleModule } from './console-module';
import { createContainer } from './create-container';
import { baseDataDir, defaultLogFile, serverDataDir } from './data-dir';
import { fsStoresModule } from './fs-stores-module';
import { DEFAULT_REDIS_PREFIX, redactRedisUrl } from './redis-options';
import { FailpointFileSystem, parseFailpoint } from './failpoints';
import type { WinstonLogger } from '../adapters/logging/winston-logger';
import { createLogger } from './logging';
import { systemModule } from './system-module';
import { udpModule } from './udp-module';
import { serverLinkModule } from './secure-link-module';
import { readServerKey, serverKeyIn } from '../adapters/fs/server-key-file';
import type { StaticKeyPair } from '../adapters/wire/noise/noise-xx';
import { NodeEndToEnd } from '../adapters/system/node-end-to-end';

/** A running server process, for main to stop on a signal. */
export interface RunningNode {
  stop(): Promise<void>;
  /** Resolves with an exit status if the server can no longer serve and must be stopped. */
  readonly failed?: Promise<number>;
}

/** Start the server of `chatapp -s <port>`; resolves once it listens, or with an exit status if it cannot. */
export async function runServer(
  port: number,
  options: CliOptions,
  env: NodeJS.ProcessEnv,
  out: { print(line: string, style?: LineStyle): void },
  onLogger: (logger: WinstonLogger | undefined) => void = () => undefined,
): Promise<RunningNode | number> {
  const failpoint = parseFailpoint(env['CHATAPP_FAILPOINT']);
  if (failpoint instanceof Error) {
    out.print(renderLine({ kind: 'error', text: `CHATAPP_FAILPOINT: ${failpoint.message}` }), 'error');
    return 2;
  }
  const base = baseDataDir(options.dataDir, env);
  const logger = createLogger(options, defaultLogFile(base, 'server', port), `server:${port}`);
  onLogger(logger);
  const config: ServerConfig = { role: 'server', port, settings: defaultSettings(options.maxClients ? { maxClients: options.maxClients } : {}) };
  // --redis, else CHATAPP_REDIS_URL, else the data directory (the single server, the default).
  const redisUrl = options.redisUrl ?? (env['CHATAPP_REDIS_URL'] || undefined);
  const redisPrefix = options.redisPrefix ?? DEFAULT_REDIS_PREFIX;
  let fail: (status: number) => void = () => undefined;
  const failed = new Promise<number>((resolve) => {
    fail = resolve;
  });
  // Loaded only for a server on Redis: ioredis costs an idle file-store server about 10 MiB.
  const stores = redisUrl
    ? (require('./redis-stores-module') as typeof import('./redis-stores-module')).redisStoresModule(redisUrl, redisPrefix, {
        quota: config.settings.mailboxQuota,
        allowVolatile: options.allowVolatileRedis === true,
        onVolatile: (problems) => {
          const text = `Redis at ${redactRedisUrl(redisUrl)} may lose acknowledged messages (${problems.join('; ')}); started anyway because of --allow-volatile-redis`;
          logger.warn('volatile redis allowed', { problems });
          out.print(`>>> [Warning: ${text}.]`, 'error');
        },
        advertiseIp: options.advertise ?? advertisedIp(),
      })
    : fsStoresModule(serverDataDir(base, port), config.settings.mailboxQuota, failpoint ? new FailpointFileSystem(new NodeFileSystem(), failpoint) : new NodeFileSystem());
  if (redisUrl) logger.info('stores in redis', { url: redactRedisUrl(redisUrl), prefix: redisPrefix });
  // The server's key pair: the file given (the instances of one system share one), else its own in its data directory.
  let serverKey: StaticKeyPair;
  try {
    if (!options.serverKey && redisUrl) throw new Error('the instances of a system share one server key: make one with chatapp keygen <file> and start each instance with --server-key <file>');
    serverKey = options.serverKey ? readServerKey(options.serverKey) : serverKeyIn(path.join(serverDataDir(base, port), 'server.key'));
  } catch (error) {
    out.print(renderLine({ kind: 'error', text: (error as Error).message }), 'error');
    onLogger(undefined);
    await logger.close();
    return 1;
  }
  const container = createContainer(config, [
    udpModule(config),
    serverLinkModule(serverKey),
    stores,
    systemModule(),
    consoleModule(out, logger),
  ]);
  // Crash tests only: the server's stores kill the process at the named point.
  if (failpoint) logger.warn('failpoint armed', { ...failpoint });
  const server = container.get(ChatServer);
  // An instance of several that can no longer serve stops rather than leave clients waiting:
  // they move to a live instance.
  server.onClusterFailure((why) => {
    const text =
      why === 'data-lost'
        ? `Redis at ${redactRedisUrl(redisUrl ?? '')} lost its data (the shared table and its epoch are gone); stopping; start the server again`
        : `this instance was declared dead by the others (it could not renew its membership in Redis in time); stopping; start it again to rejoin`;
    logger.error('instance can no longer serve; stopping', { why });
    out.print(renderLine({ kind: 'error', text }), 'error');
    fail(1);
  });
  try {
    const bound = await server.start();
    logger.info('server key', { fingerprint: new NodeEndToEnd().fingerprint(serverKey.publicKey.toString('base64url')) });
    out.print(renderLine({ kind: 'server-listening', addresses: listeningAddresses(bound.port) }), 'status');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const text =
      e.code === 'ELOCKED' ? `${e.message}; stop it or use another ${redisUrl ? '--redis-prefix' : '--data-dir'}`
      : e.code === 'EVOLATILE' || e.code === 'EREDIS' ? e.message
      : e.code === 'EADDRINUSE' ? `port ${port} is already in use; stop the other program or choose another port`
      : `cannot start the server: ${e.message}`;
    out.print(renderLine({ kind: 'error', text }), 'error');
    await server.stop().catch(() => undefined);
    onLogger(undefined);
    await logger.close();
    return 1;
  }
  return {
    failed,
    async stop() {
      await server.stop();
      logger.info('server stopped');
      onLogger(undefined);
      await logger.close();
    },
  };
}

/** The IP an instance of several tells clients about by default: the first external IPv4 address, else loopback. */
function advertisedIp(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) if (info.family === 'IPv4' && !info.internal) return info.address;
  }
  return '127.0.0.1';
}

/** The addresses clients can use: every IPv4 interface address, external ones first. */
function listeningAddresses(port: number): string[] {
  const external: string[] = [];
  const internal: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family !== 'IPv4') continue;
      (info.internal ? internal : external).push(formatAddress({ ip: info.address, port }));
    }
  }
  const all = [...external, ...internal];
  return all.length > 0 ? all : [formatAddress({ ip: '0.0.0.0', port })];
}
