import type { Address } from './address';
import { nameKey } from './nickname';

/** One row of the table every node holds: who is registered, where, and whether online. */
export interface TableRow {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly online: boolean;
  /** The client's public identity key (base64url), pinned by the server at its first registration. */
  readonly key?: string;
}

interface VersionedRow extends TableRow {
  /** The table version at which this row last changed; deltas are "rows changed after v". */
  readonly changedAt: number;
}

/** What applying an update from the server did to a client's local copy. */
export type ApplyOutcome = 'applied' | 'stale' | 'gap';

/**
 * The client table with a version number. The server's copy is authoritative: each change
 * bumps the version. Clients hold a copy and apply only newer versions; a delta whose base
 * is not the version they hold is a gap, to be filled by fetching the whole table.
 */
export class ClientTable {
  private readonly rowsByKey = new Map<string, VersionedRow>();
  private currentVersion = 0;

  get version(): number {
    return this.currentVersion;
  }

  get size(): number {
    return this.rowsByKey.size;
  }

  get(name: string): TableRow | undefined {
    const row = this.rowsByKey.get(nameKey(name));
    return row && stripVersion(row);
  }

  rows(): TableRow[] {
    return [...this.rowsByKey.values()].map(stripVersion);
  }

  onlineRows(): TableRow[] {
    return this.rows().filter((r) => r.online);
  }

  /** Names whose key starts with `prefix` (case-insensitive), for completion. */
  namesStartingWith(prefix: string): string[] {
    const p = nameKey(prefix);
    return this.rows()
      .filter((r) => nameKey(r.name).startsWith(p))
      .map((r) => r.name);
  }

  /** Server side: set a row; bumps the version only if something changed. */
  upsert(row: TableRow): boolean {
    const existing = this.rowsByKey.get(nameKey(row.name));
    if (existing && sameRow(existing, row)) return false;
    this.currentVersion += 1;
    this.rowsByKey.set(nameKey(row.name), { ...row, changedAt: this.currentVersion });
    return true;
  }

  setOnline(name: string, online: boolean, address?: Address): boolean {
    const row = this.get(name);
    if (!row) return false;
    return this.upsert({ ...row, online, ...(address ? { ip: address.ip, port: address.port } : {}) });
  }

  /** Rows changed after version `since` (all rows when since is 0). */
  changesSince(since: number): TableRow[] {
    return [...this.rowsByKey.values()].filter((r) => r.changedAt > since).map(stripVersion);
  }

  /** Client side: replace everything with a full table of `version`, unless older. */
  applyFull(version: number, rows: readonly TableRow[]): ApplyOutcome {
    if (version <= this.currentVersion && this.currentVersion !== 0) return 'stale';
    this.rowsByKey.clear();
    for (const row of rows) this.rowsByKey.set(nameKey(row.name), { ...stripVersion(row), changedAt: version });
    this.currentVersion = version;
    return 'applied';
  }

  /**
   * Client side, on moving to another server instance: its versions are not ours, so the next
   * whole table is taken whatever its version (any delta is a gap until then). The rows stay,
   * so chat goes on meanwhile.
   */
  forgetVersion(): void {
    this.restore(0, this.rows());
  }

  /** True if the table holds exactly `rows` (in any order). */
  hasRows(rows: readonly TableRow[]): boolean {
    if (rows.length !== this.rowsByKey.size) return false;
    return rows.every((row) => {
      const mine = this.rowsByKey.get(nameKey(row.name));
      return mine !== undefined && sameRow(mine, row);
    });
  }

  /** True if every row is already held exactly so (a delta that changes nothing visible). */
  holdsAll(rows: readonly TableRow[]): boolean {
    return rows.every((row) => {
      const mine = this.rowsByKey.get(nameKey(row.name));
      return mine !== undefined && sameRow(mine, row);
    });
  }

  /** Client side: apply the rows that changed between `from` and `to`. */
  applyDelta(from: number, to: number, rows: readonly TableRow[]): ApplyOutcome {
    if (to <= this.currentVersion) return 'stale';
    // A delta from an older base holds every row changed since that base, so it also covers
    // what changed since ours (the server's record of our version lags when an ACK is lost;
    // calling that a gap would fetch the whole table, which under load feeds on itself).
    if (from > this.currentVersion) return 'gap';
    for (const row of rows) this.rowsByKey.set(nameKey(row.name), { ...stripVersion(row), changedAt: to });
    this.currentVersion = to;
    return 'applied';
  }

  /**
   * Server side: record `row` as it stood at `version`, the change after the table's own
   * (changes are published one version at a time, in order, so deltas stay complete).
   */
  applyChange(version: number, row: TableRow): void {
    if (version !== this.currentVersion + 1) throw new Error(`change ${version} does not follow version ${this.currentVersion}`);
    this.rowsByKey.set(nameKey(row.name), { ...stripVersion(row), changedAt: version });
    this.currentVersion = version;
  }

  /** Server side after a restart: rebuild from persisted rows at a known version. */
  restore(version: number, rows: readonly TableRow[]): void {
    this.rowsByKey.clear();
    for (const row of rows) this.rowsByKey.set(nameKey(row.name), { ...stripVersion(row), changedAt: version });
    this.currentVersion = version;
  }
}

function stripVersion(row: TableRow): TableRow {
  return row.key === undefined ? { name: row.name, ip: row.ip, port: row.port, online: row.online } : { name: row.name, ip: row.ip, port: row.port, online: row.online, key: row.key };
}

function sameRow(a: TableRow, b: TableRow): boolean {
  return a.name === b.name && a.ip === b.ip && a.port === b.port && a.online === b.online && a.key === b.key;
}
