import type { ServiceIdentifier } from 'inversify';
import type { Address } from '../domain/address';
import type { MailboxQuota } from '../domain/offline-mailbox';
import type { RetryPolicies } from '../domain/retry-policy';

/** Tunables shared by server and client; the composition root fills them from defaults and flags. */
export interface ChatSettings {
  readonly policies: RetryPolicies;
  /** How long a receiver remembers ids it acted on (≥ the longest exchange). */
  readonly dedupRetentionMs: number;
  readonly mailboxQuota: MailboxQuota;
  /** Registrations beyond this are refused with `server-full`. */
  readonly maxClients: number;
  /** Table datagrams per pacing step of a broadcast (keeps receivers' buffers from overflowing). */
  readonly broadcastBatch: number;
  /**
   * A client whose table has at most this many rows asks for all their keys as it arrives
   * (a first message then waits for no key); a larger table's keys are asked for as needed.
   */
  readonly prefetchKeysMaxRows: number;
}

export const ChatSettings: ServiceIdentifier<ChatSettings> = Symbol('ChatSettings');

/** Who this client is and where its server is. */
export interface ClientIdentity {
  readonly name: string;
  /** The server instance it was started with. */
  readonly server: Address;
  /** Other instances of the same system the user named (`--servers`), tried in this order after it. */
  readonly servers?: readonly Address[];
}

export const ClientIdentity: ServiceIdentifier<ClientIdentity> = Symbol('ClientIdentity');
