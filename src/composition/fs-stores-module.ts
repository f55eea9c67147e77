import path from 'node:path';
import { ContainerModule } from 'inversify';
import { MailboxStore } from '../application/ports/mailbox-store';
import { RegistryStore } from '../application/ports/registry-store';
import { SecretStore } from '../application/ports/secret-store';
import { FsMailboxStore } from '../adapters/fs/fs-mailbox-store';
import { FsRegistryStore } from '../adapters/fs/fs-registry-store';
import { FsSecretStore } from '../adapters/fs/fs-secret-store';
import type { MailboxQuota } from '../domain/offline-mailbox';

/** Durable stores in a data directory: the server's mailboxes and registry, a client's name secrets. */
export function fsStoresModule(dir: string, quota: MailboxQuota): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(MailboxStore).toConstantValue(new FsMailboxStore(dir, quota));
    bind(RegistryStore).toConstantValue(new FsRegistryStore(dir));
    bind(SecretStore).toConstantValue(new FsSecretStore(path.join(dir)));
  });
}
