import { inject, injectable } from 'inversify';
import { err, ok, type Result } from '../../../domain/result';
import { ClientSession } from '../../client/client-session';
import { Crypto } from '../../ports/crypto';
import type { SendRefusal } from '../../ports/transport';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';

/** `not-sent`: the transport refused the datagram (nothing left); `no-response`: five unanswered tries. */
export type ConfirmRegistrationError = { code: 'no-response' } | { code: 'not-sent'; refusal: SendRefusal };

/**
 * Echoes the session token from the client's own address: proof that it receives there.
 * Only then does the server list it online and send it the table and its stored messages.
 */
@injectable()
export class ConfirmRegistration {
  constructor(
    @inject(ClientSession) private readonly session: ClientSession,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
  ) {}

  async execute(): Promise<Result<void, ConfirmRegistrationError>> {
    const outcome = await this.sender.exchange(
      this.session.server,
      { t: 'confirm', id: this.crypto.messageId(), token: this.session.token, have: this.session.table.version },
      this.settings.policies.toServer,
    );
    if (outcome.kind === 'refused') return err({ code: 'not-sent', refusal: outcome.refusal });
    return outcome.kind === 'reply' ? ok(undefined) : err({ code: 'no-response' });
  }
}
