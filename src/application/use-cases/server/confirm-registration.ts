import { inject, injectable } from 'inversify';
import { sameAddress } from '../../../domain/address';
import { RegistrySync } from '../../server/registry-sync';
import { ServerState } from '../../server/server-state';
import { TableBroadcaster } from '../../server/table-broadcaster';
import type { Inbound } from '../../ports/transport';
import type { MessageOf, Reply } from '../../protocol/envelope';
import { DeliverOfflineMessages } from './deliver-offline-messages';

/**
 * A `confirm`: the client echoed its token from its address, so it receives there. The
 * name goes online (durably), every other client gets the change, the client gets the
 * whole table, then its stored messages.
 */
@injectable()
export class ConfirmRegistration {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(RegistrySync) private readonly registry: RegistrySync,
    @inject(TableBroadcaster) private readonly broadcaster: TableBroadcaster,
    @inject(DeliverOfflineMessages) private readonly deliver: DeliverOfflineMessages,
  ) {}

  async execute({ message, from }: Inbound & { message: MessageOf<'confirm'> }): Promise<Reply | undefined> {
    const session = this.state.session(message.token, from);
    if (!session) return undefined;
    const { key, record } = session;
    const existing = this.state.table.get(key);
    // A copy of a confirm (late duplicate, replay) for a session already online here changes
    // nothing and sends nothing; a client marked offline confirms again and goes on below.
    if (record.validated && existing?.online && sameAddress({ ip: existing.ip, port: existing.port }, from)) {
      return { t: 'ack', re: message.id, status: 'ok' };
    }
    const name = existing?.name ?? record.name;
    record.validated = true;
    record.pendingSinceMs = undefined;
    record.knownVersion = 0;
    this.state.table.upsert({ name, ip: from.ip, port: from.port, online: true });
    await this.registry.persist(key);
    this.broadcaster.sendFull(key);
    this.broadcaster.changed();
    void this.deliver.execute(key);
    return { t: 'ack', re: message.id, status: 'ok' };
  }
}
