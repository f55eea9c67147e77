import { inject, injectable } from 'inversify';
import { err, ok, type Result } from '../../../domain/result';
import { ClientSession } from '../../client/client-session';
import { PeerKeys } from '../../client/peer-keys';
import { EndToEnd } from '../../ports/end-to-end';
import { storedContext } from '../../protocol/sealing';
import type { SendRefusal } from '../../ports/transport';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';

export interface LeaveOfflineMessageCommand {
  readonly to: string;
  readonly text: string;
  /** The id of the direct attempt, so a copy shown live and a stored copy are one message. */
  readonly id: string;
}

/** `saved`: stored for later. `exists`: the server found the recipient online (and sends the table). */
export type LeaveOfflineOutcome = 'saved' | 'exists';

export type LeaveOfflineMessageError =
  | { code: 'no-response' }
  | { code: 'not-sent'; refusal: SendRefusal }
  | { code: 'no-key' }
  | { code: 'mailbox-full' }
  | { code: 'store-failed' }
  | { code: 'refused'; status: string };

/**
 * Asks the server to keep a message for a recipient who did not ACK it (five tries, SPEC §3),
 * sealed end to end for the recipient with the pair key of the two names.
 * A save the transport refuses is `not-sent` at once: the server was never asked.
 */
@injectable()
export class LeaveOfflineMessage {
  constructor(
    @inject(ClientSession) private readonly session: ClientSession,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(EndToEnd) private readonly e2e: EndToEnd,
    @inject(PeerKeys) private readonly keys: PeerKeys,
  ) {}

  async execute(command: LeaveOfflineMessageCommand): Promise<Result<LeaveOfflineOutcome, LeaveOfflineMessageError>> {
    // Sealed for the recipient: the server keeps and hands over what it cannot read.
    // The recipient's key, asked of the server the first time: a silent server is a silent server.
    const looked = await this.keys.lookup(command.to);
    if (!looked.ok) return err({ code: 'no-response' });
    const peerKey = looked.value;
    const sealed = peerKey === undefined || this.session.identity === undefined ? undefined : this.e2e.seal(this.session.identity, peerKey, command.text, storedContext(this.session.name, command.to, command.id));
    if (sealed === undefined) return err({ code: 'no-key' });
    const outcome = await this.sender.exchange(
      this.session.server,
      { t: 'save', id: command.id, token: this.session.token, from: this.session.name, to: command.to, sealed },
      this.settings.policies.toServer,
    );
    if (outcome.kind === 'refused') return err({ code: 'not-sent', refusal: outcome.refusal });
    if (outcome.kind !== 'reply') return err({ code: 'no-response' });
    const reply = outcome.reply;
    const status = reply.t === 'ack' ? reply.status : undefined;
    if (status === 'saved') return ok('saved');
    if (status === 'exists') return ok('exists');
    if (status === 'full') return err({ code: 'mailbox-full' });
    if (status === 'failed') return err({ code: 'store-failed' });
    return err({ code: 'refused', status: String(status ?? reply.t) });
  }
}
