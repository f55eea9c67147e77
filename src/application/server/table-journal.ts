import { inject, injectable, optional } from 'inversify';
import type { TableRow } from '../../domain/client-table';
import { nameKey } from '../../domain/nickname';
import { Clock } from '../ports/clock';
import { Logger } from '../ports/logger';
import { ClaimRefusedError, ClusterSync } from './cluster-sync';
import { RegistrySync } from './registry-sync';
import { ServerState } from './server-state';
import { TableBroadcaster } from './table-broadcaster';

/** First wait before a failed registry write is made again; doubled up to the cap. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 2000;

/**
 * The only way the server's table changes. A change lands in the working table at once (every
 * decision sees it), is written to the registry, and is published to clients only once it is
 * durable and every earlier version is too. So a version a client has seen is always on disk:
 * a server killed at any moment resumes at or above it, and clients never take its next
 * changes for stale ones. A failed write is made again (the store recovers from a transient
 * failure) until it succeeds or the server stops; meanwhile later changes wait to be published.
 *
 * One instance of several (a `ClusterSync` is bound) claims each change on the shared table
 * instead, which numbers it for the whole system; it is published when the feed brings it back.
 */
@injectable()
export class TableJournal {
  /** Durable changes not yet published because an earlier version is still being written. */
  private readonly durable = new Map<number, TableRow>();

  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(RegistrySync) private readonly registry: RegistrySync,
    @inject(TableBroadcaster) private readonly broadcaster: TableBroadcaster,
    @inject(Clock) private readonly clock: Clock,
    @inject(Logger) private readonly logger: Logger,
    @inject(ClusterSync) @optional() private readonly cluster?: ClusterSync,
  ) {}

  /** Start both tables from what the registry held. */
  restore(version: number, rows: readonly TableRow[]): void {
    this.state.table.restore(version, rows);
    this.state.published.restore(version, rows);
  }

  /** Set a row; resolves (true) once the change is durable and published, false if nothing changed. */
  async upsert(row: TableRow): Promise<boolean> {
    // One of several instances also shares a new session (token, home) of an unchanged row.
    if (!this.state.table.upsert(row) && !this.cluster?.sessionChanged(nameKey(row.name))) return false;
    await this.commit(row.name, 'session');
    return true;
  }

  /** Set a name online or offline; resolves like `upsert`. */
  async setOnline(name: string, online: boolean): Promise<boolean> {
    if (!this.state.table.setOnline(name, online)) return false;
    try {
      await this.commit(name, 'status');
    } catch (error) {
      // One of several instances: the name's session changed elsewhere meanwhile; this change
      // was about the old one, so nothing changed.
      if (error instanceof ClaimRefusedError && error.reason === 'stale') return false;
      throw error;
    }
    return true;
  }

  private async commit(name: string, mode: 'session' | 'status'): Promise<void> {
    const version = this.state.table.version;
    const row = this.state.table.get(name)!;
    const cluster = this.cluster;
    for (let waitMs = RETRY_FIRST_MS; ; waitMs = Math.min(RETRY_MAX_MS, waitMs * 2)) {
      try {
        if (cluster) return await cluster.commit(name, mode);
        await this.registry.persist(name);
        break;
      } catch (error) {
        if (this.state.stopping || error instanceof ClaimRefusedError) throw error;
        this.logger.error('could not write the registry; trying again', { name, version, error: String(error) });
        await new Promise<void>((resolve) => this.clock.setTimer(waitMs, resolve));
      }
    }
    this.durable.set(version, row);
    this.publish();
  }

  private publish(): void {
    const published = this.state.published;
    let advanced = false;
    for (let next = published.version + 1, row = this.durable.get(next); row; next += 1, row = this.durable.get(next)) {
      this.durable.delete(next);
      published.applyChange(next, row);
      advanced = true;
    }
    if (advanced) this.broadcaster.changed();
  }
}
