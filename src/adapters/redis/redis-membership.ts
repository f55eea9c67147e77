import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Address } from '../../domain/address';
import { MEMBER_TTL_MS, type Member, type Membership, type Takeover } from '../../application/ports/membership';
import { CallGate } from './call-gate';
import { defineLuaScript, type LuaScript } from './lua-script';

export interface RedisMembershipOptions {
  /** See MEMBER_TTL_MS; short in tests. */
  readonly ttlMs?: number;
}

/**
 * Server instances and clients' homes in Redis, under a key prefix:
 *
 * - `<prefix>members`: a sorted set, instance id → when its lease ends (ms, Redis's clock);
 * - `<prefix>member:<id>`: a hash with the instance's address;
 * - `<prefix>homes`: a hash, name key → the id of the client's home instance.
 *
 * Every lease decision reads Redis's `TIME` inside a Lua script, so skewed instance clocks
 * cannot declare a live instance dead. A take-over is one script per dead instance; its
 * `ZREM` succeeds for one caller only, so no client is taken over twice, and a fenced caller
 * (its own lease ran out) takes nothing and homes nobody.
 *
 * The store does not own the connection.
 */
export class RedisMembership implements Membership {
  private readonly members: string;
  private readonly homes: string;
  private readonly ttlMs: number;
  private readonly gate = new CallGate('membership');
  private readonly joinScript: LuaScript;
  private readonly heartbeatScript: LuaScript;
  private readonly homeScript: LuaScript;
  private readonly reapScript: LuaScript;
  private readonly leaveScript: LuaScript;
  private id: string | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    options: RedisMembershipOptions = {},
  ) {
    this.members = `${prefix}members`;
    this.homes = `${prefix}homes`;
    this.ttlMs = options.ttlMs ?? MEMBER_TTL_MS;
    this.joinScript = defineLuaScript(redis, 'chatappMemberJoin', 'member-join.lua', 2);
    this.heartbeatScript = defineLuaScript(redis, 'chatappMemberHeartbeat', 'member-heartbeat.lua', 1);
    this.homeScript = defineLuaScript(redis, 'chatappMemberHome', 'member-home.lua', 2);
    this.reapScript = defineLuaScript(redis, 'chatappMemberReap', 'member-reap.lua', 3);
    this.leaveScript = defineLuaScript(redis, 'chatappMemberLeave', 'member-leave.lua', 1);
  }

  join(address: Address): Promise<string> {
    return this.gate.run(async () => {
      const id = randomUUID();
      await this.joinScript([this.members, this.memberKey(id)], [id, this.ttlMs, address.ip, address.port]);
      this.id = id;
      return id;
    });
  }

  heartbeat(): Promise<boolean> {
    return this.gate.run(async () => (await this.heartbeatScript([this.members], [this.me(), this.ttlMs])) === 1);
  }

  peers(): Promise<Member[]> {
    return this.gate.run(async () => {
      const [seconds, micros] = await this.redis.time();
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const ids = await this.redis.zrangebyscore(this.members, now, '+inf');
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hmget(this.memberKey(id), 'ip', 'port', 'joined');
      const replies = (await pipeline.exec()) ?? [];
      const members: Array<Member & { joined: number }> = [];
      ids.forEach((id, i) => {
        const [error, fields] = replies[i] ?? [];
        if (error) throw error;
        const [ip, port, joined] = fields as [string | null, string | null, string | null];
        if (ip !== null && port !== null) members.push({ id, address: { ip, port: Number(port) }, joined: Number(joined) });
      });
      return members.sort((a, b) => a.joined - b.joined || a.id.localeCompare(b.id)).map(({ id, address }) => ({ id, address }));
    });
  }

  home(nameKey: string): Promise<boolean> {
    return this.gate.run(async () => (await this.homeScript([this.members, this.homes], [this.me(), nameKey])) === 1);
  }

  reapDead(): Promise<Takeover[]> {
    return this.gate.run(async () => {
      const [seconds, micros] = await this.redis.time();
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const dead = await this.redis.zrangebyscore(this.members, '-inf', `(${now}`);
      const takeovers: Takeover[] = [];
      for (const instance of dead) {
        if (instance === this.id) continue;
        const reply = (await this.reapScript([this.members, this.homes, this.memberKey(instance)], [this.me(), instance])) as number | [number, string[]];
        if (reply === -1) break;
        if (Array.isArray(reply)) takeovers.push({ instance, names: reply[1] });
      }
      return takeovers;
    });
  }

  leave(): Promise<void> {
    return this.gate.run(async () => {
      if (this.id !== undefined) await this.leaveScript([this.members], [this.id]);
    });
  }

  private me(): string {
    if (this.id === undefined) throw new Error('membership used before join()');
    return this.id;
  }

  private memberKey(id: string): string {
    return `${this.prefix}member:${id}`;
  }
}
