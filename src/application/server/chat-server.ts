import { inject, injectable, optional } from 'inversify';
import type { Address } from '../../domain/address';
import { nameKey } from '../../domain/nickname';
import { ChannelLog, type ChannelEntry } from '../ports/channel-log';
import { ChatView } from '../ports/chat-view';
import { Logger } from '../ports/logger';
import { MailboxStore } from '../ports/mailbox-store';
import { RegistryStore } from '../ports/registry-store';
import { Transport } from '../ports/transport';
import { ReliableSender } from '../reliable-sender';
import { DeliverOfflineMessages } from '../use-cases/server/deliver-offline-messages';
import { MarkOffline } from '../use-cases/server/mark-offline';
import { BackgroundTasks } from './background-tasks';
import { ClusterSync, type ClusterFailure } from './cluster-sync';
import { ServersAnnouncer } from './servers-announcer';
import { LivenessProbe } from './liveness-probe';
import { PendingRegistrations } from './pending-registrations';
import { ServerInbound } from './server-inbound';
import { ServerState } from './server-state';
import { TableBroadcaster } from './table-broadcaster';
import { TableJournal } from './table-journal';

/**
 * How long a stopping instance of several waits for its clients to ACK that it is leaving: most
 * answer within milliseconds; one that does not still moves at its next request.
 */
const FAREWELL_WAIT_MS = 1000;

/**
 * The chat server: restores the registry, stores the channel messages a killed predecessor
 * still owed to members in their mailboxes, binds its port, and after a restart probes the
 * clients that were online (those that answer stay online and get the latest table and
 * anything stored for them; the rest go offline).
 */
@injectable()
export class ChatServer {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(Transport) private readonly transport: Transport,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(ServerInbound) private readonly inbound: ServerInbound,
    @inject(RegistryStore) @optional() private readonly registry: RegistryStore | undefined,
    @inject(MailboxStore) private readonly mailbox: MailboxStore,
    @inject(ChannelLog) private readonly channelLog: ChannelLog,
    @inject(TableBroadcaster) private readonly broadcaster: TableBroadcaster,
    @inject(LivenessProbe) private readonly probe: LivenessProbe,
    @inject(MarkOffline) private readonly markOffline: MarkOffline,
    @inject(DeliverOfflineMessages) private readonly deliver: DeliverOfflineMessages,
    @inject(ChatView) private readonly view: ChatView,
    @inject(Logger) private readonly logger: Logger,
    @inject(PendingRegistrations) private readonly pendingRegistrations: PendingRegistrations,
    @inject(TableJournal) private readonly journal: TableJournal,
    @inject(BackgroundTasks) private readonly tasks: BackgroundTasks,
    @inject(ServersAnnouncer) private readonly announcer: ServersAnnouncer,
    @inject(ClusterSync) @optional() private readonly cluster?: ClusterSync,
  ) {}

  /** Told once when this instance of several can no longer serve (see ClusterSync). */
  onClusterFailure(listener: (why: ClusterFailure) => void): void {
    this.cluster?.onFailure(listener);
  }

  /** The live instances of the system this server is part of (itself alone for a single server). */
  servers(): string[] | undefined {
    return this.cluster?.servers();
  }

  /** Resolves with the bound address once the server is receiving. */
  async start(): Promise<Address> {
    if (this.cluster) return this.startInstance(this.cluster);
    const registry = this.registry!;
    await registry.open();
    const records = await registry.load();
    // The highest version ever written, not only the highest row still on disk: clients may
    // hold it, and the next change must be newer than anything they saw.
    const version = records.reduce((max, r) => Math.max(max, r.version), await registry.highestVersion());
    this.journal.restore(version, records.map(({ name, ip, port, online, key }) => ({ name, ip, port, online, ...(key === undefined ? {} : { key }) })));
    for (const r of records) {
      const record = { name: r.name, proof: r.proof, ...(r.key === undefined ? {} : { key: r.key }), token: '', address: { ip: r.ip, port: r.port }, validated: r.online, knownVersion: 0, pendingSinceMs: undefined };
      this.state.add(nameKey(r.name), record);
      this.state.assignToken(nameKey(r.name), record, r.token);
    }
    const handedOverTo = (await this.storeOwedChannelMessages()).size;
    this.broadcaster.onUnanswered((key, token) => this.tasks.run('checking an unanswering client', () => this.checkAlive(key, token)));
    this.transport.onReceive((inbound) => this.inbound.handle(inbound));
    const address = await this.transport.start();
    this.logger.info('server started', { port: address.port, clients: records.length, version, membersHandedChannelMessages: handedOverTo });
    this.pendingRegistrations.start();
    const wereOnline = records.filter((r) => r.online).map((r) => r.name);
    this.tasks.run('recovering the clients that were online', () => this.recover(wereOnline));
    return address;
  }

  /**
   * One instance of several: the table and records come from the shared store; this instance
   * joins the live ones once it receives, and takes over the clients of instances that stop.
   */
  private async startInstance(cluster: ClusterSync): Promise<Address> {
    const { clients, version } = await cluster.open();
    this.broadcaster.onUnanswered((key, token) => this.tasks.run('checking an unanswering client', () => this.checkAlive(key, token)));
    cluster.onTakeover((names) =>
      this.tasks.run('taking over the clients of a stopped instance', async () => {
        // Channel messages the stopped instance had not pushed to every member go to mailboxes;
        // those a live instance is still pushing are left to it (stored now, they would reach
        // their members as stored copies before the live push did).
        const live = await cluster.liveInstances();
        const owedTo = await this.storeOwedChannelMessages((entry) => live === undefined || entry.by === undefined || !live.has(entry.by));
        for (const key of names) {
          const record = this.state.records.get(key);
          if (record && this.state.table.get(key)?.online) {
            record.validated = true;
            record.knownVersion = 0;
          }
        }
        // Members online through the other live instances had their copy stored just now, while
        // their own log-in delivery is long over: deliver it to them now (the recovery below
        // does that for the taken-over clients that answer). The table first catches up: a
        // member whose log-in through another instance just completed counts as online.
        await cluster.catchUp();
        const takenOver = new Set(names);
        for (const key of owedTo) {
          if (!takenOver.has(key) && this.state.table.get(key)?.online) this.tasks.run('delivering stored messages', () => this.deliver.execute(key));
        }
        await this.recover(names.filter((key) => this.state.records.get(key)?.validated));
      }),
    );
    cluster.onMembersChanged(() => this.announcer.announce(cluster.servers()));
    this.transport.onReceive((inbound) => this.inbound.handle(inbound));
    const address = await this.transport.start();
    await cluster.join(address.port);
    this.logger.info('server instance started', { port: address.port, instance: cluster.id, clients, version, instances: cluster.servers() });
    this.pendingRegistrations.start();
    return address;
  }

  /**
   * Stop receiving, end every exchange in flight, and let the work they started finish before
   * the stores close: nothing touches a closed store, so no stop ends in an error or leaves
   * its lock behind.
   */
  async stop(): Promise<void> {
    // Its clients hear it first, while it still answers, and move to another instance at once.
    if (this.cluster && !this.state.stopping) await this.announcer.farewell(this.cluster.otherServers(), FAREWELL_WAIT_MS);
    this.state.stopping = true;
    this.pendingRegistrations.stop();
    this.broadcaster.stop();
    this.sender.cancelAll();
    await this.tasks.drain();
    await this.transport.close();
    try {
      const closed = await Promise.allSettled([this.mailbox.close(), this.channelLog.close()]);
      const failed = closed.find((c): c is PromiseRejectedResult => c.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      // Last, and whatever happened above: it releases the data directory's lock (or, for an
      // instance of several, leaves the system and closes the shared connection).
      await (this.cluster ? this.cluster.stop() : this.registry?.close());
    }
  }

  get clientCount(): number {
    return this.state.table.size;
  }

  /**
   * Channel messages a previous run ACKed but did not get to every member (it was killed in
   * between) go to those members' mailboxes, under the sender's id, before anything is
   * received; the recovery below then delivers them to members that answer, the rest get them
   * on `reg`. The mailbox stores an id once, so a handover repeated after another crash is
   * harmless. Resolves with the name keys of the members something was handed over to.
   */
  private async storeOwedChannelMessages(owedByDead: (entry: ChannelEntry) => boolean = () => true): Promise<Set<string>> {
    const owed = (await this.channelLog.pending()).filter(({ entry }) => owedByDead(entry));
    const owedTo = new Set<string>();
    const handovers = owed.flatMap(({ entry, recipients }) =>
      recipients.map(async (recipient) => {
        owedTo.add(recipient);
        const outcome = await this.mailbox.append({ id: entry.id, recipient, sender: entry.sender, kind: 'channel', storedAtMs: entry.storedAtMs, text: entry.text });
        if (outcome === 'full') this.logger.warn('mailbox full; a channel message owed to it is dropped', { recipient, id: entry.id });
        await this.channelLog.delivered(entry.id, recipient);
      }),
    );
    await Promise.all(handovers);
    return owedTo;
  }

  private async recover(names: string[]): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        const target = this.state.reach(name);
        if (!target) return;
        if (await this.probe.isAlive(target)) {
          this.broadcaster.sendFull(name);
          this.tasks.run('delivering stored messages', () => this.deliver.execute(nameKey(name)));
        } else {
          await this.markOffline.execute(name, target.token);
        }
      }),
    );
  }

  /** A client left every table push unanswered: if its session does not answer a probe either, it is gone. */
  private async checkAlive(key: string, token: string): Promise<void> {
    if (!this.state.table.get(key)?.online || !this.state.isSession(key, token)) return;
    const target = this.state.reach(key);
    if (target && (await this.probe.isAlive(target))) return;
    if (await this.markOffline.execute(key, token)) this.logger.info('client did not answer its table pushes or a probe; marked offline', { name: key });
  }
}
