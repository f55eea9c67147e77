import { inject, injectable } from 'inversify';
import { deliveryOrder } from '../../../domain/offline-mailbox';
import { ServerState } from '../../server/server-state';
import { Crypto } from '../../ports/crypto';
import { MailboxStore } from '../../ports/mailbox-store';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';
import { MarkOffline } from './mark-offline';

/**
 * Sends a client that just came online its stored messages, oldest first, one at a time;
 * each leaves the mailbox only after the client ACKs it. If the client stops answering,
 * it is marked offline and the rest stay stored until it confirms again or logs back in (where
 * copies it already saw are shown once). Then it is told how many messages could not be kept.
 */
@injectable()
export class DeliverOfflineMessages {
  private readonly running = new Set<string>();
  /** Clients whose delivery was asked for while a run for them was under way. */
  private readonly again = new Set<string>();

  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(MailboxStore) private readonly mailbox: MailboxStore,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(MarkOffline) private readonly markOffline: MarkOffline,
  ) {}

  /**
   * Resolves with the number of messages delivered and removed. A call while a run for the
   * same client is under way is not lost: that run goes round once more when it ends (a copy
   * stored while it was stuck on a session that has since ended, and whose own delivery call
   * came meanwhile, would otherwise wait for the client's next log-in).
   */
  async execute(key: string): Promise<number> {
    if (this.running.has(key)) {
      this.again.add(key);
      return 0;
    }
    this.running.add(key);
    let delivered = 0;
    try {
      do delivered += await this.deliverAll(key);
      while (this.again.delete(key));
    } finally {
      this.running.delete(key);
      this.again.delete(key);
    }
    return delivered;
  }

  private async deliverAll(key: string): Promise<number> {
    let delivered = 0;
    // Listed again until empty: a message stored while earlier ones were being delivered
    // (the client was briefly marked offline, and this run was already under way when it
    // confirmed again) would otherwise wait for the next log-in.
    for (let batch = await this.mailbox.list(key); batch.length > 0; batch = await this.mailbox.list(key)) {
      for (const message of deliveryOrder(batch)) {
        const target = this.state.table.get(key)?.online ? this.state.reach(key) : undefined;
        if (!target) return delivered;
        const reply = await this.sender.request(
          target.address,
          { t: 'stored', id: this.crypto.messageId(), token: target.token, items: [{ id: message.id, from: message.sender, kind: message.kind, at: message.storedAtMs, text: message.text }] },
          this.settings.policies.push,
        );
        if (!reply) {
          // Like an unanswered channel push: the client is told it is offline (if it is alive
          // it confirms again, which restarts delivery); the rest stay stored meanwhile.
          await this.markOffline.execute(key, target.token);
          // Unless that session had already ended and the client is online in a new one: go on with it.
          const now = this.state.table.get(key)?.online ? this.state.reach(key) : undefined;
          if (now && now.token !== target.token) break;
          return delivered;
        }
        await this.mailbox.remove(key, [message.id]);
        delivered += 1;
      }
    }
    await this.reportNotKept(key);
    return delivered;
  }

  /**
   * After the stored messages: tell the client how many could not be kept for it (its mailbox
   * was full). The count is cleared by what the client ACKed, so refusals made meanwhile are
   * told next time; unanswered, it stays for the next log-in.
   */
  private async reportNotKept(key: string): Promise<void> {
    const count = await this.mailbox.refused(key);
    const target = this.state.table.get(key)?.online ? this.state.reach(key) : undefined;
    if (count === 0 || !target) return;
    const reply = await this.sender.request(target.address, { t: 'not-kept', id: this.crypto.messageId(), token: target.token, count }, this.settings.policies.push);
    if (reply) await this.mailbox.clearRefused(key, count);
  }
}
