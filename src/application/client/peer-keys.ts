import { inject, injectable } from 'inversify';
import type { TableRow } from '../../domain/client-table';
import { nameKey } from '../../domain/nickname';
import { err, ok, type Result } from '../../domain/result';
import { ChatView } from '../ports/chat-view';
import { Clock } from '../ports/clock';
import { Crypto } from '../ports/crypto';
import { EndToEnd } from '../ports/end-to-end';
import { KEY_REQUEST_MAX_NAMES } from '../protocol/envelope';
import { ReliableSender } from '../reliable-sender';
import { ChatSettings } from '../settings';
import { ClientSession } from './client-session';

/** A name whose key was just asked for because of a message is not asked for again sooner (anyone can name a sender). */
const REFRESH_INTERVAL_MS = 5000;
/** Requests for keys that inbound messages cause, at most, in any second. */
const INBOUND_ASKS_PER_SECOND = 8;
/** Names remembered for REFRESH_INTERVAL_MS at most (a flood of made-up names must not grow the map). */
const REFRESHED_MAX = 4096;

/**
 * The keys of the names this client talks with. Table rows carry no keys (protocol 10: in a
 * table of thousands they were most of its bytes, and a client talks with few of them), so a
 * key is asked of the server the first time it is needed (`key-request`) and kept while the
 * client runs. Each key learnt is pinned: a name met before under another key, in this process or
 * an earlier one of the same user (the pins are kept in its data directory), is told to the
 * user, since the server refuses a name's new key and so a change means a server that lies or
 * one that was reset.
 */
@injectable()
export class PeerKeys {
  /** Name key → the key the server gave for it while the client runs. */
  private readonly keys = new Map<string, string>();
  /** Name keys asked for and not answered yet, with the request that will answer them. */
  private readonly asking = new Map<string, Promise<boolean>>();
  /** Name key → when its key was last asked for again after it failed to open a message. */
  private readonly refreshedAtMs = new Map<string, number>();
  private inboundWindowStartMs = Number.NEGATIVE_INFINITY;
  private inboundAsked = 0;

  constructor(
    @inject(ClientSession) private readonly session: ClientSession,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(ChatView) private readonly view: ChatView,
    @inject(EndToEnd) private readonly e2e: EndToEnd,
    @inject(Clock) private readonly clock: Clock,
  ) {}

  /** The key of `name` if known in this process (this client's own, once its identity is loaded). */
  get(name: string): string | undefined {
    const key = nameKey(name);
    return key === this.session.key ? this.session.identity?.publicKey : this.keys.get(key);
  }

  /**
   * The key of `name`, asked of the server if not known yet: `ok(undefined)` if the server has
   * none for it, `no-response` if the server did not answer (like any request to it).
   */
  async lookup(name: string): Promise<Result<string | undefined, { code: 'no-response' }>> {
    const known = this.get(name);
    if (known !== undefined) return ok(known);
    const answered = await this.ask([nameKey(name)]);
    const key = this.get(name);
    return key !== undefined || answered ? ok(key) : err({ code: 'no-response' });
  }

  /** Ask for the keys of every name in `names` not known yet (several requests if need be); resolves when all are answered. */
  async ensure(names: readonly string[]): Promise<void> {
    const missing = [...new Set(names.map(nameKey))].filter((key) => this.get(key) === undefined);
    if (missing.length > 0) await this.ask(missing);
  }

  /**
   * A message names `name` as its sender and does not open under the key known for it, or no
   * key is known: ask the server (at most once every few seconds per name, and a few names a
   * second in all: anyone can send a datagram naming any sender). True if a key other than
   * the one known before came back.
   */
  async forInbound(name: string): Promise<boolean> {
    const key = nameKey(name);
    const now = this.clock.monotonicMs();
    if (now - (this.refreshedAtMs.get(key) ?? Number.NEGATIVE_INFINITY) < REFRESH_INTERVAL_MS) return false;
    if (now - this.inboundWindowStartMs >= 1000) {
      this.inboundWindowStartMs = now;
      this.inboundAsked = 0;
    }
    if (this.inboundAsked >= INBOUND_ASKS_PER_SECOND) return false;
    this.inboundAsked += 1;
    if (this.refreshedAtMs.size >= REFRESHED_MAX) this.refreshedAtMs.clear();
    this.refreshedAtMs.set(key, now);
    const before = this.keys.get(key);
    this.keys.delete(key);
    await this.ask([key]);
    const after = this.keys.get(key);
    if (after === undefined && before !== undefined) this.keys.set(key, before);
    return after !== undefined && after !== before;
  }

  /** Learn keys from rows that carry them (an answer to `key-request`), pinning each. */
  learn(rows: readonly TableRow[]): void {
    let changed = false;
    for (const row of rows) {
      if (row.key === undefined) continue;
      const key = nameKey(row.name);
      this.keys.set(key, row.key);
      if (this.session.isMe(row.name)) continue;
      const pinned = this.session.pinnedKeys.get(key);
      if (pinned === row.key) continue;
      changed = true;
      this.session.pinnedKeys.set(key, row.key);
      if (pinned !== undefined) {
        this.view.show({ kind: 'info', text: `[Warning: the key of ${row.name} changed; its fingerprint is now ${this.e2e.fingerprint(row.key)}. Compare it with ${row.name} before you trust its messages (whois ${row.name}).]` });
      }
    }
    if (changed) this.session.savePins?.();
  }

  /** Ask for `keys` (name keys), joining requests already under way for any of them; true if every request was answered. */
  private async ask(keys: readonly string[]): Promise<boolean> {
    const waits: Promise<boolean>[] = [];
    const fresh: string[] = [];
    for (const key of keys) {
      const asking = this.asking.get(key);
      if (asking) waits.push(asking);
      else fresh.push(key);
    }
    for (let first = 0; first < fresh.length; first += KEY_REQUEST_MAX_NAMES) {
      const batch = fresh.slice(first, first + KEY_REQUEST_MAX_NAMES);
      const request = this.request(batch).finally(() => {
        for (const key of batch) if (this.asking.get(key) === request) this.asking.delete(key);
      });
      for (const key of batch) this.asking.set(key, request);
      waits.push(request);
    }
    return (await Promise.all(waits)).every(Boolean);
  }

  private async request(names: string[]): Promise<boolean> {
    // Only a session can ask; without one the key stays unknown (the caller says so).
    if (this.session.state !== 'online') return true;
    const reply = await this.sender.request(this.session.server, { t: 'key-request', id: this.crypto.messageId(), token: this.session.token, names }, this.settings.policies.toServer);
    if (reply?.t === 'ack' && reply.rows) this.learn(reply.rows.filter((row) => names.includes(nameKey(row.name))));
    return reply !== undefined;
  }
}
