import type { Address } from '../domain/address';
import { DEFAULT_MAILBOX_QUOTA } from '../domain/offline-mailbox';
import { defaultRetryPolicies, longestExchangeMs } from '../domain/retry-policy';
import type { ChatSettings } from '../application/settings';

/** How a server node is set up. */
export interface ServerConfig {
  readonly role: 'server';
  readonly port: number;
  readonly host?: string;
  readonly settings: ChatSettings;
}

/** How a client node is set up. */
export interface ClientConfig {
  readonly role: 'client';
  readonly name: string;
  readonly server: Address;
  /** Other instances of the server's system to move to when it stops answering (`--servers`). */
  readonly servers?: readonly Address[];
  readonly port: number;
  readonly host?: string;
  readonly settings: ChatSettings;
}

export type NodeConfig = ServerConfig | ClientConfig;

/** Defaults of SPEC §4 and §5; override any field. */
export function defaultSettings(overrides: Partial<ChatSettings> = {}): ChatSettings {
  const policies = overrides.policies ?? defaultRetryPolicies();
  return {
    policies,
    // Twice the longest exchange: a copy delayed by reordering still finds its id remembered.
    dedupRetentionMs: 2 * longestExchangeMs(policies),
    mailboxQuota: DEFAULT_MAILBOX_QUOTA,
    maxClients: 20_000,
    broadcastBatch: 256,
    prefetchKeysMaxRows: 64,
    ...overrides,
  };
}
