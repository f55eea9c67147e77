import { ContainerModule } from 'inversify';
import { ChannelLog } from '../application/ports/channel-log';
import { MailboxStore } from '../application/ports/mailbox-store';
import { RegistryStore } from '../application/ports/registry-store';
import { EndToEnd } from '../application/ports/end-to-end';
import { KeyStore } from '../application/ports/key-store';
import { NodeEndToEnd } from '../adapters/system/node-end-to-end';
import { SecretStore } from '../application/ports/secret-store';
import { InMemoryKeyStore } from '../adapters/in-memory/in-memory-key-store';
import { SeenStore } from '../application/ports/seen-store';
import { InMemoryChannelLog } from '../adapters/in-memory/in-memory-channel-log';
import { InMemoryMailboxStore } from '../adapters/in-memory/in-memory-mailbox-store';
import { InMemoryRegistryStore } from '../adapters/in-memory/in-memory-registry-store';
import { InMemorySecretStore } from '../adapters/in-memory/in-memory-secret-store';
import { InMemorySeenStore } from '../adapters/in-memory/in-memory-seen-store';
import type { MailboxQuota } from '../domain/offline-mailbox';

/**
 * The identity keys that live beside each secret store, as a data directory holds both: a test
 * that passes a client's secrets to a new process (same user) gets its keys too.
 */
const KEYS_BESIDE_SECRETS = new WeakMap<InMemorySecretStore, InMemoryKeyStore>();

export function keysBeside(secrets: InMemorySecretStore): InMemoryKeyStore {
  let keys = KEYS_BESIDE_SECRETS.get(secrets);
  if (!keys) {
    keys = new InMemoryKeyStore();
    KEYS_BESIDE_SECRETS.set(secrets, keys);
  }
  return keys;
}

/** Stores kept in memory; pass instances to share them across restarts or processes in a test. */
export function memoryStoresModule(
  stores: {
    mailbox?: InMemoryMailboxStore;
    registry?: InMemoryRegistryStore;
    channelLog?: InMemoryChannelLog;
    secrets?: InMemorySecretStore;
    keys?: InMemoryKeyStore;
    /** The end-to-end protection (tests pass a seeded one to replay with the same keys). */
    e2e?: NodeEndToEnd;
    seen?: InMemorySeenStore;
    quota?: MailboxQuota;
  } = {},
): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(MailboxStore).toConstantValue(stores.mailbox ?? new InMemoryMailboxStore(stores.quota));
    bind(RegistryStore).toConstantValue(stores.registry ?? new InMemoryRegistryStore());
    bind(ChannelLog).toConstantValue(stores.channelLog ?? new InMemoryChannelLog());
    const secrets = stores.secrets ?? new InMemorySecretStore();
    bind(SecretStore).toConstantValue(secrets);
    bind(KeyStore).toConstantValue(stores.keys ?? keysBeside(secrets));
    bind(EndToEnd).toConstantValue(stores.e2e ?? new NodeEndToEnd());
    bind(SeenStore).toConstantValue(stores.seen ?? new InMemorySeenStore());
  });
}
