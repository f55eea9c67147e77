import type { ServiceIdentifier } from 'inversify';

/**
 * A name's long-term identity key pair. The application passes it around whole and never
 * looks inside: `publicKey` is what the server gives others for the name (the raw 32-byte X25519 key as
 * base64url), `privateKey` is the private half in whatever form the EndToEnd adapter made it.
 */
export interface IdentityKeys {
  readonly publicKey: string;
  readonly privateKey: string;
}

/**
 * The client's identity key pairs, one per name, kept in its data directory (readable by its
 * owner only). Moving a name to another machine means copying its key file.
 */
export interface KeyStore {
  /** The key pair of `nameKey`, created (by `create`) and kept if there is none yet. */
  keysFor(nameKey: string, create: () => IdentityKeys): Promise<IdentityKeys>;
  /**
   * The keys the user of `nameKey` has met other names by (name key → public key), kept across
   * restarts, so a key that changes since a name was last seen is noticed by a new process too.
   */
  peerPins(nameKey: string): Promise<Map<string, string>>;
  /** Keep `pins` as the whole set for `nameKey` (written whole, so a crash keeps the old set or the new one). */
  savePeerPins(nameKey: string, pins: ReadonlyMap<string, string>): Promise<void>;
}

export const KeyStore: ServiceIdentifier<KeyStore> = Symbol('KeyStore');
