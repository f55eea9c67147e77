import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { TableRow } from '../../domain/client-table';
import { nameKey } from '../../domain/nickname';
import { StoreClosedError } from '../../application/ports/store-closed-error';
import type { ClaimSession, TableChange, TableClaim, TableFeed, TableFollower, TableSession, TableSnapshot, TableSubscription } from '../../application/ports/table-feed';
import { CallGate } from './call-gate';
import { defineLuaScript, type LuaScript } from './lua-script';

/** Changes the feed keeps (a follower further behind gets a snapshot). */
export const REDIS_FEED_CHANGES = 10_000;
/** Changes read per XREAD. */
const READ_BATCH = 500;
/** How long one XREAD waits for a change; the epoch is checked between waits. */
const BLOCK_MS = 500;
/** Wait before reading again after a failed read (Redis down or restarting). */
const RETRY_MS = 200;

export interface RedisTableFeedOptions {
  /** See REDIS_FEED_CHANGES. Below 1,000 the feed is trimmed exactly (tests), above approximately. */
  readonly keep?: number;
}

function isRow(v: unknown): v is TableRow {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.name === 'string' && typeof r.ip === 'string' && typeof r.port === 'number' && typeof r.online === 'boolean' && (r.key === undefined || typeof r.key === 'string');
}

function parseRow(json: string, where: string): TableRow {
  const parsed: unknown = JSON.parse(json);
  if (!isRow(parsed)) throw new Error(`malformed table row in ${where}: ${json.slice(0, 200)}`);
  return { name: parsed.name, ip: parsed.ip, port: parsed.port, online: parsed.online, ...(parsed.key === undefined ? {} : { key: parsed.key }) };
}

/**
 * The shared table and its feed in Redis, under a key prefix:
 *
 * - `<prefix>table:rows`: a hash, name key → the row as JSON (what clients see);
 * - `<prefix>table:owners`: a hash, name key → owner (digest of the name's secret); kept apart
 *   so snapshots never carry it;
 * - `<prefix>table:version`: the one version counter of the system;
 * - `<prefix>table:feed`: a Stream whose entry id is `<version>-0`, one entry per change,
 *   trimmed to the latest `keep`;
 * - `<prefix>table:epoch`: a random value set once; a Redis that lost its data lost it too.
 *
 * A claim is one Lua script (owner check, version, row and feed entry together), answered only
 * once its effects are in the AOF (after the fsync with `appendfsync always`).
 *
 * Each `follow` reads on its own connection with `XREAD BLOCK` from the last version it
 * delivered (never `$`, which would skip what was written between two reads). A version that
 * does not follow the last one (trimmed away) or a different epoch means a snapshot instead.
 * A pub/sub message could be lost across a reconnect; a Stream read from a known id cannot.
 *
 * The store does not own the shared connection; each follow owns its own and closes it on stop.
 */
export class RedisTableFeed implements TableFeed {
  private readonly keys: {
    readonly rows: string;
    readonly owners: string;
    readonly sessions: string;
    readonly version: string;
    readonly feed: string;
    readonly epoch: string;
    readonly members: string;
  };
  private readonly prefix: string;
  private readonly keep: number;
  private readonly gate = new CallGate('table feed');
  private readonly claimScript: LuaScript;
  private readonly reserveScript: LuaScript;
  private readonly subscriptions = new Set<TableSubscription>();

  constructor(
    private readonly redis: Redis,
    prefix: string,
    options: RedisTableFeedOptions = {},
  ) {
    this.prefix = prefix;
    this.keys = {
      rows: `${prefix}table:rows`,
      owners: `${prefix}table:owners`,
      sessions: `${prefix}table:sessions`,
      version: `${prefix}table:version`,
      feed: `${prefix}table:feed`,
      epoch: `${prefix}table:epoch`,
      // RedisMembership's leases: a claim for a home instance checks it is still live.
      members: `${prefix}members`,
    };
    this.keep = options.keep ?? REDIS_FEED_CHANGES;
    this.claimScript = defineLuaScript(redis, 'chatappTableClaim', 'table-claim.lua', 6);
    this.reserveScript = defineLuaScript(redis, 'chatappTableReserveName', 'table-reserve-name.lua', 2);
  }

  async open(): Promise<void> {
    await this.gate.run(() => this.redis.set(this.keys.epoch, randomUUID(), 'NX'));
  }

  claim(row: TableRow, owner: string, session: ClaimSession = { token: '', home: '' }): Promise<TableClaim> {
    return this.gate.run(async () => {
      const json = JSON.stringify({ name: row.name, ip: row.ip, port: row.port, online: row.online, key: row.key });
      const reply = (await this.claimScript(
        [this.keys.rows, this.keys.owners, this.keys.version, this.keys.feed, this.keys.sessions, this.keys.members],
        [nameKey(row.name), owner, json, this.keep, this.keep < 1_000 ? '1' : '0', session.token, session.home, session.ifToken === undefined ? '0' : '1', session.ifToken ?? '', session.by ?? session.home],
      )) as [number, number?];
      if (reply[0] === 1) return { ok: true, version: Number(reply[1]) };
      return { ok: false, reason: reply[0] === -1 ? 'fenced' : reply[0] === -2 ? 'stale' : 'owned' };
    });
  }

  reserveName(key: string, owner: string, holdMs: number): Promise<boolean> {
    return this.gate.run(async () => (await this.reserveScript([this.keys.owners, `${this.prefix}table:hold:${key}`], [key, owner, holdMs])) === 1);
  }

  currentVersion(): Promise<number> {
    return this.gate.run(async () => Number((await this.redis.get(this.keys.version)) ?? '0'));
  }

  snapshot(): Promise<TableSnapshot> {
    return this.gate.run(() => this.read(this.redis));
  }

  follow(from: { readonly epoch: string; readonly version: number }, follower: TableFollower): TableSubscription {
    if (this.gate.isClosed) throw new StoreClosedError('table feed');
    const connection = this.redis.duplicate();
    connection.on('error', () => undefined);
    let stopped = false;
    let wake: (() => void) | undefined;
    const loop = (async () => {
      let epoch = from.epoch;
      let version = from.version;
      const resync = async (): Promise<void> => {
        const snapshot = await this.read(connection);
        if (stopped) return;
        epoch = snapshot.epoch;
        version = snapshot.version;
        follower.onResync(snapshot);
      };
      while (!stopped) {
        try {
          if (connection.status === 'wait' || connection.status === 'end') await connection.connect();
          if ((await connection.get(this.keys.epoch)) !== epoch) {
            await resync();
            continue;
          }
          const reply = (await connection.xread('COUNT', READ_BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', this.keys.feed, `${version}-0`)) as
            | [string, [string, string[]][]][]
            | null;
          if (stopped || !reply || reply.length === 0) continue;
          const changes: TableChange[] = reply[0]![1].map(([id, fields]) => {
            const field = (name: string): string => fields[fields.indexOf(name) + 1] ?? '';
            return {
              version: Number(id.slice(0, id.indexOf('-'))),
              row: parseRow(field('row'), this.keys.feed),
              session: { owner: field('owner'), token: field('token'), home: field('home') },
            };
          });
          if (changes.length === 0) continue;
          if (changes[0]!.version !== version + 1) {
            await resync();
            continue;
          }
          version = changes[changes.length - 1]!.version;
          follower.onChanges(changes);
        } catch {
          if (stopped) break;
          // Redis is down or restarting: read again from the same version once it answers.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, RETRY_MS);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
      }
    })();
    const subscription: TableSubscription = {
      stop: async () => {
        if (stopped) return loop;
        stopped = true;
        this.subscriptions.delete(subscription);
        wake?.();
        // Ends a blocked XREAD at once (it rejects); the loop sees `stopped` and returns.
        connection.disconnect();
        await loop;
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.gate.close();
  }

  private async read(redis: Redis): Promise<TableSnapshot> {
    const script = defineLuaScript(redis, 'chatappTableSnapshot', 'table-snapshot.lua', 5);
    const [epoch, version, flat, owners, held] = (await script(
      [this.keys.epoch, this.keys.version, this.keys.rows, this.keys.owners, this.keys.sessions],
      [randomUUID()],
    )) as [string, number, string[], string[], string[]];
    const rows: TableRow[] = [];
    for (let i = 1; i < flat.length; i += 2) rows.push(parseRow(flat[i]!, this.keys.rows));
    const ownerOf = new Map<string, string>();
    for (let i = 0; i + 1 < owners.length; i += 2) ownerOf.set(owners[i]!, owners[i + 1]!);
    const sessions = new Map<string, TableSession>();
    for (let i = 0; i + 1 < held.length; i += 2) {
      const [token = '', home = ''] = held[i + 1]!.split(' ');
      sessions.set(held[i]!, { owner: ownerOf.get(held[i]!) ?? '', token, home });
    }
    return { epoch: String(epoch), version: Number(version), rows, sessions };
  }
}
