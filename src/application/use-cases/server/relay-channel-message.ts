import { inject, injectable, optional } from 'inversify';
import type { Address } from '../../../domain/address';
import type { TableRow } from '../../../domain/client-table';
import { channelRecipients } from '../../../domain/group-channel';
import { validateMessageText } from '../../../domain/message-text';
import { nameKey } from '../../../domain/nickname';
import type { StoredMessage } from '../../../domain/offline-mailbox';
import { BackgroundTasks } from '../../server/background-tasks';
import { ClusterSync } from '../../server/cluster-sync';
import { LivenessProbe } from '../../server/liveness-probe';
import { ServerState, type PushTarget } from '../../server/server-state';
import { storeOrGiveUp } from '../../server/store-retry';
import { ChannelLog } from '../../ports/channel-log';
import { Clock } from '../../ports/clock';
import { Logger } from '../../ports/logger';
import { MailboxStore } from '../../ports/mailbox-store';
import type { Inbound } from '../../ports/transport';
import { MAX_FULL_NAMES, type MessageOf, type Reply } from '../../protocol/envelope';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';
import { MarkOffline } from './mark-offline';
import { DeliverOfflineMessages } from './deliver-offline-messages';

/**
 * A `send_all`: stored for every offline member and recorded in the channel log for every
 * online one (both durably), ACKed to the sender, then pushed to every online member. A member
 * that does not ACK within 500 ms is probed; if alive it gets the message again (five tries),
 * otherwise it is marked offline and the message stored for it. Each member reached (or stored
 * for) is marked delivered in the log; a server killed before that hands what the log still
 * owes to the mailboxes when it starts again. The message keeps the sender's id everywhere, so
 * no member shows it twice. A store that still fails after retryStore's window is answered
 * `failed` (storeOrGiveUp), and nothing is pushed.
 */
@injectable()
export class RelayChannelMessage {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(LivenessProbe) private readonly probe: LivenessProbe,
    @inject(MarkOffline) private readonly markOffline: MarkOffline,
    @inject(MailboxStore) private readonly mailbox: MailboxStore,
    @inject(ChannelLog) private readonly channelLog: ChannelLog,
    @inject(Clock) private readonly clock: Clock,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(Logger) private readonly logger: Logger,
    @inject(BackgroundTasks) private readonly tasks: BackgroundTasks,
    @inject(DeliverOfflineMessages) private readonly deliver: DeliverOfflineMessages,
    @inject(ClusterSync) @optional() private readonly cluster?: ClusterSync,
  ) {}

  /** The tail of each member's queue of channel pushes. */
  private readonly queues = new Map<string, Promise<void>>();

  async execute({ message, from }: Inbound & { message: MessageOf<'send-all'> }): Promise<Reply | undefined> {
    const session = this.state.session(message.token, from, message.from);
    if (!session) return undefined;
    if (!validateMessageText(message.text).ok) return { t: 'ack', re: message.id, status: 'invalid' };
    const senderName = session.record.name;
    // One instance of several: members registered through other instances up to now count too.
    await this.cluster?.catchUp();
    const { online, offline } = channelRecipients(this.state.table, senderName);
    // One time for the message: every member's copy shows when the server took it, however
    // much later a member found gone has it stored.
    const storedAtMs = this.clock.now();
    const stored = (row: TableRow): StoredMessage => ({
      id: message.id,
      recipient: nameKey(row.name),
      sender: senderName,
      kind: 'channel',
      storedAtMs,
      text: message.text,
    });
    // Durable for every member before the ACK: a crash right after it must not lose the message
    // for the online members it was not pushed to yet.
    const recorded = (): Promise<unknown> | undefined => online.length === 0 ? undefined : this.channelLog.record({
      id: message.id,
      sender: senderName,
      text: message.text,
      storedAtMs,
      recipients: online.map((row) => nameKey(row.name)),
      ...(this.cluster ? { by: this.cluster.id } : {}),
    });
    // Tried again as a whole while it fails: the log and the mailboxes dedup by message id.
    // Given up, nothing is pushed: what was made durable before the failure (the log, some
    // mailboxes) still reaches those members later, so the sender hears "not every member".
    const stores = await storeOrGiveUp(() => Promise.all([recorded(), ...offline.map((row) => this.storeFor(row, stored(row)))]), {
      clock: this.clock,
      stopping: () => this.state.stopping,
      logger: this.logger,
      giveUp: 'could not store a channel message; the sender is told',
      fields: { id: message.id },
    });
    if (stores === undefined) return { t: 'ack', re: message.id, status: 'failed' };
    const [, ...kept] = stores;
    // Members whose mailbox is full do not get it: the sender is told who, never left to believe they will.
    const full = offline.filter((_, i) => !kept[i]).map((row) => row.name);
    // One that came online while its copy was being stored may have had its stored messages
    // delivered already, without this one: deliver again (a run for it lists until empty).
    for (const row of offline) this.deliverIfOnline(row);
    for (const row of online) {
      // A failure stays owed in the channel log: the next start stores it for the member.
      this.inOrder(nameKey(row.name), () => this.pushTo(row, { id: message.id, from: senderName, text: message.text }, () => stored(row)));
    }
    if (full.length === 0) return { t: 'ack', re: message.id, status: 'ok' };
    return { t: 'ack', re: message.id, status: 'ok', full: full.slice(0, MAX_FULL_NAMES), fullCount: full.length };
  }

  /**
   * Run `push` after every earlier push to the same member: each member gets channel messages
   * in the order the server ACKed them (concurrent pushes let a retransmitted first message
   * arrive after the second), and a member found gone gets the rest stored in that order.
   */
  private inOrder(key: string, push: () => Promise<void>): void {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => new Promise<void>((resolve) => this.tasks.run('channel delivery', () => push().finally(resolve))));
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  private async pushTo(row: TableRow, content: Omit<MessageOf<'channel'>, 't' | 'token'>, stored: () => StoredMessage): Promise<void> {
    // A push cut short by shutdown says nothing about the member: the log still owes it.
    if (this.state.stopping) return;
    const target = this.state.table.get(row.name)?.online ? this.state.reach(row.name) : undefined;
    if (!target || !(await this.reach(target, { t: 'channel', token: target.token, ...content }))) {
      if (this.state.stopping) return;
      if (target) {
        this.logger.info('channel member did not answer; storing the message for it', { name: row.name });
        await this.markOffline.execute(row.name, target.token);
      }
      await this.storeFor(row, stored());
      // The member may be online again by now (a new session, which the failed pushes did not
      // reach): stored messages go to it now, not at its next log-in.
      this.deliverIfOnline(row);
    }
    await this.channelLog.delivered(content.id, nameKey(row.name));
  }

  /**
   * Deliver what is stored for `row` now if it is online. One instance of several first
   * catches up with the table: a member whose log-in through another instance completed
   * before this copy was stored (so that instance's delivery may have missed it) counts.
   */
  private deliverIfOnline(row: TableRow): void {
    this.tasks.run('delivering stored messages', async () => {
      await this.cluster?.catchUp();
      if (this.state.table.get(row.name)?.online) await this.deliver.execute(nameKey(row.name));
    });
  }

  /**
   * Store the message for a member; false if its mailbox is full. The store counts the refusal
   * for the member, who is told how many were not kept when it next logs in.
   */
  private async storeFor(row: TableRow, message: StoredMessage): Promise<boolean> {
    if ((await this.mailbox.append(message)) !== 'full') return true;
    this.logger.warn('mailbox full; a channel message is not stored for this member', { name: row.name, id: message.id });
    return false;
  }

  /** Push once; if unanswered, probe, and if alive push again (five tries). Nothing new once stopping. */
  private async reach(target: PushTarget, channel: MessageOf<'channel'>): Promise<boolean> {
    if (await this.sender.request(target.address, channel, this.settings.policies.direct)) return true;
    if (this.state.stopping || !(await this.probe.isAlive(target)) || this.state.stopping) return false;
    return (await this.sender.request(target.address, channel, this.settings.policies.push)) !== undefined;
  }
}
