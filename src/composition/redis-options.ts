/**
 * What the server needs to know of its Redis settings before it decides to use Redis at all:
 * apart from the stores module, so a server on its data directory never loads ioredis.
 */

/** The key prefix when none is given: one system per Redis unless told otherwise. */
export const DEFAULT_REDIS_PREFIX = 'chat:';

/** The URL as it may be printed or logged: a password in it is replaced. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^@/]*)@/, (_, scheme: string, auth: string) => `${scheme}${auth.includes(':') ? `${auth.slice(0, auth.indexOf(':'))}:***` : '***'}@`);
}
