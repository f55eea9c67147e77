import type { ServiceIdentifier } from 'inversify';

/**
 * The client's per-name secrets, kept in its data directory so its own user can come back
 * under a name from a new port or process, and nobody else can.
 */
export interface SecretStore {
  /** The secret for `nameKey`, created (by `create`) and kept if there is none yet. */
  secretFor(nameKey: string, create: () => string): Promise<string>;
}

export const SecretStore: ServiceIdentifier<SecretStore> = Symbol('SecretStore');
