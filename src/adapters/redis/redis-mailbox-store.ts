import type { Redis } from 'ioredis';
import { utf8Length } from '../../domain/message-text';
import { DEFAULT_MAILBOX_QUOTA, type MailboxMessage, type MailboxQuota, type StoredKind, type StoredMessage } from '../../domain/offline-mailbox';
import type { AppendOutcome, MailboxStore } from '../../application/ports/mailbox-store';
import { CallGate } from './call-gate';
import { defineLuaScript, type LuaScript } from './lua-script';

/** Refused ids remembered per recipient, so a retried save is counted once (as the other stores). */
const RECENT_REFUSED_IDS = 1_000;

interface MailboxKeys {
  readonly stream: string;
  readonly ids: string;
  readonly meta: string;
  readonly refused: string;
}

function isOutcome(v: unknown): v is AppendOutcome {
  return v === 'stored' || v === 'duplicate' || v === 'full';
}

function fieldMap(fields: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return map;
}

/**
 * Offline mailboxes in Redis, one Stream per recipient, under a key prefix. For recipient key
 * `k` (used as is: Redis keys are binary-safe, and the kind of key comes before it, so no key
 * can be mistaken for another):
 *
 * - `<prefix>mbox:<k>`: a Stream, one entry per stored message (fields id, sender, kind, at,
 *   text, seq, bytes); entry id order is the order stored. Deleted when emptied.
 * - `<prefix>mbox-ids:<k>`: a hash, message id → entry id: the dedup index and how `remove`
 *   finds entries.
 * - `<prefix>mbox-meta:<k>`: a hash: `seq` (the last place in line given, kept when the stream
 *   is emptied, so places only grow), `bytes` (text bytes stored, for the quota), `refused`
 *   (messages refused for a full mailbox, not yet cleared) and `rseq`.
 * - `<prefix>mbox-refused:<k>`: a sorted set of the latest refused message ids, so a retried
 *   refused save counts once.
 *
 * `append` is one Lua script: dedup by message id, the quota, the refused count and the write
 * happen atomically, so a retry racing its original, or two servers, store an id once. Every
 * write is answered only once its effects are in the AOF: with `appendonly yes` and
 * `appendfsync always` (see `checkRedisDurability`), after the fsync, so 'stored' and 'full'
 * (with its count) are durable when they resolve.
 *
 * The store does not own the connection; `close()` refuses later calls and waits for those
 * under way.
 */
export class RedisMailboxStore implements MailboxStore {
  private readonly gate = new CallGate('mailbox store');
  private readonly appendScript: LuaScript;
  private readonly removeScript: LuaScript;
  private readonly clearRefusedScript: LuaScript;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly quota: MailboxQuota = DEFAULT_MAILBOX_QUOTA,
  ) {
    this.appendScript = defineLuaScript(redis, 'chatappMailboxAppend', 'mailbox-append.lua', 4);
    this.removeScript = defineLuaScript(redis, 'chatappMailboxRemove', 'mailbox-remove.lua', 3);
    this.clearRefusedScript = defineLuaScript(redis, 'chatappMailboxClearRefused', 'mailbox-clear-refused.lua', 1);
  }

  append(message: StoredMessage): Promise<AppendOutcome> {
    return this.gate.run(async () => {
      const k = this.keys(message.recipient);
      const outcome = await this.appendScript(
        [k.stream, k.ids, k.meta, k.refused],
        [message.id, message.sender, message.kind, message.storedAtMs, message.text, utf8Length(message.text), this.quota.maxMessages, this.quota.maxBytes, RECENT_REFUSED_IDS],
      );
      if (!isOutcome(outcome)) throw new Error(`unexpected reply from the mailbox append script: ${String(outcome)}`);
      return outcome;
    });
  }

  list(recipientKey: string): Promise<MailboxMessage[]> {
    return this.gate.run(async () => {
      const entries = await this.redis.xrange(this.keys(recipientKey).stream, '-', '+');
      return entries.map(([entryId, fields]) => this.toMessage(recipientKey, entryId, fieldMap(fields)));
    });
  }

  remove(recipientKey: string, ids: readonly string[]): Promise<void> {
    return this.gate.run(async () => {
      if (ids.length === 0) return;
      const k = this.keys(recipientKey);
      await this.removeScript([k.stream, k.ids, k.meta], [...ids]);
    });
  }

  refused(recipientKey: string): Promise<number> {
    return this.gate.run(async () => Number((await this.redis.hget(this.keys(recipientKey).meta, 'refused')) ?? '0'));
  }

  clearRefused(recipientKey: string, count: number): Promise<void> {
    return this.gate.run(async () => {
      if (!(count > 0)) return;
      await this.clearRefusedScript([this.keys(recipientKey).meta], [Math.floor(count)]);
    });
  }

  close(): Promise<void> {
    return this.gate.close();
  }

  private keys(recipientKey: string): MailboxKeys {
    return {
      stream: `${this.prefix}mbox:${recipientKey}`,
      ids: `${this.prefix}mbox-ids:${recipientKey}`,
      meta: `${this.prefix}mbox-meta:${recipientKey}`,
      refused: `${this.prefix}mbox-refused:${recipientKey}`,
    };
  }

  private toMessage(recipient: string, entryId: string, f: Map<string, string>): MailboxMessage {
    const id = f.get('id');
    const sender = f.get('sender');
    const kind = f.get('kind');
    const at = Number(f.get('at'));
    const text = f.get('text');
    const seq = Number(f.get('seq'));
    if (id === undefined || sender === undefined || text === undefined || (kind !== 'direct' && kind !== 'channel') || !Number.isFinite(at) || !Number.isSafeInteger(seq)) {
      throw new Error(`malformed mailbox entry ${entryId} in ${this.keys(recipient).stream}`);
    }
    return { id, recipient, sender, kind: kind as StoredKind, storedAtMs: at, text, seq };
  }
}
