import path from 'node:path';
import { ContainerModule } from 'inversify';
import { ChannelLog } from '../application/ports/channel-log';
import { MailboxStore } from '../application/ports/mailbox-store';
import { RegistryStore } from '../application/ports/registry-store';
import { EndToEnd } from '../application/ports/end-to-end';
import { KeyStore } from '../application/ports/key-store';
import { NodeEndToEnd } from '../adapters/system/node-end-to-end';
import { SecretStore } from '../application/ports/secret-store';
import { SeenStore } from '../application/ports/seen-store';
import { FsChannelLog } from '../adapters/fs/fs-channel-log';
import { FsMailboxStore } from '../adapters/fs/fs-mailbox-store';
import { FsRegistryStore } from '../adapters/fs/fs-registry-store';
import { FsSecretStore } from '../adapters/fs/fs-secret-store';
import { FsKeyStore } from '../adapters/fs/fs-key-store';
import { FsSeenStore } from '../adapters/fs/fs-seen-store';
import { NodeFileSystem, type FileSystem } from '../adapters/fs/file-system';
import type { MailboxQuota } from '../domain/offline-mailbox';

/**
 * Durable stores in a data directory: the server's mailboxes, registry and channel log, a
 * client's name secrets, identity keys (and the EndToEnd protection they serve) and the messages it showed (bound for both roles; only a client uses
 * those two, and their files are made by the first call). `fileSystem` is what the server's
 * stores write through (a failpoint wrapper in crash tests).
 */
export function fsStoresModule(dir: string, quota: MailboxQuota, fileSystem: FileSystem = new NodeFileSystem()): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(MailboxStore).toConstantValue(new FsMailboxStore(dir, quota, fileSystem));
    bind(RegistryStore).toConstantValue(new FsRegistryStore(dir, fileSystem));
    bind(ChannelLog).toConstantValue(new FsChannelLog(dir, fileSystem));
    bind(SecretStore).toConstantValue(new FsSecretStore(path.join(dir)));
    bind(KeyStore).toConstantValue(new FsKeyStore(dir));
    bind(EndToEnd).toConstantValue(new NodeEndToEnd());
    bind(SeenStore).toConstantValue(new FsSeenStore(dir));
  });
}
