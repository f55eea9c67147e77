import type { Redis } from 'ioredis';

/** What `checkRedisDurability` found. */
export interface RedisDurability {
  /** True when no write Redis acknowledged can be lost to a Redis crash or restart. */
  readonly durable: boolean;
  /** The settings read (`undefined` where Redis would not say). */
  readonly settings: {
    readonly appendonly?: string;
    readonly appendfsync?: string;
    readonly maxmemoryPolicy?: string;
  };
  /** One line per setting that makes acknowledged writes losable, naming the setting and what it must be. */
  readonly problems: readonly string[];
}

async function configGet(redis: Redis, name: string): Promise<string | undefined> {
  const reply = (await redis.config('GET', name)) as unknown;
  if (!Array.isArray(reply)) return undefined;
  for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]).toLowerCase() === name) return String(reply[i + 1]);
  return undefined;
}

/**
 * Whether writes this Redis acknowledges survive its crash or restart, from its settings:
 *
 * - `appendonly` must be `yes`: without the AOF a restart loses every write since the last RDB
 *   snapshot (or all of them with `save ''`);
 * - `appendfsync` must be `always`: only then does Redis fsync the AOF before it replies
 *   (`everysec` may lose about a second of acknowledged writes, `no` whatever the kernel had not
 *   flushed). Redis 7.0 has no WAITAOF to ask for it per write;
 * - `maxmemory-policy` must not be an `allkeys-*` policy, which may evict mailboxes under
 *   memory pressure (`noeviction` refuses writes instead; `volatile-*` evicts only keys with an
 *   expiry, which the stores do not set).
 *
 * A Redis that refuses `CONFIG GET` (a managed service may rename it) cannot be vouched for and
 * is reported as not durable. Replication and failover are out of this check's reach: a failover
 * can lose writes acknowledged within the replication lag whatever these settings are.
 */
export async function checkRedisDurability(redis: Redis): Promise<RedisDurability> {
  let appendonly: string | undefined;
  let appendfsync: string | undefined;
  let maxmemoryPolicy: string | undefined;
  const problems: string[] = [];
  try {
    appendonly = await configGet(redis, 'appendonly');
    appendfsync = await configGet(redis, 'appendfsync');
    maxmemoryPolicy = await configGet(redis, 'maxmemory-policy');
  } catch (e) {
    problems.push(`CONFIG GET is not allowed (${(e as Error).message}), so appendonly and appendfsync cannot be checked; they must be yes and always`);
  }
  if (problems.length === 0) {
    if (appendonly !== 'yes') problems.push(`appendonly is ${appendonly ?? 'unknown'}; it must be yes (without the append-only file a restart loses acknowledged writes)`);
    if (appendfsync !== 'always') problems.push(`appendfsync is ${appendfsync ?? 'unknown'}; it must be always (otherwise Redis acknowledges writes before they are on disk)`);
    if (maxmemoryPolicy?.startsWith('allkeys-')) problems.push(`maxmemory-policy is ${maxmemoryPolicy}; it must be noeviction (an allkeys policy may evict stored messages)`);
  }
  return { durable: problems.length === 0, settings: { appendonly, appendfsync, maxmemoryPolicy }, problems };
}
