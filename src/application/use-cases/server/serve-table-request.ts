import { inject, injectable } from 'inversify';
import { ServerState } from '../../server/server-state';
import { TableBroadcaster } from '../../server/table-broadcaster';
import type { Inbound } from '../../ports/transport';
import type { MessageOf, Reply } from '../../protocol/envelope';

/** A client found a gap in table versions (or cannot verify a sender): send it the whole table. */
@injectable()
export class ServeTableRequest {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(TableBroadcaster) private readonly broadcaster: TableBroadcaster,
  ) {}

  async execute({ message, from }: Inbound & { message: MessageOf<'table-request'> }): Promise<Reply | undefined> {
    const session = this.state.session(message.token, from);
    if (!session?.record.validated) return undefined;
    this.broadcaster.sendFull(session.key);
    return { t: 'ack', re: message.id, status: 'ok' };
  }
}
