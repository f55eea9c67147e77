import { inject, injectable } from 'inversify';
import type { TableRow } from '../../../domain/client-table';
import { channelRecipients } from '../../../domain/group-channel';
import { validateMessageText } from '../../../domain/message-text';
import { nameKey } from '../../../domain/nickname';
import type { StoredMessage } from '../../../domain/offline-mailbox';
import { LivenessProbe } from '../../server/liveness-probe';
import { ServerState } from '../../server/server-state';
import { Clock } from '../../ports/clock';
import { Logger } from '../../ports/logger';
import { MailboxStore } from '../../ports/mailbox-store';
import type { Inbound } from '../../ports/transport';
import type { MessageOf, Reply } from '../../protocol/envelope';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';
import { MarkOffline } from './mark-offline';

/**
 * A `send_all`: stored for every offline member, ACKed to the sender, then pushed to every
 * online member. A member that does not ACK within 500 ms is probed; if alive it gets the
 * message again (five tries), otherwise it is marked offline and the message stored for it.
 * The message keeps the sender's id everywhere, so no member shows it twice.
 */
@injectable()
export class RelayChannelMessage {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(LivenessProbe) private readonly probe: LivenessProbe,
    @inject(MarkOffline) private readonly markOffline: MarkOffline,
    @inject(MailboxStore) private readonly mailbox: MailboxStore,
    @inject(Clock) private readonly clock: Clock,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(Logger) private readonly logger: Logger,
  ) {}

  async execute({ message, from }: Inbound & { message: MessageOf<'send-all'> }): Promise<Reply | undefined> {
    const session = this.state.session(message.token, from, message.from);
    if (!session) return undefined;
    if (!validateMessageText(message.text).ok) return { t: 'ack', re: message.id, status: 'invalid' };
    const senderName = session.record.name;
    const { online, offline } = channelRecipients(this.state.table, senderName);
    const stored = (row: TableRow): StoredMessage => ({
      id: message.id,
      recipient: nameKey(row.name),
      sender: senderName,
      kind: 'channel',
      storedAtMs: this.clock.now(),
      text: message.text,
    });
    await Promise.all(offline.map((row) => this.mailbox.append(stored(row))));
    for (const row of online) {
      void this.pushTo(row, { t: 'channel', id: message.id, from: senderName, text: message.text }, () => stored(row));
    }
    return { t: 'ack', re: message.id, status: 'ok' };
  }

  private async pushTo(row: TableRow, channel: MessageOf<'channel'>, stored: () => StoredMessage): Promise<void> {
    const address = { ip: row.ip, port: row.port };
    if (await this.sender.request(address, channel, this.settings.policies.direct)) return;
    if ((await this.probe.isAlive(address)) && (await this.sender.request(address, channel, this.settings.policies.push))) return;
    this.logger.info('channel member did not answer; storing the message for it', { name: row.name });
    await this.markOffline.execute(row.name);
    await this.mailbox.append(stored());
  }
}
