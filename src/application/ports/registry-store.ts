import type { ServiceIdentifier } from 'inversify';

/** What the server remembers of one registered name across restarts. */
export interface RegistryRecord {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly online: boolean;
  /** Digest of the name's secret: who may come back under this name. */
  readonly proof: string;
  /** The current session token, so sessions survive a server restart. */
  readonly token: string;
  /** The table version when this record was written; a restarted server continues above the highest. */
  readonly version: number;
}

/**
 * The server's persistent registry of names. `save` resolves once the record is durable,
 * so a restarted server knows every client, its owner proof and its last status.
 */
export interface RegistryStore {
  /** Take the store for this process (one writer); rejects if another live server holds it. */
  open(): Promise<void>;
  load(): Promise<RegistryRecord[]>;
  save(record: RegistryRecord): Promise<void>;
  close(): Promise<void>;
}

export const RegistryStore: ServiceIdentifier<RegistryStore> = Symbol('RegistryStore');
