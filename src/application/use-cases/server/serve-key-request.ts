import { inject, injectable } from 'inversify';
import type { TableRow } from '../../../domain/client-table';
import { ServerState } from '../../server/server-state';
import type { Inbound } from '../../ports/transport';
import { KEY_REQUEST_MAX_NAMES, type MessageOf, type Reply } from '../../protocol/envelope';

/**
 * A client asks for the keys of names it is about to talk with (protocol 10: table rows carry
 * none). The ACK lists the rows of the names asked for that have a key, with it; a name without
 * one is left out, which the client takes as "no key". Only a confirmed session may ask, and a
 * request gets at most KEY_REQUEST_MAX_NAMES rows, so the answer fits one datagram and is no
 * amplifier (it goes back through the session's link, whose handshake proved the address).
 */
@injectable()
export class ServeKeyRequest {
  constructor(@inject(ServerState) private readonly state: ServerState) {}

  async execute({ message, from }: Inbound & { message: MessageOf<'key-request'> }): Promise<Reply | undefined> {
    const session = this.state.session(message.token, from);
    if (!session?.record.validated) return undefined;
    const rows: TableRow[] = [];
    for (const name of message.names.slice(0, KEY_REQUEST_MAX_NAMES)) {
      const row = this.state.table.get(name);
      if (row?.key !== undefined && !rows.some((r) => r.name === row.name)) rows.push({ name: row.name, ip: row.ip, port: row.port, online: row.online, key: row.key });
    }
    return rows.length === 0 ? { t: 'ack', re: message.id, status: 'ok' } : { t: 'ack', re: message.id, status: 'ok', rows };
  }
}
