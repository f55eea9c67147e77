import { inject, injectable } from 'inversify';
import type { MessageTooLongError, EmptyMessageError } from '../../../domain/domain-error';
import { validateMessageText } from '../../../domain/message-text';
import { parseNickname } from '../../../domain/nickname';
import { err, ok, type Result } from '../../../domain/result';
import { ClientSession } from '../../client/client-session';
import { PeerKeys } from '../../client/peer-keys';
import { Crypto } from '../../ports/crypto';
import { EndToEnd } from '../../ports/end-to-end';
import { chatContext, chatPlaintext } from '../../protocol/sealing';
import type { SendRefusal } from '../../ports/transport';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';

export interface SendDirectMessageCommand {
  readonly to: string;
  readonly text: string;
}

/** `acked`: shown by the recipient. `fallback`: no ACK or offline, so the server must store it (with `id`). */
export type SendDirectOutcome = { kind: 'acked'; to: string } | { kind: 'fallback'; to: string; id: string };

export type SendDirectMessageError =
  | { code: 'invalid-name' }
  | { code: 'unknown-recipient'; suggestions: string[] }
  | { code: 'no-key' }
  | { code: 'bad-text'; cause: MessageTooLongError | EmptyMessageError }
  | { code: 'not-sent'; refusal: SendRefusal };

/**
 * `send <name> <message>`: straight to the recipient's address from the local table, sealed
 * under its key (PeerKeys; the caller makes sure it was asked for), one ACK wait; on no ACK (or a recipient the table lists offline) the caller falls back to the
 * server with `LeaveOfflineMessage`, reusing the message id so it is never shown twice.
 */
@injectable()
export class SendDirectMessage {
  /** This process's stream: the id of the first direct message it sent (unique, and no extra draw). */
  private stream: string | undefined;
  /** Sequence number of the last direct message sent: several may be in flight, the receiver keeps their order. */
  private seq = 0;

  constructor(
    @inject(ClientSession) private readonly session: ClientSession,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(EndToEnd) private readonly e2e: EndToEnd,
    @inject(PeerKeys) private readonly keys: PeerKeys,
  ) {}

  async execute(command: SendDirectMessageCommand): Promise<Result<SendDirectOutcome, SendDirectMessageError>> {
    if (!parseNickname(command.to).ok) return err({ code: 'invalid-name' });
    const text = validateMessageText(command.text);
    if (!text.ok) return err({ code: 'bad-text', cause: text.error });
    const row = this.session.table.get(command.to);
    if (!row) return err({ code: 'unknown-recipient', suggestions: this.suggest(command.to) });
    const id = this.crypto.messageId();
    // Offline: the server stores it (LeaveOfflineMessage seals it for the recipient).
    if (!row.online) return ok({ kind: 'fallback', to: row.name, id });
    // Without the recipient's key nothing can be sealed for it (the caller asked the server for it).
    const key = this.keys.get(row.name);
    if (key === undefined || this.session.identity === undefined) return err({ code: 'no-key' });
    this.stream ??= id;
    const seq = ++this.seq;
    // The ACK must echo this proof, which travels only inside the sealed text (see sealing.ts).
    const proof = this.crypto.secretToken();
    const sealed = this.e2e.seal(this.session.identity, key, chatPlaintext(proof, command.text), chatContext(this.session.name, row.name, id, this.stream, seq));
    if (sealed === undefined) return err({ code: 'no-key' });
    // Only an ACK echoing the proof counts (ClientInbound checks it before the sender sees it).
    this.session.awaitingAcks.set(id, { proof });
    const outcome = await this.sender
      .exchange(
        { ip: row.ip, port: row.port },
        // `to` lets the receiver drop a message meant for whoever held that address before it.
        { t: 'chat', id, from: this.session.name, to: row.name, sealed, stream: this.stream, seq },
        this.settings.policies.direct,
      )
      .finally(() => this.session.awaitingAcks.delete(id));
    // Refused locally: nothing reached the recipient, and the server would not be asked either.
    if (outcome.kind === 'refused') return err({ code: 'not-sent', refusal: outcome.refusal });
    return ok(outcome.kind === 'reply' ? { kind: 'acked', to: row.name } : { kind: 'fallback', to: row.name, id });
  }

  private suggest(name: string): string[] {
    const lower = name.toLowerCase();
    return this.session.table
      .rows()
      .map((r) => r.name)
      .filter((n) => editDistance(n.toLowerCase(), lower) <= 2 || n.toLowerCase().startsWith(lower.slice(0, 2)))
      .slice(0, 3);
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
