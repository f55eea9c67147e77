import { inject, injectable } from 'inversify';
import type { EmptyMessageError, MessageTooLongError } from '../../../domain/domain-error';
import { validateMessageText } from '../../../domain/message-text';
import { err, ok, type Result } from '../../../domain/result';
import { ClientSession } from '../../client/client-session';
import { Crypto } from '../../ports/crypto';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';

export interface SendChannelMessageCommand {
  readonly text: string;
}

/** The server took the message; these members' mailboxes were full, so they will not get it. */
export interface ChannelMessageAccepted {
  /** Names the server listed (at most MAX_FULL_NAMES). */
  readonly full: readonly string[];
  /** How many members in all. */
  readonly fullCount: number;
}

export type SendChannelMessageError = { code: 'no-response' } | { code: 'bad-text'; cause: MessageTooLongError | EmptyMessageError };

/** `send_all <message>`: to the server, which ACKs and relays it to every other client. */
@injectable()
export class SendChannelMessage {
  constructor(
    @inject(ClientSession) private readonly session: ClientSession,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
  ) {}

  async execute(command: SendChannelMessageCommand): Promise<Result<ChannelMessageAccepted, SendChannelMessageError>> {
    const text = validateMessageText(command.text);
    if (!text.ok) return err({ code: 'bad-text', cause: text.error });
    const reply = await this.sender.request(
      this.session.server,
      { t: 'send-all', id: this.crypto.messageId(), token: this.session.token, from: this.session.name, text: command.text },
      this.settings.policies.toServer,
    );
    if (!reply) return err({ code: 'no-response' });
    const full = reply.t === 'ack' ? (reply.full ?? []) : [];
    return ok({ full, fullCount: reply.t === 'ack' ? Math.max(reply.fullCount ?? 0, full.length) : 0 });
  }
}
