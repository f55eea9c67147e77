import { randomUUID } from 'node:crypto';
import type { TableRow } from '../../domain/client-table';
import { nameKey } from '../../domain/nickname';
import { StoreClosedError } from '../../application/ports/store-closed-error';
import type { ClaimSession, TableChange, TableClaim, TableFeed, TableFollower, TableSession, TableSnapshot, TableSubscription } from '../../application/ports/table-feed';
import type { Clock } from '../../application/ports/clock';
import type { InMemoryMembers } from './in-memory-membership';

/** Changes kept for followers that are behind; one further back gets a snapshot. */
export const IN_MEMORY_FEED_CHANGES = 10_000;

/**
 * What the instances of one system share when they run in one process: the table, its
 * version, its epoch and the latest changes (the part Redis holds for real instances).
 */
export class InMemorySharedTable {
  epoch = randomUUID();
  version = 0;
  readonly rows = new Map<string, TableRow>();
  readonly owners = new Map<string, string>();
  readonly sessions = new Map<string, TableSession>();
  /** Names held for an owner registering them: name key → owner and when the hold ends (ms). */
  readonly holds = new Map<string, { owner: string; untilMs: number }>();
  /** The latest changes, oldest first, consecutive versions. */
  readonly changes: TableChange[] = [];
  /** Told after every change (and wipe), so followers can catch up. */
  readonly listeners = new Set<() => void>();

  constructor(readonly keep: number = IN_MEMORY_FEED_CHANGES) {}

  /** Lose everything, as a Redis restarted without its data: a new epoch, version 0. */
  wipe(): void {
    this.epoch = randomUUID();
    this.version = 0;
    this.rows.clear();
    this.owners.clear();
    this.sessions.clear();
    this.holds.clear();
    this.changes.length = 0;
    this.notify();
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * The table feed in memory: the one-server adapter, and N instances in one process when they
 * are given one `InMemorySharedTable`. Followers are told asynchronously (never inside `claim`),
 * one change batch at a time, as a Redis follower would be.
 */
export class InMemoryTableFeed implements TableFeed {
  private closed = false;
  private readonly subscriptions = new Set<TableSubscription>();

  /**
   * `liveHome` tells whether a home instance's lease still runs (for fencing); the default
   * says yes, as for one server alone. `now` is the clock holds are measured on.
   */
  constructor(
    private readonly shared: InMemorySharedTable = new InMemorySharedTable(),
    private readonly liveHome: (home: string) => boolean = () => true,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** One instance's feed of several in one process: claims fenced by the shared membership leases. */
  static fencedBy(shared: InMemorySharedTable, members: InMemoryMembers, clock: Pick<Clock, 'monotonicMs'>): InMemoryTableFeed {
    const now = (): number => clock.monotonicMs();
    return new InMemoryTableFeed(shared, (home) => (members.members.get(home)?.endsMs ?? -Infinity) >= now(), now);
  }

  async open(): Promise<void> {
    this.closed = false;
  }

  async claim(row: TableRow, owner: string, session: ClaimSession = { token: '', home: '' }): Promise<TableClaim> {
    this.assertOpen();
    const by = session.by ?? session.home;
    if (by !== '' && !this.liveHome(by)) return { ok: false, reason: 'fenced' };
    const key = nameKey(row.name);
    const held = this.shared.sessions.get(key);
    if (session.ifToken !== undefined && held && held.token !== session.ifToken) return { ok: false, reason: 'stale' };
    const current = this.shared.owners.get(key);
    if (current !== undefined && current !== owner) return { ok: false, reason: 'owned' };
    this.shared.owners.set(key, owner);
    const version = ++this.shared.version;
    const copy = { name: row.name, ip: row.ip, port: row.port, online: row.online, ...(row.key === undefined ? {} : { key: row.key }) };
    this.shared.rows.set(key, copy);
    const now = { owner, token: session.token, home: session.home };
    this.shared.sessions.set(key, now);
    this.shared.holds.delete(key);
    this.shared.changes.push({ version, row: copy, session: now });
    if (this.shared.changes.length > this.shared.keep) this.shared.changes.splice(0, this.shared.changes.length - this.shared.keep);
    this.shared.notify();
    return { ok: true, version };
  }

  async reserveName(key: string, owner: string, holdMs: number): Promise<boolean> {
    this.assertOpen();
    const current = this.shared.owners.get(key);
    if (current !== undefined) return current === owner;
    const now = this.now();
    const hold = this.shared.holds.get(key);
    if (hold && hold.untilMs > now && hold.owner !== owner) return false;
    this.shared.holds.set(key, { owner, untilMs: now + holdMs });
    return true;
  }

  async currentVersion(): Promise<number> {
    this.assertOpen();
    return this.shared.version;
  }

  async snapshot(): Promise<TableSnapshot> {
    this.assertOpen();
    return this.read();
  }

  follow(from: { readonly epoch: string; readonly version: number }, follower: TableFollower): TableSubscription {
    this.assertOpen();
    let epoch = from.epoch;
    let version = from.version;
    let scheduled = false;
    let stopped = false;
    const pump = (): void => {
      scheduled = false;
      if (stopped) return;
      const shared = this.shared;
      if (epoch !== shared.epoch) return resync();
      if (version >= shared.version) return;
      const first = shared.changes[0];
      if (!first || first.version > version + 1) return resync();
      const start = version + 1 - first.version;
      const batch = shared.changes.slice(start);
      version = batch[batch.length - 1]!.version;
      follower.onChanges(batch);
    };
    const resync = (): void => {
      const snapshot = this.read();
      epoch = snapshot.epoch;
      version = snapshot.version;
      follower.onResync(snapshot);
    };
    const listener = (): void => {
      if (scheduled || stopped) return;
      scheduled = true;
      setImmediate(pump);
    };
    this.shared.listeners.add(listener);
    listener();
    const subscription: TableSubscription = {
      stop: async () => {
        stopped = true;
        this.shared.listeners.delete(listener);
        this.subscriptions.delete(subscription);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
  }

  private read(): TableSnapshot {
    return {
      epoch: this.shared.epoch,
      version: this.shared.version,
      rows: [...this.shared.rows.values()].map((r) => ({ ...r })),
      sessions: new Map(this.shared.sessions),
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('table feed');
  }
}
