import { inject, injectable } from 'inversify';
import { sameAddress } from '../../../domain/address';
import { BackgroundTasks } from '../../server/background-tasks';
import { TableJournal } from '../../server/table-journal';
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
    @inject(TableJournal) private readonly journal: TableJournal,
    @inject(BackgroundTasks) private readonly tasks: BackgroundTasks,
    @inject(TableBroadcaster) private readonly broadcaster: TableBroadcaster,
    @inject(DeliverOfflineMessages) private readonly deliver: DeliverOfflineMessages,
  ) {}

  async execute({ message, from }: Inbound & { message: MessageOf<'confirm'> }): Promise<Reply | undefined> {
    const session = this.state.session(message.token, from);
    // After a dereg only `reg` brings the client back, never a confirm from before it.
    if (!session || session.record.ended) return undefined;
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
    // Durable (and published) before anyone, this client included, is told.
    await this.journal.upsert({ name, ip: from.ip, port: from.port, online: true, ...(record.key === undefined ? {} : { key: record.key }) });
    this.broadcaster.sendFull(key);
    this.tasks.run('delivering stored messages', () => this.deliver.execute(key));
    return { t: 'ack', re: message.id, status: 'ok' };
  }
}
