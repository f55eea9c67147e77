import { ContainerModule } from 'inversify';
import { ChannelLog } from '../application/ports/channel-log';
import { MailboxStore } from '../application/ports/mailbox-store';
import { RegistryStore } from '../application/ports/registry-store';
import { SecretStore } from '../application/ports/secret-store';
import { SeenStore } from '../application/ports/seen-store';
import { InMemoryChannelLog } from '../adapters/in-memory/in-memory-channel-log';
import { InMemoryMailboxStore } from '../adapters/in-memory/in-memory-mailbox-store';
import { InMemoryRegistryStore } from '../adapters/in-memory/in-memory-registry-store';
import { InMemorySecretStore } from '../adapters/in-memory/in-memory-secret-store';
import { InMemorySeenStore } from '../adapters/in-memory/in-memory-seen-store';
import type { MailboxQuota } from '../domain/offline-mailbox';

/** Stores kept in memory; pass instances to share them across restarts or processes in a test. */
export function memoryStoresModule(
  stores: {
    mailbox?: InMemoryMailboxStore;
    registry?: InMemoryRegistryStore;
    channelLog?: InMemoryChannelLog;
    secrets?: InMemorySecretStore;
    seen?: InMemorySeenStore;
    quota?: MailboxQuota;
  } = {},
): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(MailboxStore).toConstantValue(stores.mailbox ?? new InMemoryMailboxStore(stores.quota));
    bind(RegistryStore).toConstantValue(stores.registry ?? new InMemoryRegistryStore());
    bind(ChannelLog).toConstantValue(stores.channelLog ?? new InMemoryChannelLog());
    bind(SecretStore).toConstantValue(stores.secrets ?? new InMemorySecretStore());
    bind(SeenStore).toConstantValue(stores.seen ?? new InMemorySeenStore());
  });
}
