import { inject, injectable, optional } from 'inversify';
import { nameKey } from '../../domain/nickname';
import { RegistryStore } from '../ports/registry-store';
import { ServerState } from './server-state';

/**
 * Table versions reserved by one durable write: a change whose version is already reserved
 * costs no extra write, and a restarted server skips at most this many versions.
 */
export const VERSION_RESERVE_BLOCK = 64;

/**
 * Writes a name's row and record to the registry store; resolves once it is durable. Also
 * reserves table versions before clients may see them, so a server killed and restarted never
 * reuses a version it pushed (clients would take its first changes for stale ones).
 */
@injectable()
export class RegistrySync {
  /** Versions up to this one are durably reserved. */
  private reservedThrough = 0;
  /** The reservation being written, if any. */
  private reserving: { readonly through: number; readonly done: Promise<void> } | undefined;

  constructor(
    @inject(ServerState) private readonly state: ServerState,
    // Absent for an instance of several: the shared table keeps the rows (see ClusterSync).
    @inject(RegistryStore) @optional() private readonly registry?: RegistryStore,
  ) {}

  private get store(): RegistryStore {
    if (!this.registry) throw new Error('no registry store is bound (an instance of several writes through ClusterSync)');
    return this.registry;
  }

  async persist(name: string): Promise<void> {
    const row = this.state.table.get(name);
    const record = this.state.records.get(nameKey(name));
    if (!row || !record) return;
    await this.store.save({ ...row, proof: record.proof, token: record.token, version: this.state.table.version });
  }

  /**
   * Resolves once `version` (by default the table's current one) is durably reserved; call it
   * before pushing that version to anyone. Reserves `VERSION_RESERVE_BLOCK` versions at a time,
   * so it resolves at once for most changes.
   */
  async reserve(version: number = this.state.table.version): Promise<void> {
    while (version > this.reservedThrough) {
      if (this.reserving && this.reserving.through >= version) {
        await this.reserving.done;
        continue;
      }
      if (this.reserving) {
        // A smaller block is being written: wait for it, then reserve past it.
        await this.reserving.done.catch(() => undefined);
        continue;
      }
      const through = version + VERSION_RESERVE_BLOCK - 1;
      const done = this.store.reserveVersion(through).then(() => {
        this.reservedThrough = Math.max(this.reservedThrough, through);
      });
      const reserving = { through, done };
      this.reserving = reserving;
      const clear = (): void => {
        if (this.reserving === reserving) this.reserving = undefined;
      };
      done.then(clear, clear);
      await done;
    }
  }
}
