import { inject, injectable } from 'inversify';
import { deliveryOrder } from '../../../domain/offline-mailbox';
import { ServerState } from '../../server/server-state';
import { Crypto } from '../../ports/crypto';
import { MailboxStore } from '../../ports/mailbox-store';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';

/**
 * Sends a client that just came online its stored messages, oldest first, one at a time;
 * each leaves the mailbox only after the client ACKs it. If the client stops answering,
 * the rest stay stored for its next log-in (where copies it already saw are shown once).
 */
@injectable()
export class DeliverOfflineMessages {
  private readonly running = new Set<string>();

  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(MailboxStore) private readonly mailbox: MailboxStore,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
  ) {}

  /** Resolves with the number of messages delivered and removed. */
  async execute(key: string): Promise<number> {
    if (this.running.has(key)) return 0;
    this.running.add(key);
    let delivered = 0;
    try {
      for (const message of deliveryOrder(await this.mailbox.list(key))) {
        const row = this.state.table.get(key);
        if (!row?.online) break;
        const reply = await this.sender.request(
          { ip: row.ip, port: row.port },
          { t: 'stored', id: this.crypto.messageId(), items: [{ id: message.id, from: message.sender, kind: message.kind, at: message.storedAtMs, text: message.text }] },
          this.settings.policies.push,
        );
        if (!reply) break;
        await this.mailbox.remove(key, [message.id]);
        delivered += 1;
      }
    } finally {
      this.running.delete(key);
    }
    return delivered;
  }
}
