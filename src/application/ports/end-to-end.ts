import type { ServiceIdentifier } from 'inversify';
import type { IdentityKeys } from './key-store';

/**
 * End-to-end protection between two clients, from their identity keys (one key per pair of
 * clients, made once and cached). Payloads and keys are opaque strings to the
 * application; `context` is the associated data the payload is bound to (who, to whom,
 * which message), so a payload cannot be moved to another message.
 */
export interface EndToEnd {
  /** A new identity key pair. */
  newIdentity(): IdentityKeys;
  /** True for a string that is a public key as a key request's answer gives it. */
  isPublicKey(publicKey: string): boolean;
  /** `text` sealed for `peerKey` (only `me` and the holder of the peer's private key can open it); undefined if `peerKey` is not a usable key. */
  seal(me: IdentityKeys, peerKey: string, text: string, context: string): string | undefined;
  /** The text of `sealed` if it authenticates under `me` and `peerKey` for `context`, else undefined. */
  open(me: IdentityKeys, peerKey: string, sealed: string, context: string): string | undefined;
  /** A short fingerprint of a public key, for users to compare out of band. */
  fingerprint(publicKey: string): string;
}

export const EndToEnd: ServiceIdentifier<EndToEnd> = Symbol('EndToEnd');
