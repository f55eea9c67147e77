import type { ServiceIdentifier } from 'inversify';
import type { TableRow } from '../../domain/client-table';

/**
 * Who holds a name's row, beside the row itself (never sent to clients): the name's owner
 * (digest of its secret), the current session token, and the instance the client is homed on
 * ('' when no instance is named, as in the contract tests).
 */
export interface TableSession {
  readonly owner: string;
  readonly token: string;
  readonly home: string;
}

/**
 * The session a claim stores with the row (`token`, `home`), the instance making it (`by`,
 * fenced: refused once its membership lease ran out; `home` when absent), and the session
 * token it expects to replace (`ifToken`).
 */
export interface ClaimSession {
  readonly token: string;
  readonly home: string;
  readonly by?: string;
  readonly ifToken?: string;
}

/** One change of the shared table: `row` as it is from `version` on, and who holds it then. */
export interface TableChange {
  readonly version: number;
  readonly row: TableRow;
  readonly session: TableSession;
}

/** The whole shared table at one version, read atomically. */
export interface TableSnapshot {
  /** Changes when the store lost its data (a Redis restarted empty): versions from before mean nothing. */
  readonly epoch: string;
  readonly version: number;
  readonly rows: readonly TableRow[];
  /** By name key: who holds each row (see TableSession). */
  readonly sessions: ReadonlyMap<string, TableSession>;
}

/** What a claim of a name's row did. */
export type TableClaim =
  | { readonly ok: true; readonly version: number }
  /** The name belongs to another owner: nothing changed. */
  | { readonly ok: false; readonly reason: 'owned' }
  /** The home instance named was declared dead (its lease ran out): nothing changed. */
  | { readonly ok: false; readonly reason: 'fenced' }
  /** `ifToken` was given and the name's session is another one by now: nothing changed. */
  | { readonly ok: false; readonly reason: 'stale' };

/** Where a follower is told about changes. Calls come one at a time, in version order. */
export interface TableFollower {
  /** The changes right after the last one delivered (or after `from`), consecutive versions. */
  onChanges(changes: readonly TableChange[]): void;
  /**
   * The follower cannot be given the changes since its last version (they were trimmed, or
   * the epoch changed): here is the whole table; later changes follow on from its version.
   */
  onResync(snapshot: TableSnapshot): void;
}

/** A running `follow`; `stop()` resolves once no more calls will come. */
export interface TableSubscription {
  stop(): Promise<void>;
}

/**
 * The client table shared by every server instance of one system, with one version counter
 * for all of them, and the feed of its changes (SPEC §7 "Several servers").
 *
 * - `claim` sets a name's row for its owner (the digest of the name's secret): the name is
 *   taken by the first owner to claim it and refused to any other, atomically, so when two
 *   instances register one free name at the same instant exactly one wins. Each change gets
 *   the next version of the whole system and is durable when the call resolves.
 * - `follow` delivers every change after a version, in order and without gaps, to one
 *   instance, which pushes them to the clients homed on it; a follower too far behind (the
 *   feed keeps only the latest changes) or on another epoch gets a snapshot instead.
 *
 * One server alone uses the in-memory adapter (the same code path); several use Redis.
 */
export interface TableFeed {
  /** Connects, and gives the store its epoch if it has none. */
  open(): Promise<void>;
  /**
   * Set `row` for `owner`. `session` names the session token and home instance stored with
   * it; a claim by an instance whose membership lease ran out is refused (`fenced`). With
   * `ifToken`, only while the name's session token is still that one (`stale` otherwise): a
   * change about one session (it went offline) never lands on a newer one.
   */
  claim(row: TableRow, owner: string, session?: ClaimSession): Promise<TableClaim>;
  /**
   * Hold a name that has no owner yet for `owner` for `holdMs` (its registration is being
   * confirmed): true when `owner` owns or now holds it, false when another owner does. Two
   * instances registering one free name for two owners at once: exactly one gets true.
   */
  reserveName(nameKey: string, owner: string, holdMs: number): Promise<boolean>;
  snapshot(): Promise<TableSnapshot>;
  /** The version of the latest change claimed anywhere (no rows: cheap, for catching up). */
  currentVersion(): Promise<number>;
  /** Follow from `from` (a snapshot's epoch and version, or any later version delivered). */
  follow(from: { readonly epoch: string; readonly version: number }, follower: TableFollower): TableSubscription;
  /** Stops every follow and refuses later calls with `StoreClosedError`. */
  close(): Promise<void>;
}

export const TableFeed: ServiceIdentifier<TableFeed> = Symbol('TableFeed');
