import { inject, injectable } from 'inversify';
import { err, ok, type Result } from '../../../domain/result';
import { ClientSession } from '../../client/client-session';
import { Crypto } from '../../ports/crypto';
import type { SendRefusal } from '../../ports/transport';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';

export interface DeregisterCommand {
  readonly name: string;
  /** The id of an earlier attempt this one repeats (on another server instance), so it changes state once. */
  readonly id?: string;
}

export type DeregisterError = { code: 'not-own-name' } | { code: 'not-online' } | { code: 'no-response' } | { code: 'not-sent'; refusal: SendRefusal };

/**
 * Notified leave (`dereg <own name>`): the server marks the client offline and ACKs; the
 * client stays running, offline. Five transmissions without an ACK mean the server is gone;
 * a datagram the transport refuses (`not-sent`) says nothing about the server.
 */
@injectable()
export class Deregister {
  constructor(
    @inject(ClientSession) private readonly session: ClientSession,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
  ) {}

  async execute(command: DeregisterCommand): Promise<Result<void, DeregisterError>> {
    if (!this.session.isMe(command.name)) return err({ code: 'not-own-name' });
    if (this.session.state !== 'online') return err({ code: 'not-online' });
    const outcome = await this.sender.exchange(
      this.session.server,
      { t: 'dereg', id: command.id ?? this.crypto.messageId(), token: this.session.token, name: this.session.name },
      this.settings.policies.toServer,
    );
    if (outcome.kind === 'refused') return err({ code: 'not-sent', refusal: outcome.refusal });
    if (outcome.kind !== 'reply') return err({ code: 'no-response' });
    this.session.state = 'offline';
    return ok(undefined);
  }
}
