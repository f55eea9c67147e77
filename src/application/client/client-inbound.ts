import { inject, injectable } from 'inversify';
import type { Address } from '../../domain/address';
import type { TableRow } from '../../domain/client-table';
import { nameKey } from '../../domain/nickname';
import { ChatView } from '../ports/chat-view';
import { Clock } from '../ports/clock';
import { Crypto } from '../ports/crypto';
import { EndToEnd } from '../ports/end-to-end';
import { Logger } from '../ports/logger';
import { SeenStore } from '../ports/seen-store';
import { Transport, type Inbound } from '../ports/transport';
import { isReply, type MessageOf } from '../protocol/envelope';
import { chatContext, splitChatPlaintext, storedContext } from '../protocol/sealing';
import { ReliableSender } from '../reliable-sender';
import { ChatSettings } from '../settings';
import { ClientSession } from './client-session';
import { PeerKeys } from './peer-keys';
import { TableAssembler } from './table-assembler';

/**
 * Everything that reaches a client: replies go to the reliable sender; chat, channel and
 * stored messages are ACKed on every copy and shown once; table updates are applied in
 * version order. Only a known server instance (KnownInstances: the current one, or another
 * of its system) may speak for the server. A direct message, live or stored, is shown only if
 * it opens under the key the server gives for its sender (PeerKeys), whatever address it came
 * from, and a direct message's ACK counts only if it echoes the proof sealed inside that message.
 */
@injectable()
export class ClientInbound {
  private readonly assembler = new TableAssembler();
  private tableRequestInFlight = false;
  private markedOffline: () => void = () => undefined;
  private unknownSession: () => void = () => undefined;
  private serverLeaving: () => void = () => undefined;
  /** Shown keys whose seen-store write is under way: a copy arriving meanwhile is ACKed after it too. */
  private readonly writing = new Map<string, Promise<void>>();
  /** Per sender (name key), the stream and sequence number of the last direct message shown from it. */
  private readonly lastShown = new Map<string, { readonly stream: string; readonly seq: number }>();
  /** Stored deliveries held, unACKed, while their senders' keys are asked for (the server resends until ACKed). */
  private readonly held = new Map<string, { readonly message: MessageOf<'stored'>; readonly from: Address }>();

  constructor(
    @inject(ClientSession) private readonly session: ClientSession,
    @inject(Transport) private readonly transport: Transport,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(ChatView) private readonly view: ChatView,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(Logger) private readonly logger: Logger,
    @inject(Clock) private readonly clock: Clock,
    @inject(SeenStore) private readonly seen: SeenStore,
    @inject(EndToEnd) private readonly e2e: EndToEnd,
    @inject(PeerKeys) private readonly keys: PeerKeys,
  ) {}

  handle(inbound: Inbound): void {
    const { message, from } = inbound;
    if (isReply(message)) {
      // The ACK of a direct message must echo its proof: anyone can send a bare one.
      if (message.t === 'ack' && !this.ackAuthentic(message)) {
        this.logger.debug('dropped a direct message ACK that does not authenticate', { re: message.re, from: `${from.ip}:${from.port}` });
        return;
      }
      // Only a reply that completed one of our requests counts (its id was never sent elsewhere),
      // so a forged `unknown-session` cannot make us register again.
      const completed = this.sender.handleReply(message, from);
      if (completed && message.t === 'ack' && message.status === 'unknown-session') this.unknownSession();
      return;
    }
    if (this.session.state === 'starting' || this.session.state === 'exited') return;
    // The server's pushes must come from a known instance of its system and carry our session
    // token: an address alone can be forged, the token was only ever sent between us and the
    // server. Any instance may push (the system may fan out from another), and the ACK goes
    // back to the address the push came from.
    // An instance not announced yet is believed when it came through the secure link: the link
    // took it only with the system's key (`peerKey`), which no address can forge.
    const fromSystem = this.session.instances.knows(from) || inbound.peerKey !== undefined;
    const fromServer = fromSystem && 'token' in message && message.token === this.session.token;
    switch (message.t) {
      case 'chat':
        return this.onChat(message, from);
      case 'probe':
        // Offline after dereg the client is not there for the server: answering would keep it listed.
        if (fromServer && this.session.state === 'online') this.ack(from, message.id);
        return;
      case 'channel': {
        if (!fromServer) return this.dropForged(message.t, from);
        const written = this.showOnce(message.from, message.id, () => this.view.show({ kind: 'channel-received', from: message.from, text: message.text }));
        return this.ackWhenWritten(from, message.id, written);
      }
      case 'stored':
        if (!fromServer) return this.dropForged(message.t, from);
        return this.onStored(message, from);
      case 'not-kept':
        if (!fromServer) return this.dropForged(message.t, from);
        this.ack(from, message.id);
        if (this.session.tableSeen.firstSeen(`not-kept|${message.id}`, this.now())) this.view.show({ kind: 'not-kept', count: message.count });
        return;
      case 'table':
        if (!fromServer) return this.dropForged(message.t, from);
        return this.onTable(message, from);
      case 'servers':
        if (!fromServer) return this.dropForged(message.t, from);
        this.ack(from, message.id);
        // Every copy is ACKed, one applied: a late copy must not undo a newer list.
        if (this.session.tableSeen.firstSeen(`servers|${message.id}`, this.now())) {
          // A leaving instance lists the others only: its first entry is not another address of it.
          this.session.instances.learn(message.servers, message.leaving === true ? undefined : from);
          if (message.leaving === true && this.session.instances.isCurrent(from)) this.serverLeaving();
        }
        return;
      default:
        this.logger.debug('dropped a server-bound message at a client', { type: message.t });
    }
  }

  /** Called when the table lists this client offline while it is online (a probe was lost). */
  onMarkedOffline(listener: () => void): void {
    this.markedOffline = listener;
  }

  /** Called when the server answers one of our requests with `unknown-session` (it lost our registration). */
  onUnknownSession(listener: () => void): void {
    this.unknownSession = listener;
  }

  /** Called when the current instance says it is stopping (a `servers` push with `leaving`). */
  onServerLeaving(listener: () => void): void {
    this.serverLeaving = listener;
  }

  /** Ask the server for the whole table (a gap in versions, or a sender we cannot verify). */
  requestTable(): void {
    if (this.tableRequestInFlight || this.session.state !== 'online') return;
    this.tableRequestInFlight = true;
    void this.sender
      .request(
        this.session.server,
        { t: 'table-request', id: this.crypto.messageId(), token: this.session.token, have: this.session.table.version },
        this.settings.policies.toServer,
      )
      .finally(() => {
        this.tableRequestInFlight = false;
      });
  }

  private ackAuthentic(ack: MessageOf<'ack'>): boolean {
    const awaiting = this.session.awaitingAcks.get(ack.re);
    if (!awaiting) return true;
    return ack.proof !== undefined && ack.proof === awaiting.proof;
  }

  private onChat(message: MessageOf<'chat'>, from: Address): void {
    // Offline after dereg: not ACKing lets the sender fall back to the server, which stores it.
    if (this.session.state !== 'online') return;
    // Meant for another name (an earlier holder of this address): neither shown nor ACKed, so
    // its sender falls back to the server, which keeps it for the real recipient.
    if (!this.session.isMe(message.to)) {
      this.logger.debug('chat message addressed to another name', { to: message.to, from: `${from.ip}:${from.port}` });
      return;
    }
    const key = this.keys.get(message.from);
    const identity = this.session.identity;
    // The sender is who holds the key the server gives for its name; the source address proves
    // nothing (and differs honestly for a peer on another address family or with several addresses).
    const plain = key === undefined || identity === undefined ? undefined : this.e2e.open(identity, key, message.sealed, chatContext(message.from, message.to, message.id, message.stream, message.seq));
    const opened = plain === undefined ? undefined : splitChatPlaintext(plain);
    if (opened === undefined || identity === undefined) {
      this.logger.debug('chat message that does not open under its sender\'s key', { claimed: message.from, from: `${from.ip}:${from.port}` });
      // Its key not asked for yet, or changed (a reset server): ask, then take the message. Anyone
      // can send such a datagram, so PeerKeys asks for few names a second, each once in a while.
      if (identity !== undefined) {
        void this.keys.forInbound(message.from).then((learnt) => {
          if (learnt) this.onChat(message, from);
        });
      }
      return;
    }
    const row = this.session.table.get(message.from);
    const sender = nameKey(message.from);
    if (this.overtaken(sender, message)) {
      // A later message of the same sender was shown already (several are in flight, and the
      // network reordered them): shown now, it would break the order they were typed in. Not
      // ACKed, so its sender falls back to the server, which finds us here and tells it so.
      this.logger.debug('chat message overtaken by a later one from its sender', { from: message.from, seq: message.seq });
      return;
    }
    const written = this.showOnce(message.from, message.id, () => {
      if (message.stream !== undefined && message.seq !== undefined) this.lastShown.set(sender, { stream: message.stream, seq: message.seq });
      this.view.show({ kind: 'direct-received', from: row?.name ?? message.from, text: opened.text });
    });
    // The ACK echoes the proof sealed inside the message: a forged ACK cannot stop its retries.
    const ack = { t: 'ack', re: message.id, proof: opened.proof } as const;
    if (written === undefined) void this.transport.send(from, ack);
    else void written.then(() => this.transport.send(from, ack));
  }

  /** True for a message not shown yet whose sender's process has since shown us a later one. */
  private overtaken(sender: string, message: MessageOf<'chat'>): boolean {
    const last = this.lastShown.get(sender);
    if (!last || message.stream !== last.stream || message.seq === undefined || message.seq > last.seq) return false;
    // A copy of a message already shown is ACKed again, as always.
    return !this.session.shown.has(`${sender}|${message.id}`, this.now());
  }

  private onStored(message: MessageOf<'stored'>, from: Address): void {
    const identity = this.session.identity;
    // A direct message is sealed by its sender: without the sender's key it cannot be shown,
    // so it waits (unACKed: the server resends it) for the key, asked of the server (which
    // pushed this, so it is no stranger's datagram).
    const unknown = message.items.filter((item) => item.kind === 'direct' && this.keys.get(item.from) === undefined).map((item) => item.from);
    if (unknown.length > 0 || !identity) {
      if (this.held.has(message.id)) return;
      this.held.set(message.id, { message, from });
      void this.keys.ensure(unknown).then(() => {
        const held = this.held.get(message.id);
        this.held.delete(message.id);
        if (held && unknown.every((name) => this.keys.get(name) !== undefined) && this.session.identity) this.onStored(held.message, held.from);
      });
      return;
    }
    this.held.delete(message.id);
    const writes: Promise<void>[] = [];
    for (const stored of message.items) {
      let item = stored;
      if (item.kind === 'direct') {
        const text = this.e2e.open(identity, this.keys.get(item.from)!, item.text, storedContext(item.from, this.session.name, item.id));
        if (text === undefined) {
          // Not sealed for us under the key the server gives for its sender: never shown, and
          // ACKed so it is not kept.
          this.logger.warn('dropped a stored message that does not open under its sender\'s key', { from: item.from, id: item.id });
          continue;
        }
        item = { ...item, text };
      }
      const shownItem = item;
      const written = this.showOnce(shownItem.from, shownItem.id, () => {
        if (!this.session.announcedStored) {
          this.session.announcedStored = true;
          this.view.show({ kind: 'have-messages' });
        }
        this.view.show({ kind: 'stored-received', from: shownItem.from, storedKind: shownItem.kind, atMs: shownItem.at, text: shownItem.text });
      });
      if (written) writes.push(written);
    }
    this.ackWhenWritten(from, message.id, writes.length === 0 ? undefined : Promise.all(writes).then(() => undefined));
  }

  private onTable(message: MessageOf<'table'>, from: Address): void {
    const firstCopy = this.session.tableSeen.firstSeen(message.id, this.now());
    // Parts held in a row are ACKed together (TableAssembler): a `run` ACK stands for the parts before it.
    const { acks, update } = this.assembler.add(message, !firstCopy);
    for (const ack of acks) void this.transport.send(from, ack.run ? { t: 'ack', re: ack.id, status: 'run' } : { t: 'ack', re: ack.id });
    if (!firstCopy || !update) return;
    // The first whole table of an instance we moved to: announced only if it changes our rows.
    const movedHere = update.full && this.session.tableFromNewInstance;
    // The first table after a welcome is always announced. Any other announces a change the
    // user can see: with several server instances, a whole table sent again by the instance that
    // took this client over, or a new version for a row that moved to another instance, does not.
    const first = this.session.firstTablePending && !movedHere;
    const unchanged = !first && (update.full ? this.session.table.hasRows(update.rows) : this.session.table.holdsAll(update.rows));
    const outcome = update.full
      ? this.session.table.applyFull(update.to, update.rows)
      : this.session.table.applyDelta(update.from, update.to, update.rows);
    if (outcome === 'applied') {
      if (movedHere) this.session.tableFromNewInstance = false;
      this.session.firstTablePending = false;
      if (!unchanged) this.view.show({ kind: 'table-updated' });
      this.prefetchKeys();
      if (this.session.state === 'online' && this.session.table.get(this.session.name)?.online === false) this.markedOffline();
    } else if (outcome === 'gap') this.requestTable();
  }

  /**
   * A small table's keys are all asked for at once (in the background), so the first message
   * to or from a name does not wait for its key, and a key changed since an earlier process is
   * told at log-in. A large one's are asked for as they are needed (PeerKeys).
   */
  private prefetchKeys(): void {
    if (this.session.table.size > this.settings.prefetchKeysMaxRows) return;
    const names = this.session.table.rows().filter((row) => !this.session.isMe(row.name)).map((row) => row.name);
    void this.keys.ensure(names);
  }

  /**
   * Calls `show` the first time this process or, through the seen store, an earlier process of
   * this user meets the message: live and stored copies of one message are one (keyed
   * `sender|id`). The key is then written to the seen store, so a restarted client does not show
   * a stored copy of a message whose ACK was lost. Returns undefined once that write is done
   * (at once when the line went out at once and the store could write the key on the spot),
   * else a promise settling when it is done (for a later copy: when the first copy's write is
   * done); done means written, not fsynced: the store syncs in the background, so a power cut
   * costs at most a message shown twice. A failure to write is logged and costs at most a
   * duplicate after a restart, never the message.
   */
  private showOnce(from: string, id: string, show: () => void): Promise<void> | undefined {
    const key = `${nameKey(from)}|${id}`;
    if (!this.session.shown.firstSeen(key, this.now())) return this.writing.get(key);
    show();
    // Written once the message's line is out: a client killed in between shows it again
    // (its sender had no ACK), never records as shown a line nobody saw.
    if (this.view.allShown?.() ?? this.view.shown === undefined) {
      try {
        if (this.seen.addNow?.(this.session.key, key)) return undefined;
      } catch (error) {
        this.logger.warn('could not remember a shown message', { error: String(error) });
        return undefined;
      }
    }
    const written = Promise.resolve()
      .then(() => this.view.shown?.())
      .then(() => this.seen.add(this.session.key, key))
      .catch((error: unknown) => this.logger.warn('could not remember a shown message', { error: String(error) }));
    this.writing.set(key, written);
    void written.then(() => {
      if (this.writing.get(key) === written) this.writing.delete(key);
    });
    return written;
  }

  /**
   * ACK only once the shown keys are written: an ACK ends the sender's retries, so a client
   * killed after it must find the key on restart, or the stored copy would be shown again.
   * The fsync is not waited for (it would cost a disk flush per message on the way to the ACK).
   */
  private ackWhenWritten(to: Address, id: string, written: Promise<void> | undefined): void {
    if (written === undefined) this.ack(to, id);
    else void written.then(() => this.ack(to, id));
  }

  private ack(to: Address, id: string): void {
    void this.transport.send(to, { t: 'ack', re: id });
  }

  private dropForged(type: string, from: Address): void {
    this.logger.debug('dropped a server message not from the server', { type, from: `${from.ip}:${from.port}` });
  }

  private now(): number {
    return this.clock.now();
  }
}
