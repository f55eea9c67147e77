import { inject, injectable } from 'inversify';
import { ServerState } from '../../server/server-state';
import type { Inbound } from '../../ports/transport';
import type { MessageOf, Reply } from '../../protocol/envelope';
import { MarkOffline } from './mark-offline';

/** A `dereg` from the name's own session: offline (durably), the others told, then the ACK. */
@injectable()
export class AcceptDeregistration {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(MarkOffline) private readonly markOffline: MarkOffline,
  ) {}

  async execute({ message, from }: Inbound & { message: MessageOf<'dereg'> }): Promise<Reply | undefined> {
    const session = this.state.session(message.token, from, message.name);
    if (!session) return undefined;
    await this.markOffline.execute(session.key, 'dereg');
    return { t: 'ack', re: message.id, status: 'ok' };
  }
}
