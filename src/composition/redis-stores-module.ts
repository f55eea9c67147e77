import { ContainerModule } from 'inversify';
import type { Redis } from 'ioredis';
import { ChannelLog } from '../application/ports/channel-log';
import { MailboxStore } from '../application/ports/mailbox-store';
import { RegistryStore, type RegistryRecord } from '../application/ports/registry-store';
import { SecretStore } from '../application/ports/secret-store';
import { SeenStore } from '../application/ports/seen-store';
import { InMemorySecretStore } from '../adapters/in-memory/in-memory-secret-store';
import { InMemorySeenStore } from '../adapters/in-memory/in-memory-seen-store';
import { checkRedisDurability } from '../adapters/redis/check-redis-durability';
import { createRedisClient } from '../adapters/redis/create-redis-client';
import { RedisChannelLog } from '../adapters/redis/redis-channel-log';
import { RedisMailboxStore } from '../adapters/redis/redis-mailbox-store';
import { RedisRegistryStore, type RedisRegistryStoreOptions } from '../adapters/redis/redis-registry-store';
import type { MailboxQuota } from '../domain/offline-mailbox';
import { redactRedisUrl } from './redis-options';

export interface RedisStoresOptions {
  readonly quota: MailboxQuota;
  /** Start on a Redis that may lose acknowledged writes; `onVolatile` is told why. */
  readonly allowVolatile: boolean;
  /** Called at start with the settings that make this Redis lose writes, when allowed anyway. */
  readonly onVolatile: (problems: readonly string[]) => void;
  readonly registry?: RedisRegistryStoreOptions;
}


/**
 * The server's stores in one Redis under `prefix`, instead of a data directory. Binding does
 * no I/O: the connection is opened, and the Redis's durability settings checked, when the
 * server opens its registry at start, and closed when it closes the registry, which it does
 * last, after the mailbox and channel log (they share the connection).
 *
 * A server never uses the client-side stores (name secrets, messages shown); they are bound
 * in memory only so a container built from this module is complete.
 */
export function redisStoresModule(url: string, prefix: string, options: RedisStoresOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const redis = createRedisClient(url);
    const registry = new RedisRegistryStore(redis, prefix, options.registry);
    bind(RegistryStore).toConstantValue(new ConnectingRegistryStore(redis, url, registry, options));
    bind(MailboxStore).toConstantValue(new RedisMailboxStore(redis, prefix, options.quota));
    bind(ChannelLog).toConstantValue(new RedisChannelLog(redis, prefix));
    bind(SecretStore).toConstantValue(new InMemorySecretStore());
    bind(SeenStore).toConstantValue(new InMemorySeenStore());
  });
}

/**
 * The Redis registry store, plus the connection the three Redis stores share: `open()`
 * connects and refuses a Redis that may lose acknowledged writes (code `EVOLATILE`) unless
 * allowed, before taking the registry's lease; `close()` gives the lease back and quits.
 */
class ConnectingRegistryStore implements RegistryStore {
  private lastError: Error | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly url: string,
    private readonly inner: RedisRegistryStore,
    private readonly options: RedisStoresOptions,
  ) {
    // Without a listener ioredis prints every failed reconnect; the stores' calls report their own failures.
    redis.on('error', (e: Error) => {
      this.lastError = e;
    });
  }

  async open(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (e) {
      this.redis.disconnect();
      const why = this.lastError?.message ?? (e as Error).message;
      throw Object.assign(new Error(`cannot reach Redis at ${redactRedisUrl(this.url)} (${why})`), { code: 'EREDIS' });
    }
    try {
      const durability = await checkRedisDurability(this.redis);
      if (!durability.durable) {
        if (!this.options.allowVolatile) {
          throw Object.assign(
            new Error(`Redis at ${redactRedisUrl(this.url)} may lose acknowledged messages: ${durability.problems.join('; ')}; set it (redis-cli CONFIG SET, and in redis.conf) or start with --allow-volatile-redis`),
            { code: 'EVOLATILE' },
          );
        }
        this.options.onVolatile(durability.problems);
      }
      await this.inner.open();
    } catch (e) {
      this.redis.disconnect();
      throw e;
    }
  }

  load(): Promise<RegistryRecord[]> {
    return this.inner.load();
  }

  highestVersion(): Promise<number> {
    return this.inner.highestVersion();
  }

  save(record: RegistryRecord): Promise<void> {
    return this.inner.save(record);
  }

  reserveVersion(version: number): Promise<void> {
    return this.inner.reserveVersion(version);
  }

  async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
      else this.redis.disconnect();
    }
  }
}
