import { inject, injectable } from 'inversify';
import type { EmptyMessageError, MessageTooLongError } from '../../../domain/domain-error';
import { validateMessageText } from '../../../domain/message-text';
import { err, ok, type Result } from '../../../domain/result';
import { ClientSession } from '../../client/client-session';
import { Crypto } from '../../ports/crypto';
import type { SendRefusal } from '../../ports/transport';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';

export interface SendChannelMessageCommand {
  readonly text: string;
  /** The id of an earlier attempt this one repeats (on another server instance), so it is relayed once. */
  readonly id?: string;
}

/** The server took the message; these members' mailboxes were full, so they will not get it. */
export interface ChannelMessageAccepted {
  /** Names the server listed (at most MAX_FULL_NAMES). */
  readonly full: readonly string[];
  /** How many members in all. */
  readonly fullCount: number;
}

export type SendChannelMessageError =
  | { code: 'no-response' }
  | { code: 'not-sent'; refusal: SendRefusal }
  | { code: 'bad-text'; cause: MessageTooLongError | EmptyMessageError }
  /** The server could not make it durable (its disk failed or is full): not every member may get it. */
  | { code: 'store-failed' };

/**
 * `send_all <message>`: to the server, which ACKs and relays it to every other client. A
 * datagram the transport refuses is `not-sent` at once, never mistaken for a silent server.
 */
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
    const outcome = await this.sender.exchange(
      this.session.server,
      { t: 'send-all', id: command.id ?? this.crypto.messageId(), token: this.session.token, from: this.session.name, text: command.text },
      this.settings.policies.toServer,
    );
    if (outcome.kind === 'refused') return err({ code: 'not-sent', refusal: outcome.refusal });
    if (outcome.kind !== 'reply') return err({ code: 'no-response' });
    const reply = outcome.reply;
    if (reply.t === 'ack' && reply.status === 'failed') return err({ code: 'store-failed' });
    const full = reply.t === 'ack' ? (reply.full ?? []) : [];
    return ok({ full, fullCount: reply.t === 'ack' ? Math.max(reply.fullCount ?? 0, full.length) : 0 });
  }
}
