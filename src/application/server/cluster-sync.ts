import { inject, injectable } from 'inversify';
import { formatAddress, sameAddress, type Address } from '../../domain/address';
import type { TableRow } from '../../domain/client-table';
import { nameKey } from '../../domain/nickname';
import { Clock, type TimerHandle } from '../ports/clock';
import { Logger } from '../ports/logger';
import { HEARTBEAT_PERIOD_MS, Membership, type Member } from '../ports/membership';
import { TableFeed, type TableChange, type TableSession, type TableSnapshot, type TableSubscription } from '../ports/table-feed';
import { MAX_SERVER_ADDRESSES } from '../protocol/envelope';
import { PENDING_REGISTRATION_MS } from './pending-registrations';
import { ServerState } from './server-state';
import { TableBroadcaster } from './table-broadcaster';

/** What an instance of several is told to advertise to clients as its address. */
export interface ClusterOptions {
  /** The IP clients of other instances reach this one at (its port is the one it bound). */
  readonly advertiseIp: string;
}

export const ClusterOptions = Symbol('ClusterOptions');

/** Why an instance can no longer serve as part of its system. */
export type ClusterFailure = 'fenced' | 'data-lost';

/** A claim the shared table refused for good: retrying it cannot succeed. */
export class ClaimRefusedError extends Error {
  constructor(readonly reason: 'owned' | 'fenced' | 'stale', name: string) {
    super(`the shared table refused the change of ${name}: ${reason}`);
  }
}

/**
 * One server instance's part in a system of several over a shared store (SPEC §7, "Several
 * servers"). The instances share the table, the owners of names and the session tokens
 * through the `TableFeed`, and who is live, and which instance is each client's home,
 * through `Membership`. Bound only when the server runs as one of several; the single server
 * keeps its own registry and numbers versions itself.
 *
 * - Every table change is a `claim` on the shared table, which gives it the next version of
 *   the whole system. Every instance (this one included) follows the feed and applies each
 *   change, in version order, to the table it publishes to its clients: one version sequence
 *   for all, so a client moving to another instance keeps its table.
 * - The server's records of names homed elsewhere (owner proof, session token, address) come
 *   from the feed too, so any instance can check a name's owner, probe a client or push it a
 *   channel message. Only a client's home instance pushes it the table (`validated`).
 * - A heartbeat renews this instance's lease each second; a survivor takes over the clients
 *   of an instance whose lease ran out and sends them the table and what is stored for them.
 *   An instance that finds itself declared dead stops: its claims are refused (fencing).
 */
@injectable()
export class ClusterSync {
  /** This instance's id in the membership ('' before it joined). */
  id = '';
  private epoch = '';
  private members: Member[] = [];
  private subscription: TableSubscription | undefined;
  private timer: TimerHandle | undefined;
  private beating = false;
  private stopped = false;
  /**
   * Per name key, this instance's claims whose change the feed has not delivered yet: what
   * each sets, so its change is told from another instance's when it comes back.
   */
  private readonly local = new Map<string, Array<{ readonly row: TableRow; readonly token: string; readonly home: string }>>();
  /** Per name key, who held the row in the last change the feed delivered. */
  private readonly sessions = new Map<string, TableSession>();
  /** Per name key, the row as the last change the feed delivered set it. */
  private readonly shared = new Map<string, TableRow>();
  /** Claims waiting for the feed to deliver their version. */
  private waiters: Array<{ readonly version: number; readonly resolve: () => void }> = [];
  private failed: (why: ClusterFailure) => void = () => undefined;
  private tookOver: (names: readonly string[]) => void = () => undefined;
  private membersChanged: () => void = () => undefined;

  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(TableFeed) private readonly feed: TableFeed,
    @inject(Membership) private readonly membership: Membership,
    @inject(TableBroadcaster) private readonly broadcaster: TableBroadcaster,
    @inject(ClusterOptions) private readonly options: ClusterOptions,
    @inject(Clock) private readonly clock: Clock,
    @inject(Logger) private readonly logger: Logger,
  ) {}

  /** Told once when this instance can no longer serve (declared dead, or the store lost its data). */
  onFailure(listener: (why: ClusterFailure) => void): void {
    this.failed = listener;
  }

  /**
   * Told each time this instance took over from a dead one, with the name keys of the clients
   * it took over. Possibly none (its clients had moved, e.g. to an instance restarted on its
   * port), yet the dead instance may still owe channel pushes.
   */
  onTakeover(listener: (names: readonly string[]) => void): void {
    this.tookOver = listener;
  }

  /**
   * The ids of the instances alive now, this one included, read from the shared store;
   * undefined when it cannot be read (a takeover then hands over everything still owed: a
   * live instance's message may reach its members twice, which they show once).
   */
  async liveInstances(): Promise<Set<string> | undefined> {
    try {
      return new Set([this.id, ...(await this.membership.peers()).map((m) => m.id)]);
    } catch {
      return undefined;
    }
  }

  /** Told when the set of live instances changed. */
  onMembersChanged(listener: () => void): void {
    this.membersChanged = listener;
  }

  /** Connect to the shared store and load the table and every name's record from it. */
  async open(): Promise<{ clients: number; version: number }> {
    await this.feed.open();
    const snapshot = await this.feed.snapshot();
    this.epoch = snapshot.epoch;
    this.restore(snapshot);
    return { clients: snapshot.rows.length, version: snapshot.version };
  }

  /** Join the live instances at `port`, follow the table from the snapshot `open` read, and start the heartbeat. */
  async join(port: number): Promise<void> {
    this.id = await this.membership.join({ ip: this.options.advertiseIp, port });
    this.members = await this.membership.peers();
    this.subscription = this.feed.follow({ epoch: this.epoch, version: this.state.published.version }, {
      onChanges: (changes) => this.applyChanges(changes),
      onResync: (snapshot) => this.resync(snapshot),
    });
    this.schedule();
  }

  /**
   * The live instances' addresses as clients are told them: this one first (a client reads that
   * entry as another address of the instance it hears the list from, and does not move from it
   * to it: KnownInstances), then the others oldest first, at most MAX_SERVER_ADDRESSES (a
   * client needs a few to move to, not all).
   */
  servers(): string[] {
    const mine = this.members.filter((m) => m.id === this.id).map((m) => formatAddress(m.address));
    return [...mine, ...this.otherServers()].slice(0, MAX_SERVER_ADDRESSES);
  }

  /** The other live instances, oldest first, as `servers` lists them: where this one's clients go when it stops. */
  otherServers(): string[] {
    return this.members.filter((m) => m.id !== this.id).slice(0, MAX_SERVER_ADDRESSES).map((m) => formatAddress(m.address));
  }

  /**
   * Hold a new name for the owner registering it (`proof`) across the system while its
   * registration is confirmed: false when another owner has or holds it.
   */
  reserveName(key: string, proof: string): Promise<boolean> {
    return this.feed.reserveName(key, proof, PENDING_REGISTRATION_MS);
  }

  /** True when the shared table does not yet know the session this instance gave `key` (a new token, or its home moved here). */
  sessionChanged(key: string): boolean {
    const known = this.sessions.get(key);
    const record = this.state.records.get(key);
    return !known || !record || known.token !== record.token || known.home !== this.id;
  }

  /**
   * Make `name`'s row in the working table the shared one; resolves once the feed delivered
   * the change (it is durable and published to this instance's clients).
   *
   * - `session` (a registration confirmed here): the row with this instance's session token,
   *   and this instance as the client's home.
   * - `status` (the session went offline: a dereg here, or a probe from any instance found it
   *   gone): only if the name's session is still the one this instance knows, which keeps its
   *   token and home; a newer session elsewhere wins (`stale`: the working row goes back to
   *   the shared one and nothing changes).
   *
   * Rejects with `ClaimRefusedError` when the name has another owner, this instance was
   * declared dead, or (`status`) the session is another one by now.
   */
  async commit(name: string, mode: 'session' | 'status' = 'session'): Promise<void> {
    const key = nameKey(name);
    const row = this.state.table.get(key);
    const record = this.state.records.get(key);
    if (!row || !record) return;
    const known = this.sessions.get(key);
    const session =
      mode === 'session'
        ? { token: record.token, home: this.id, by: this.id }
        : { token: record.token, home: known?.home ?? this.id, by: this.id, ifToken: record.token };
    const expected = { row, token: session.token, home: session.home };
    this.local.set(key, [...(this.local.get(key) ?? []), expected]);
    let delivered = false;
    try {
      if (mode === 'session' && row.online && !(await this.membership.home(key))) throw new ClaimRefusedError('fenced', row.name);
      const claim = await this.feed.claim(row, record.proof, session);
      if (!claim.ok) throw new ClaimRefusedError(claim.reason, row.name);
      delivered = true;
      await this.published(claim.version);
    } catch (error) {
      // The change will never come through the feed: stop holding back the others' changes of
      // this name, and take the shared row and session back where this claim changed them.
      if (!delivered) {
        this.release(key, expected);
        const shared = this.shared.get(key);
        if (!this.local.has(key) && shared && known) this.adopt(key, shared, this.sessions.get(key) ?? known);
      }
      if (error instanceof ClaimRefusedError && error.reason === 'fenced') this.fail('fenced');
      throw error;
    }
  }

  /**
   * Resolves once this instance's table includes every change claimed anywhere before the
   * call: a `send_all` then reaches every member whose registration completed before it,
   * whichever instance took it.
   */
  async catchUp(): Promise<void> {
    await this.published(await this.feed.currentVersion());
  }

  /** Leave the system (the others see this instance gone at once) and stop following. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    if (this.id !== '') await this.membership.leave().catch((error: unknown) => this.logger.warn('could not leave the membership', { error: String(error) }));
    await this.subscription?.stop();
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
    await this.feed.close();
  }

  private published(version: number): Promise<void> {
    if (this.state.published.version >= version) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ version, resolve }));
  }

  private release(key: string, expected: { readonly row: TableRow; readonly token: string; readonly home: string }): void {
    const left = (this.local.get(key) ?? []).filter((claim) => claim !== expected);
    if (left.length > 0) this.local.set(key, left);
    else this.local.delete(key);
  }

  private applyChanges(changes: readonly TableChange[]): void {
    for (const change of changes) {
      this.state.published.applyChange(change.version, change.row);
      const key = nameKey(change.row.name);
      this.sessions.set(key, change.session);
      this.shared.set(key, change.row);
      const own = this.local.get(key)?.find((c) => c.token === change.session.token && c.home === change.session.home && sameRowAs(c.row, change.row));
      if (own) {
        // This instance's own claim: its working row and record are already what it says.
        this.release(key, own);
      } else if (!this.local.has(key)) {
        // Another instance's change, or an older one of ours: the name's row and record follow
        // it. While a claim of ours for the name is under way its newer row stays.
        this.adopt(key, change.row, change.session);
      }
    }
    const version = this.state.published.version;
    const due = this.waiters.filter((w) => w.version <= version);
    this.waiters = this.waiters.filter((w) => w.version > version);
    for (const waiter of due) waiter.resolve();
    this.broadcaster.changed();
  }

  private resync(snapshot: TableSnapshot): void {
    if (snapshot.epoch !== this.epoch) {
      this.logger.error('the shared store lost its data (its epoch changed)', { was: this.epoch, now: snapshot.epoch });
      this.fail('data-lost');
      return;
    }
    this.logger.warn('fell behind the table feed; reloading the whole table', { version: snapshot.version });
    this.restore(snapshot);
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
    this.broadcaster.changed();
  }

  /** Load every row and record from a snapshot (at start, or after falling behind the feed). */
  private restore(snapshot: TableSnapshot): void {
    this.state.published.restore(snapshot.version, snapshot.rows);
    const rows = snapshot.rows.map((row) => (this.local.has(nameKey(row.name)) ? (this.state.table.get(row.name) ?? row) : row));
    this.state.table.restore(snapshot.version, rows);
    for (const row of snapshot.rows) {
      const key = nameKey(row.name);
      const session = snapshot.sessions.get(key) ?? { owner: '', token: '', home: '' };
      this.sessions.set(key, session);
      this.shared.set(key, row);
      if (!this.local.has(key)) this.adopt(key, row, session, false);
    }
  }

  /** Make `key`'s row and record what the shared table says. */
  private adopt(key: string, row: TableRow, session: TableSession, intoTable = true): void {
    if (intoTable) this.state.table.upsert(row);
    const address: Address = { ip: row.ip, port: row.port };
    let record = this.state.records.get(key);
    if (!record) {
      record = { name: row.name, proof: session.owner, token: '', address, validated: false, knownVersion: 0, pendingSinceMs: undefined };
      this.state.add(key, record);
    } else {
      // The shared row carries the key the name was pinned to, wherever it registered.
      if (session.owner !== '') record.proof = session.owner;
      if (!sameAddress(record.address, address)) this.state.moveTo(key, record, address);
      if (record.token !== session.token) record.pendingSinceMs = undefined;
    }
    if (row.key !== undefined) record.key = row.key;
    if (record.token !== session.token) this.state.assignToken(key, record, session.token);
    // Only the home instance pushes a client its table; one that moved away is no longer ours.
    record.validated = row.online && session.home === this.id && session.home !== '';
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(HEARTBEAT_PERIOD_MS, () => {
      this.timer = undefined;
      void this.beat().finally(() => this.schedule());
    });
  }

  /** Renew the lease, take over dead instances' clients, and notice instances coming and going. */
  private async beat(): Promise<void> {
    if (this.beating || this.stopped) return;
    this.beating = true;
    try {
      if (!(await this.membership.heartbeat())) {
        this.fail('fenced');
        return;
      }
      const takeovers = await this.membership.reapDead();
      for (const takeover of takeovers) {
        this.logger.warn('took over the clients of an instance that stopped', { instance: takeover.instance, clients: takeover.names.length });
        this.tookOver(takeover.names);
      }
      const members = await this.membership.peers();
      const before = this.servers().join(',');
      this.members = members;
      if (this.servers().join(',') !== before) this.membersChanged();
    } catch (error) {
      // The store is unreachable: nothing is ACKed meanwhile (writes fail); try again next beat.
      this.logger.warn('could not renew the membership', { error: String(error) });
    } finally {
      this.beating = false;
    }
  }

  private fail(why: ClusterFailure): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.failed(why);
  }
}

function sameRowAs(a: TableRow, b: TableRow): boolean {
  return nameKey(a.name) === nameKey(b.name) && a.ip === b.ip && a.port === b.port && a.online === b.online;
}
