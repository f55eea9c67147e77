import { inject, injectable } from 'inversify';
import { ServerState } from '../../server/server-state';
import type { Inbound } from '../../ports/transport';
import type { MessageOf, Reply } from '../../protocol/envelope';
import { MarkOffline } from './mark-offline';

/**
 * A `dereg` from the name's own session: offline (durably), the others told, then the ACK. The
 * session ends with it: a `confirm` still in flight from before the dereg (a rejoin after a lost
 * probe) cannot put the client back online; `reg` starts a new session.
 */
@injectable()
export class AcceptDeregistration {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(MarkOffline) private readonly markOffline: MarkOffline,
  ) {}

  async execute({ message, from }: Inbound & { message: MessageOf<'dereg'> }): Promise<Reply | undefined> {
    const session = this.state.session(message.token, from, message.name);
    if (!session) return undefined;
    session.record.ended = true;
    await this.markOffline.execute(session.key, message.token, 'dereg');
    return { t: 'ack', re: message.id, status: 'ok' };
  }
}
