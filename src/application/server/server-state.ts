import { inject, injectable } from 'inversify';
import { addressKey, sameAddress, type Address } from '../../domain/address';
import { ClientTable } from '../../domain/client-table';
import { nameKey } from '../../domain/nickname';
import { ReplyCache } from '../../domain/reply-cache';
import type { Reply } from '../protocol/envelope';
import { ChatSettings } from '../settings';

/** What the server knows of one registered name beyond its public table row. */
export interface ClientRecord {
  /** The name as its owner spelled it. */
  readonly name: string;
  /** Digest of the name's secret: who may come back under this name. */
  proof: string;
  /** The name's public key, pinned at its first registration (undefined: registered before keys existed). */
  key?: string;
  /** Token of the current session, given at registration; '' before the first one. */
  token: string;
  /** Where the current session registered from (change it through `ServerState.moveTo`). */
  readonly address: Address;
  /** The session proved it receives at `address` (it echoed its token from there). */
  validated: boolean;
  /** Table version this client has ACKed (updates to it start from here). */
  knownVersion: number;
  /** The session ended with a `dereg`: it can no longer confirm (come back online); a new registration clears it. */
  ended?: boolean;
  /** A registration accepted but not yet confirmed: when it was accepted, on the monotonic clock. */
  pendingSinceMs: number | undefined;
}

/**
 * A copy of a datagram cannot outlive the network's maximum segment lifetime twice over (2 × 2
 * min): a request is remembered at least this long, so a late copy (or a replay) of a `register`
 * gets the same answer instead of a new session, and a late `save`/`send-all` is not acted on again.
 */
const LATE_COPY_MS = 4 * 60_000;

/** A client the server pushes to: its address and the session token its pushes must carry. */
export interface PushTarget {
  readonly address: Address;
  readonly token: string;
}

/**
 * The server's state: the authoritative table, the per-name records, the reply cache that
 * makes retried requests act once, and a token index for session checks.
 */
@injectable()
export class ServerState {
  /** The working table: every decision reads it; changes land here first. */
  readonly table = new ClientTable();
  /**
   * The table as clients may see it: a change reaches it only once it is durable and every
   * earlier change is (see TableJournal), so no client ever holds a version a restarted server
   * could fall behind.
   */
  readonly published = new ClientTable();
  readonly records = new Map<string, ClientRecord>();
  readonly replies: ReplyCache<Reply>;
  private readonly keysByToken = new Map<string, string>();
  /** Names by the address their record points at, so "who else is at this address" is one lookup. */
  private readonly keysByAddress = new Map<string, Set<string>>();
  /** Set when the server stops: requests cut short by the shutdown must not change state. */
  stopping = false;

  constructor(@inject(ChatSettings) settings: ChatSettings) {
    this.replies = new ReplyCache<Reply>(Math.max(settings.dedupRetentionMs, LATE_COPY_MS));
  }

  record(name: string): ClientRecord | undefined {
    return this.records.get(nameKey(name));
  }

  /**
   * The record of the session `token` speaking from `from` for `name` (when given): the
   * session proof every state-changing request must carry.
   */
  session(token: string, from: Address, name?: string): { key: string; record: ClientRecord } | undefined {
    const key = this.keysByToken.get(token);
    if (key === undefined || (name !== undefined && nameKey(name) !== key)) return undefined;
    const record = this.records.get(key);
    return record && record.token === token && sameAddress(record.address, from) ? { key, record } : undefined;
  }

  /** Where a name's client is and the token that proves the server to it, if it has a session. */
  reach(name: string): PushTarget | undefined {
    const row = this.table.get(name);
    const record = this.record(name);
    if (!row || !record || record.token === '') return undefined;
    return { address: { ip: row.ip, port: row.port }, token: record.token };
  }

  /** Give `key` a new session token; the previous one stops working. */
  assignToken(key: string, record: ClientRecord, token: string): void {
    if (record.token !== '') this.keysByToken.delete(record.token);
    record.token = token;
    if (token !== '') this.keysByToken.set(token, key);
  }

  /** Add a name's record (a new registration, or one restored at start). */
  add(key: string, record: ClientRecord): void {
    this.records.set(key, record);
    this.index(key, record.address);
  }

  /** Point `key`'s record at a new address (a registration from elsewhere). */
  moveTo(key: string, record: ClientRecord, address: Address): void {
    this.unindex(key, record.address);
    (record as { address: Address }).address = address;
    this.index(key, address);
  }

  /** Names other than `key` whose record points at `address` (online, offline or registering). */
  othersAt(address: Address, key: string): string[] {
    return [...(this.keysByAddress.get(addressKey(address)) ?? [])].filter((k) => k !== key);
  }

  /**
   * The public keys of the names whose record points at `address`: who may answer there. A
   * server's secure link checks a client it calls itself against them.
   */
  keysAt(address: Address): string[] {
    const keys: string[] = [];
    for (const name of this.keysByAddress.get(addressKey(address)) ?? []) {
      const key = this.records.get(name)?.key ?? this.table.get(name)?.key;
      if (key !== undefined) keys.push(key);
    }
    return keys;
  }

  /** Forget a registration that was never confirmed. */
  drop(key: string): void {
    const record = this.records.get(key);
    if (record) {
      this.keysByToken.delete(record.token);
      this.unindex(key, record.address);
    }
    this.records.delete(key);
  }

  /** Whether `token` is still `key`'s session: work started for an older session must not act on a newer one. */
  isSession(key: string, token: string): boolean {
    return token !== '' && this.records.get(key)?.token === token;
  }

  replyKey(from: Address, id: string): string {
    return `${addressKey(from)}|${id}`;
  }

  private index(key: string, address: Address): void {
    const at = addressKey(address);
    let keys = this.keysByAddress.get(at);
    if (!keys) this.keysByAddress.set(at, (keys = new Set()));
    keys.add(key);
  }

  private unindex(key: string, address: Address): void {
    const at = addressKey(address);
    const keys = this.keysByAddress.get(at);
    keys?.delete(key);
    if (keys?.size === 0) this.keysByAddress.delete(at);
  }
}
