import { inject, injectable, optional } from 'inversify';
import { parseNickname } from '../../../domain/nickname';
import { BackgroundTasks } from '../../server/background-tasks';
import { ClusterSync } from '../../server/cluster-sync';
import { LivenessProbe } from '../../server/liveness-probe';
import { ServerState } from '../../server/server-state';
import { storeOrGiveUp } from '../../server/store-retry';
import { TableBroadcaster } from '../../server/table-broadcaster';
import { Clock } from '../../ports/clock';
import { Logger } from '../../ports/logger';
import { MailboxStore } from '../../ports/mailbox-store';
import type { Inbound } from '../../ports/transport';
import { SEALED_MAX_CHARS, SEALED_MIN_CHARS, type MessageOf, type Reply, type SaveStatus } from '../../protocol/envelope';
import { DeliverOfflineMessages } from './deliver-offline-messages';
import { MarkOffline } from './mark-offline';

/**
 * A `save` request (the sender got no ACK from the recipient). If the table says the
 * recipient is online it is probed: alive means `exists` (and the requester gets the
 * table); gone means it is marked offline. The message is then stored, durably, before
 * the ACK. A store that still fails after retryStore's window is answered `failed`
 * (storeOrGiveUp), so the sender says the message was not saved instead of taking the server
 * for gone.
 */
@injectable()
export class StoreOfflineMessage {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(LivenessProbe) private readonly probe: LivenessProbe,
    @inject(MarkOffline) private readonly markOffline: MarkOffline,
    @inject(TableBroadcaster) private readonly broadcaster: TableBroadcaster,
    @inject(MailboxStore) private readonly mailbox: MailboxStore,
    @inject(Clock) private readonly clock: Clock,
    @inject(DeliverOfflineMessages) private readonly deliver: DeliverOfflineMessages,
    @inject(BackgroundTasks) private readonly tasks: BackgroundTasks,
    @inject(Logger) private readonly logger: Logger,
    @inject(ClusterSync) @optional() private readonly cluster?: ClusterSync,
  ) {}

  async execute({ message, from }: Inbound & { message: MessageOf<'save'> }): Promise<Reply | undefined> {
    const session = this.state.session(message.token, from, message.from);
    if (!session) return undefined;
    const answer = (status: SaveStatus): Reply => ({ t: 'ack', re: message.id, status });
    const to = parseNickname(message.to);
    // The text is sealed for the recipient: only its size can be checked here.
    if (!to.ok || message.sealed.length < SEALED_MIN_CHARS || message.sealed.length > SEALED_MAX_CHARS) return answer('invalid');
    // One instance of several: the recipient may have come online through another one just now.
    await this.cluster?.catchUp();
    const row = this.state.table.get(to.value.key);
    if (!row) return answer('unknown-recipient');
    if (row.online) {
      const target = this.state.reach(to.value.key);
      if (await this.probe.isAlive(target)) {
        // After the answer: the requester prints `exists!!` before `[Client table updated.]`.
        this.clock.setTimer(0, () => this.broadcaster.sendFull(session.key));
        return answer('exists');
      }
      if (this.state.stopping) return undefined;
      if (target) await this.markOffline.execute(to.value.key, target.token);
    }
    const storedAtMs = this.clock.now();
    const outcome = await storeOrGiveUp(
      () => this.mailbox.append({ id: message.id, recipient: to.value.key, sender: session.record.name, kind: 'direct', storedAtMs, text: message.sealed }),
      { clock: this.clock, stopping: () => this.state.stopping, logger: this.logger, giveUp: 'could not store a message; the sender is told it was not saved', fields: { to: to.value.key, id: message.id } },
    );
    if (outcome === undefined) return answer('failed');
    // The recipient may have come online while it was being stored, after its stored messages
    // were delivered: it gets this one now, not at its next log-in.
    if (outcome !== 'full') {
      this.tasks.run('delivering stored messages', async () => {
        // One instance of several: a log-in completed through another instance counts.
        await this.cluster?.catchUp();
        if (this.state.table.get(to.value.key)?.online) await this.deliver.execute(to.value.key);
      });
    }
    return answer(outcome === 'full' ? 'full' : 'saved');
  }
}
