import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { nameKey } from '../../domain/nickname';
import type { RegistryRecord, RegistryStore } from '../../application/ports/registry-store';
import { StoreClosedError } from '../../application/ports/store-closed-error';
import { CallGate } from './call-gate';
import { defineLuaScript, type LuaScript } from './lua-script';

/** How long the writer lease lasts without renewal: how long a killed server's successor waits. */
export const REGISTRY_LEASE_MS = 10_000;

export interface RedisRegistryStoreOptions {
  /** See REGISTRY_LEASE_MS; short in tests. Renewed every third of it. */
  readonly leaseMs?: number;
  /**
   * Told once, by the renewal, that this store can never write again: another store took the
   * lease, or Redis lost its data (the lease and its last taker are gone). The server cannot
   * change the table any more and should stop rather than leave clients waiting.
   */
  readonly onFenced?: (why: 'taken' | 'data-lost') => void;
}

type State = 'new' | 'open' | 'closed';

function isRecord(v: unknown): v is RegistryRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.name === 'string' && typeof r.ip === 'string' && typeof r.port === 'number' && typeof r.online === 'boolean'
    && typeof r.proof === 'string' && typeof r.token === 'string' && typeof r.version === 'number' && (r.key === undefined || typeof r.key === 'string');
}

function toJson(r: RegistryRecord): string {
  // Only the record's own fields, in a fixed order: a caller's extra properties never reach Redis.
  return JSON.stringify({ name: r.name, ip: r.ip, port: r.port, online: r.online, proof: r.proof, token: r.token, version: r.version, key: r.key });
}

/**
 * The server's registry in Redis, under a key prefix (several systems may share one Redis):
 *
 * - `<prefix>registry:rows`: a hash, name key → the record as JSON (the last save wins);
 * - `<prefix>registry:highest`: the highest version ever saved or reserved (only raised);
 * - `<prefix>registry:lease`: the token of the store that may write, with an expiry;
 * - `<prefix>registry:lease-taker`: the token of the store that took the lease last.
 *
 * Durability: every write is one Lua script, answered by Redis only once its effects are in the
 * AOF; with `appendonly yes` and `appendfsync always` (see `checkRedisDurability`) that is after
 * the fsync, so a save that resolved survives a Redis crash.
 *
 * One writer per prefix, by a lease rather than a lock held forever. Today's server keeps the
 * table in memory, writes rows blindly (last save wins) and numbers table versions itself from
 * blocks it reserved; two such servers on one prefix would overwrite each other's rows and hand
 * out the same versions. So `open()` refuses a second store on the prefix, like the file store's
 * pid lock, with `code: 'ELOCKED'`. A process cannot be asked whether it is alive across hosts,
 * so the lease expires instead (`leaseMs`, renewed by a timer and by every write): a killed
 * server's successor can open after at most that long. Every write script checks the lease
 * token first (a fencing token), so a server that stalled past its lease, and was replaced,
 * has its later writes refused (`FENCED`) instead of overwriting its successor's. A lease that
 * lapsed only because Redis was unreachable for longer than it (nobody took it since, as the
 * last-taker key shows) is taken back by the next renewal or write, so a Redis outage does not
 * leave the server unable to write.
 *
 * Several instances over one Redis need a different contract (per-name atomic registration with
 * one shared version counter, a table change feed, membership with fencing); they will not take
 * this lease, which then only guards the single-server mode.
 *
 * The store does not own the connection: `close()` ends its lease and timer, not the client.
 */
export class RedisRegistryStore implements RegistryStore {
  private readonly keys: { readonly lease: string; readonly lastTaker: string; readonly rows: string; readonly highest: string };
  private readonly leaseMs: number;
  private readonly onFenced: ((why: 'taken' | 'data-lost') => void) | undefined;
  private fenced = false;
  private readonly token = randomUUID();
  private gate = new CallGate('registry store');
  private readonly acquire: LuaScript;
  private readonly renew: LuaScript;
  private readonly release: LuaScript;
  private readonly saveRow: LuaScript;
  private readonly reserve: LuaScript;
  private state: State = 'new';
  private renewTimer: NodeJS.Timeout | undefined;
  /** The highest version Redis confirmed (durable once confirmed). */
  private highest = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    options: RedisRegistryStoreOptions = {},
  ) {
    this.keys = { lease: `${prefix}registry:lease`, lastTaker: `${prefix}registry:lease-taker`, rows: `${prefix}registry:rows`, highest: `${prefix}registry:highest` };
    this.leaseMs = options.leaseMs ?? REGISTRY_LEASE_MS;
    this.onFenced = options.onFenced;
    this.acquire = defineLuaScript(redis, 'chatappRegistryLeaseAcquire', 'registry-lease-acquire.lua', 2);
    this.renew = defineLuaScript(redis, 'chatappRegistryLeaseRenew', 'registry-lease-renew.lua', 2);
    this.release = defineLuaScript(redis, 'chatappRegistryLeaseRelease', 'registry-lease-release.lua', 1);
    this.saveRow = defineLuaScript(redis, 'chatappRegistrySave', 'registry-save.lua', 4);
    this.reserve = defineLuaScript(redis, 'chatappRegistryReserve', 'registry-reserve.lua', 3);
  }

  async open(): Promise<void> {
    if (this.state === 'open') throw new Error(`registry store under prefix ${JSON.stringify(this.prefix)} is already open`);
    if (this.gate.isClosed) this.gate = new CallGate('registry store');
    const reply = (await this.acquire([this.keys.lease, this.keys.lastTaker], [this.token, this.leaseMs])) as [number, number?];
    if (reply[0] !== 1) {
      const leftMs = Math.max(0, reply[1] ?? 0);
      throw Object.assign(
        new Error(`another ChatApp server holds the registry under prefix ${JSON.stringify(this.prefix)} on this Redis (its lease ends within ${Math.ceil(leftMs / 1000)} s unless it is renewed)`),
        { code: 'ELOCKED' },
      );
    }
    try {
      this.highest = Number((await this.redis.get(this.keys.highest)) ?? '0');
    } catch (e) {
      await this.release([this.keys.lease], [this.token]).catch(() => undefined);
      throw e;
    }
    this.state = 'open';
    this.renewTimer = setInterval(() => {
      // A renewal that gets no answer is not fatal (Redis may be restarting); the writes check
      // the lease themselves (FENCED). Only a definite answer that the lease is lost is reported.
      this.renew([this.keys.lease, this.keys.lastTaker], [this.token, this.leaseMs]).then(
        (reply) => {
          if (reply === 1 || this.fenced || this.state !== 'open') return;
          this.fenced = true;
          this.onFenced?.(reply === -1 ? 'data-lost' : 'taken');
        },
        () => undefined,
      );
    }, Math.max(1, Math.floor(this.leaseMs / 3)));
  }

  load(): Promise<RegistryRecord[]> {
    return this.call(async () => {
      const rows = await this.redis.hgetall(this.keys.rows);
      const records: RegistryRecord[] = [];
      for (const json of Object.values(rows)) {
        const parsed: unknown = JSON.parse(json);
        if (!isRecord(parsed)) throw new Error(`malformed registry row in ${this.keys.rows}: ${json.slice(0, 200)}`);
        records.push(parsed);
      }
      return records;
    });
  }

  highestVersion(): Promise<number> {
    return this.call(async () => this.highest);
  }

  save(record: RegistryRecord): Promise<void> {
    return this.call(async () => {
      assertVersion(record.version);
      const highest = await this.saveRow([this.keys.lease, this.keys.rows, this.keys.highest, this.keys.lastTaker], [this.token, this.leaseMs, nameKey(record.name), toJson(record), record.version]);
      this.raise(Number(highest));
    });
  }

  reserveVersion(version: number): Promise<void> {
    return this.call(async () => {
      assertVersion(version);
      // Already durable: no round trip, so a server may call this for every change.
      if (version <= this.highest) return;
      this.raise(Number(await this.reserve([this.keys.lease, this.keys.highest, this.keys.lastTaker], [this.token, this.leaseMs, version])));
    });
  }

  async close(): Promise<void> {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    await this.gate.close();
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    // Best effort: a lease that cannot be given back (Redis unreachable) expires by itself.
    if (wasOpen) await this.release([this.keys.lease], [this.token]).catch(() => undefined);
  }

  private call<T>(task: () => Promise<T>): Promise<T> {
    if (this.state === 'closed') return Promise.reject(new StoreClosedError('registry store'));
    if (this.state === 'new') return Promise.reject(new Error('registry store used before open()'));
    return this.gate.run(task);
  }

  private raise(version: number): void {
    if (version > this.highest) this.highest = version;
  }
}

function assertVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`not a table version: ${version}`);
}
