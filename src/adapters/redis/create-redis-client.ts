import { Redis, type RedisOptions } from 'ioredis';

/** How long one command may wait for its reply: inside a client's 2.5 s retry window. */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;

/**
 * An ioredis client set to fail closed, for the Redis stores. A server ACKs only what Redis
 * confirmed, so a command that cannot be confirmed soon must fail rather than wait:
 *
 * - no offline queue: while disconnected a command fails at once instead of queueing;
 * - no resending after a reconnect (`maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands:
 *   false`): a command whose reply was lost fails; its caller's retry (same message id, and
 *   the scripts dedup) decides, never a silent second execution of a non-idempotent one;
 * - a command timeout inside the client's retry window.
 *
 * It connects lazily: call `connect()` (and later `quit()`). Reconnects keep being attempted.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(times * 50, 2_000),
    ...options,
  });
}
