import type { ServiceIdentifier } from 'inversify';

/** What the server remembers of one registered name across restarts. */
export interface RegistryRecord {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly online: boolean;
  /** Digest of the name's secret: who may come back under this name. */
  readonly proof: string;
  /** The name's public key, pinned at its first registration (absent for a name registered before keys). */
  readonly key?: string;
  /** The current session token, so sessions survive a server restart. */
  readonly token: string;
  /** The table version when this record was written; a restarted server continues above the highest. */
  readonly version: number;
}

/**
 * The server's persistent registry of names. `save` resolves once the record is durable,
 * so a restarted server knows every client, its owner proof and its last status.
 *
 * Table versions never go backwards across restarts: the store keeps, durably, the highest
 * version any record was saved with or any `reserveVersion` reserved, however the rows are
 * later rewritten. A server reserves a version before clients may see it (in blocks, so most
 * changes cost no extra write) and, after a restart, continues above `highestVersion()`.
 *
 * A failed write rejects that call only: later calls work again (the file store rewrites its
 * log first). Once `close()` began, calls reject with `StoreClosedError`; `close()` waits for
 * the calls already under way.
 */
export interface RegistryStore {
  /** Take the store for this process (one writer); rejects if another live server holds it. */
  open(): Promise<void>;
  /** The last saved record of every name. */
  load(): Promise<RegistryRecord[]>;
  /**
   * The highest table version ever saved in a record or reserved, as durable when `open()`
   * resolved, or higher if this process saved or reserved more since. 0 for a new store.
   */
  highestVersion(): Promise<number>;
  save(record: RegistryRecord): Promise<void>;
  /**
   * Resolves once `highestVersion()` of any later open is at least `version`. Cheap (no write)
   * when that is already durable, so a server may reserve a block ahead and call it per change.
   */
  reserveVersion(version: number): Promise<void>;
  close(): Promise<void>;
}

export const RegistryStore: ServiceIdentifier<RegistryStore> = Symbol('RegistryStore');
