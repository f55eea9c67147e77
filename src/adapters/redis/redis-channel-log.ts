import type { Redis } from 'ioredis';
import type { ChannelEntry, ChannelLog, PendingChannelEntry } from '../../application/ports/channel-log';
import { CallGate } from './call-gate';
import { defineLuaScript, type LuaScript } from './lua-script';

/** Entries read per MULTI by `pending()`, so one huge backlog does not become one huge reply. */
const PENDING_BATCH = 500;

interface EntryKeys {
  readonly entry: string;
  readonly to: string;
  readonly owed: string;
}

/**
 * The channel log in Redis, under a key prefix. For message id `i` (used as is, after the kind
 * of key, so no key can be mistaken for another):
 *
 * - `<prefix>channel:order`: a sorted set, id → place, oldest first; `<prefix>channel:seq` its counter;
 * - `<prefix>channel:entry:<i>`: a hash (sender, text, at, and `by`: the instance that recorded it last);
 * - `<prefix>channel:to:<i>`: a list of every member it was recorded for, in order;
 * - `<prefix>channel:owed:<i>`: a set of the members not reached yet.
 *
 * `record` and `delivered` are each one Lua script (a retried `send_all` adds each member once,
 * and the last delivery forgets the message in the same step). Redis answers a write only once
 * its effects are in the AOF: with `appendonly yes` and `appendfsync always` (see
 * `checkRedisDurability`), after the fsync, so a record is durable when it resolves, before the
 * sender's ACK.
 *
 * The store does not own the connection; `close()` refuses later calls and waits for those
 * under way.
 */
export class RedisChannelLog implements ChannelLog {
  private readonly gate = new CallGate('channel log');
  private readonly order: string;
  private readonly orderSeq: string;
  private readonly recordScript: LuaScript;
  private readonly deliveredScript: LuaScript;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.order = `${prefix}channel:order`;
    this.orderSeq = `${prefix}channel:seq`;
    this.recordScript = defineLuaScript(redis, 'chatappChannelRecord', 'channel-record.lua', 5);
    this.deliveredScript = defineLuaScript(redis, 'chatappChannelDelivered', 'channel-delivered.lua', 4);
  }

  record(entry: ChannelEntry): Promise<void> {
    return this.gate.run(async () => {
      if (entry.recipients.length === 0) return;
      const k = this.keys(entry.id);
      await this.recordScript([this.order, this.orderSeq, k.entry, k.to, k.owed], [entry.id, entry.sender, entry.text, entry.storedAtMs, entry.by ?? '', ...entry.recipients]);
    });
  }

  delivered(id: string, recipientKey: string): Promise<void> {
    return this.gate.run(async () => {
      const k = this.keys(id);
      await this.deliveredScript([this.order, k.entry, k.to, k.owed], [id, recipientKey]);
    });
  }

  pending(): Promise<PendingChannelEntry[]> {
    return this.gate.run(async () => {
      const ids = await this.redis.zrange(this.order, 0, -1);
      const pending: PendingChannelEntry[] = [];
      for (let first = 0; first < ids.length; first += PENDING_BATCH) {
        const batch = ids.slice(first, first + PENDING_BATCH);
        const multi = this.redis.multi();
        for (const id of batch) {
          const k = this.keys(id);
          multi.hgetall(k.entry).lrange(k.to, 0, -1).smembers(k.owed);
        }
        const replies = (await multi.exec()) ?? [];
        batch.forEach((id, i) => {
          const [entryReply, toReply, owedReply] = replies.slice(3 * i, 3 * i + 3);
          for (const reply of [entryReply, toReply, owedReply]) if (reply?.[0]) throw reply[0];
          const fields = entryReply?.[1] as Record<string, string>;
          const to = toReply?.[1] as string[];
          const owed = new Set(owedReply?.[1] as string[]);
          // Delivered to its last member between the two reads: nothing is owed any more.
          if (owed.size === 0 || fields.sender === undefined || fields.text === undefined) return;
          const storedAtMs = Number(fields.at);
          pending.push({
            entry: { id, sender: fields.sender, text: fields.text, storedAtMs, recipients: to, ...(fields.by ? { by: fields.by } : {}) },
            recipients: to.filter((r) => owed.has(r)),
          });
        });
      }
      return pending;
    });
  }

  close(): Promise<void> {
    return this.gate.close();
  }

  private keys(id: string): EntryKeys {
    return { entry: `${this.prefix}channel:entry:${id}`, to: `${this.prefix}channel:to:${id}`, owed: `${this.prefix}channel:owed:${id}` };
  }
}
