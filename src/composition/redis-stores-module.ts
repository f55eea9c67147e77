import { ContainerModule } from 'inversify';
import type { Redis } from 'ioredis';
import { ChannelLog } from '../application/ports/channel-log';
import { MailboxStore } from '../application/ports/mailbox-store';
import { Membership } from '../application/ports/membership';
import { TableFeed, type ClaimSession, type TableClaim, type TableFollower, type TableSnapshot, type TableSubscription } from '../application/ports/table-feed';
import { ClusterOptions, ClusterSync } from '../application/server/cluster-sync';
import type { TableRow } from '../domain/client-table';
import { EndToEnd } from '../application/ports/end-to-end';
import { KeyStore } from '../application/ports/key-store';
import { NodeEndToEnd } from '../adapters/system/node-end-to-end';
import { SecretStore } from '../application/ports/secret-store';
import { InMemoryKeyStore } from '../adapters/in-memory/in-memory-key-store';
import { SeenStore } from '../application/ports/seen-store';
import { InMemorySecretStore } from '../adapters/in-memory/in-memory-secret-store';
import { InMemorySeenStore } from '../adapters/in-memory/in-memory-seen-store';
import { checkRedisDurability } from '../adapters/redis/check-redis-durability';
import { createRedisClient } from '../adapters/redis/create-redis-client';
import { RedisChannelLog } from '../adapters/redis/redis-channel-log';
import { RedisMailboxStore } from '../adapters/redis/redis-mailbox-store';
import { RedisMembership } from '../adapters/redis/redis-membership';
import { RedisTableFeed } from '../adapters/redis/redis-table-feed';
import type { MailboxQuota } from '../domain/offline-mailbox';
import { redactRedisUrl } from './redis-options';

export interface RedisStoresOptions {
  readonly quota: MailboxQuota;
  /** Start on a Redis that may lose acknowledged writes; `onVolatile` is told why. */
  readonly allowVolatile: boolean;
  /** Called at start with the settings that make this Redis lose writes, when allowed anyway. */
  readonly onVolatile: (problems: readonly string[]) => void;
  /** The IP this instance tells clients (of every instance) to reach it at. */
  readonly advertiseIp: string;
  /** Membership lease; short in tests (see MEMBER_TTL_MS). */
  readonly memberTtlMs?: number;
}

/**
 * A server that is one instance of a system of several over one Redis under `prefix` (SPEC
 * §7): the shared table and its feed, the membership, the mailboxes and the channel log live
 * in Redis, and `ClusterSync` keeps this instance in step with the others. Binding does no
 * I/O: the connection is opened, and the Redis's durability settings checked, when the server
 * opens the table feed at start, and closed when it closes it, last, after the mailbox and
 * the channel log (they share the connection).
 *
 * A server never uses the client-side stores (name secrets, messages shown); they are bound
 * in memory only so a container built from this module is complete.
 */
export function redisStoresModule(url: string, prefix: string, options: RedisStoresOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const redis = createRedisClient(url);
    bind(TableFeed).toConstantValue(new ConnectingTableFeed(redis, url, new RedisTableFeed(redis, prefix), options));
    bind(Membership).toConstantValue(new RedisMembership(redis, prefix, options.memberTtlMs === undefined ? {} : { ttlMs: options.memberTtlMs }));
    bind(MailboxStore).toConstantValue(new RedisMailboxStore(redis, prefix, options.quota));
    bind(ChannelLog).toConstantValue(new RedisChannelLog(redis, prefix));
    bind(ClusterOptions).toConstantValue({ advertiseIp: options.advertiseIp } satisfies ClusterOptions);
    bind(ClusterSync).toSelf().inSingletonScope();
    bind(SecretStore).toConstantValue(new InMemorySecretStore());
    bind(KeyStore).toConstantValue(new InMemoryKeyStore());
    bind(EndToEnd).toConstantValue(new NodeEndToEnd());
    bind(SeenStore).toConstantValue(new InMemorySeenStore());
  });
}

/**
 * The Redis table feed, plus the connection the Redis stores share: `open()` connects and
 * refuses a Redis that may lose acknowledged writes (code `EVOLATILE`) unless allowed;
 * `close()` stops the feed and quits.
 */
class ConnectingTableFeed implements TableFeed {
  private lastError: Error | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly url: string,
    private readonly inner: RedisTableFeed,
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

  claim(row: TableRow, owner: string, session?: ClaimSession): Promise<TableClaim> {
    return this.inner.claim(row, owner, session);
  }

  reserveName(nameKey: string, owner: string, holdMs: number): Promise<boolean> {
    return this.inner.reserveName(nameKey, owner, holdMs);
  }

  snapshot(): Promise<TableSnapshot> {
    return this.inner.snapshot();
  }

  currentVersion(): Promise<number> {
    return this.inner.currentVersion();
  }

  follow(from: { readonly epoch: string; readonly version: number }, follower: TableFollower): TableSubscription {
    return this.inner.follow(from, follower);
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
