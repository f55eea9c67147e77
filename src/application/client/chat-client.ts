import { inject, injectable } from 'inversify';
import type { TableRow } from '../../domain/client-table';
import { formatAddress } from '../../domain/address';
import { ChatView, type ChatEvent } from '../ports/chat-view';
import { Clock } from '../ports/clock';
import { Crypto } from '../ports/crypto';
import { EndToEnd } from '../ports/end-to-end';
import { Logger } from '../ports/logger';
import { SeenStore } from '../ports/seen-store';
import { Transport, type SendRefusal } from '../ports/transport';
import { ReliableSender } from '../reliable-sender';
import { ConfirmRegistration } from '../use-cases/client/confirm-registration';
import { Deregister } from '../use-cases/client/deregister';
import { LeaveOfflineMessage } from '../use-cases/client/leave-offline-message';
import { Register } from '../use-cases/client/register';
import { SendChannelMessage } from '../use-cases/client/send-channel-message';
import { SendDirectMessage } from '../use-cases/client/send-direct-message';
import type { Result } from '../../domain/result';
import { ClientInbound } from './client-inbound';
import { Failover } from './failover';
import type { ClientCommand } from './client-command';
import { ClientSession } from './client-session';
import { SendGroup } from './send-group';
import { PeerKeys } from './peer-keys';
import { nameKey } from '../../domain/nickname';
import { clip, fullMailboxes, refusalDetail, refusalText } from './error-texts';

/** Exit status when the client ends because the server stopped answering or refused it. */
export const EXIT_FAILURE = 1;

/** Rounds of `confirm` (each the full to-server retry policy) a client marked offline while alive makes. */
const REJOIN_ROUNDS = 3;

/**
 * Most `send`s in flight at once; later ones wait for a place. A pasted thousand lines then
 * reach the receiver at the pace of its ACKs, not faster than its per-source rate limit.
 */
export const SEND_WINDOW = 32;

/**
 * One chat client: starts the transport, registers, and runs the user's commands through the
 * use cases, turning each result into the lines of SPEC §2.
 *
 * Commands run in the order typed. `send`s may overlap: each starts (its datagram leaves) once
 * the `send` before it has started and a place in the window of SEND_WINDOW is free, so a
 * recipient gets one sender's messages in the order typed (and keeps that order by their
 * sequence numbers); each prints its own lines in the assignment's order. Every other command
 * (`send_all`, `dereg`, `reg`, and the local `list`, `help`) runs alone: after everything typed
 * before it has finished, and before anything typed after it starts.
 */
@injectable()
export class ChatClient {
  /** Settles once every command submitted so far but the `send`s has finished (sends wait for it to start). */
  private queue: Promise<void> = Promise.resolve();
  /** The `send`s submitted since the last other command (which waits for them too). */
  private sends = new SendGroup();
  /** Settles once the last `send` submitted has started. */
  private lastSendStarted: Promise<void> = Promise.resolve();
  private sendsInFlight = 0;
  private windowWaiters: Array<() => void> = [];
  /** Fallbacks to the server run one at a time: a lost session is registered again once. */
  private serverTurn: Promise<void> = Promise.resolve();
  private exitListeners: Array<(code: number) => void> = [];
  private rejoining = false;
  private rejoinAgain = false;
  /** Set when stop() began: results of work cut short by it are not reported (they would not be true). */
  private stopped = false;
  /** Set when the server answered a request with `unknown-session` (it lost our registration). */
  private sessionLost = false;
  /** The keys of the messages earlier processes of this user showed, loading since start (see loadShown). */
  private shownLoaded: Promise<void> = Promise.resolve();

  constructor(
    @inject(ClientSession) private readonly session: ClientSession,
    @inject(Transport) private readonly transport: Transport,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(ClientInbound) private readonly inbound: ClientInbound,
    @inject(ChatView) private readonly view: ChatView,
    @inject(Register) private readonly register: Register,
    @inject(ConfirmRegistration) private readonly confirm: ConfirmRegistration,
    @inject(Deregister) private readonly deregister: Deregister,
    @inject(SendDirectMessage) private readonly sendDirect: SendDirectMessage,
    @inject(LeaveOfflineMessage) private readonly leaveOffline: LeaveOfflineMessage,
    @inject(SendChannelMessage) private readonly sendChannel: SendChannelMessage,
    @inject(SeenStore) private readonly seen: SeenStore,
    @inject(Clock) private readonly clock: Clock,
    @inject(Logger) private readonly logger: Logger,
    @inject(Failover) private readonly failover: Failover,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(EndToEnd) private readonly e2e: EndToEnd,
    @inject(PeerKeys) private readonly keys: PeerKeys,
  ) {}

  /** Bind the client port and register; resolves false if the client must exit. */
  async start(): Promise<boolean> {
    this.transport.onReceive((inbound) => this.inbound.handle(inbound));
    this.inbound.onMarkedOffline(() => {
      this.rejoin().catch((error: unknown) => this.logger.error('could not confirm the session again', { error: String(error) }));
    });
    this.inbound.onUnknownSession(() => {
      this.sessionLost = true;
    });
    // Moved now rather than at the next request, which would wait out five silent tries first.
    // A request already sent there and left unanswered follows the move (withFailover).
    this.inbound.onServerLeaving(() => {
      if (this.session.state !== 'online' || this.stopped) return;
      void this.failover.recover(this.session.server, { welcome: false, stopped: true });
    });
    await this.transport.start();
    // Needed before the confirm, not before the registration, so its file operations overlap
    // the registration's: nothing can be shown before the server lists us online (it pushes only
    // then, and answers our requests for the keys peers seal with only then).
    this.shownLoaded = this.loadShown();
    // The link's handshake with the server needs our key only at its last message: begun now
    // (after the stores' first reads are under way), its round trip overlaps loading our files.
    // Awaited until that first message is on the wire: what follows blocks the thread.
    await this.transport.prepare?.(this.session.server);
    // The name's secret and keys meanwhile (read, or at its first start made, on the spot).
    this.register.prepare();
    return this.logIn(true);
  }

  /** Called with the exit status when the client decides to end (server gone, refused). */
  onExit(listener: (code: number) => void): void {
    this.exitListeners.push(listener);
  }

  get name(): string {
    return this.session.name;
  }

  get state(): string {
    return this.session.state;
  }

  /**
   * The local copy of the table. While not online the server pushes nothing to us, so it is the
   * table as last seen; our own row shows what is true now: offline.
   */
  tableRows(): TableRow[] {
    // With the keys asked for so far (rows carry none: PeerKeys).
    const online = this.session.state === 'online';
    return this.session.table.rows().map((row) => {
      const key = this.keys.get(row.name);
      const shown = online || !this.session.isMe(row.name) ? row : { ...row, online: false };
      return key === undefined ? shown : { ...shown, key };
    });
  }

  /** The `whois` answer: `name`'s row with its key, asked of the server if not known yet (undefined: no such name). */
  async whois(name: string): Promise<TableRow | undefined> {
    const row = this.session.table.get(name);
    if (!row) return undefined;
    if (this.session.state === 'online') await this.keys.ensure([row.name]);
    return this.tableRows().find((r) => nameKey(r.name) === nameKey(name));
  }

  /** A key's short fingerprint, for users to compare out of band (`whois`, `list`). */
  fingerprint(key: string): string {
    return this.e2e.fingerprint(key);
  }

  /** Queue a command, in the order typed (see the class for which commands overlap). */
  submit(command: ClientCommand): Promise<void> {
    if (command.kind === 'send') return this.enqueueSend(command);
    return this.enqueue(() => this.run(command));
  }

  /** Queue a local task (`list`, `help`) behind the commands typed before it. */
  submitLocal(task: () => void | Promise<void>): Promise<void> {
    return this.enqueue(async () => {
      if (!this.stopped) await task();
    });
  }

  /** Resolves when every queued command and every exchange in flight has finished. */
  async drain(): Promise<void> {
    await this.queue;
    await this.sends.settled();
    await this.sender.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.session.state = 'exited';
    this.sender.cancelAll();
    await this.transport.close();
    await this.seen.close().catch((error: unknown) => this.logger.warn('could not save the shown messages', { error: String(error) }));
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    // After the commands before it and the sends typed since the last of them; the sends typed
    // after it go in a new group and wait for it (see enqueueSend).
    const sends = this.sends;
    this.sends = new SendGroup();
    const run = this.queue.then(() => sends.settled()).then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private enqueueSend(command: Extract<ClientCommand, { kind: 'send' }>): Promise<void> {
    const barrier = this.queue;
    const group = this.sends;
    group.add();
    const previous = this.lastSendStarted;
    let resolveStarted!: () => void;
    this.lastSendStarted = new Promise<void>((resolve) => (resolveStarted = resolve));
    // Called on every path out, but resolving once: each resolve of a settled promise costs a
    // call into Node's promise hook (a per-message cost on the send path).
    let startedOnce = false;
    const started = (): void => {
      if (startedOnce) return;
      startedOnce = true;
      resolveStarted();
    };
    const run = (async (): Promise<void> => {
      try {
        await barrier;
        await previous;
        if (this.sendsInFlight >= SEND_WINDOW) await this.windowPlace();
        this.sendsInFlight += 1;
      } catch (error) {
        started();
        group.done();
        throw error;
      }
      try {
        // run() sends the datagram before its first await, so the next send cannot overtake it.
        const running = this.run(command);
        started();
        await running;
      } finally {
        started();
        this.leaveWindow();
        group.done();
      }
    })();
    return run;
  }

  /** Resolves when a place in the window of SEND_WINDOW sends in flight is free (the caller takes it). */
  private async windowPlace(): Promise<void> {
    while (this.sendsInFlight >= SEND_WINDOW) await new Promise<void>((resolve) => this.windowWaiters.push(resolve));
  }

  private leaveWindow(): void {
    this.sendsInFlight -= 1;
    this.windowWaiters.shift()?.();
  }

  /** Run `task` after every fallback to the server started before it. */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.serverTurn.then(task);
    this.serverTurn = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async run(command: ClientCommand): Promise<void> {
    if (this.session.state === 'exited') return;
    if (this.session.state === 'offline' && command.kind !== 'reg') {
      return this.error(`you are offline; use reg ${this.session.name} to log back in`);
    }
    switch (command.kind) {
      case 'send':
        return this.runSend(command.to, command.text);
      case 'send_all':
        return this.runSendAll(command.text);
      case 'dereg':
        return this.runDereg(command.name);
      case 'reg':
        return this.runReg(command.name);
    }
  }

  /**
   * Seed the shown messages with what earlier processes of this user showed, so a stored copy of
   * a message shown before a crash or exit whose ACK was lost is not shown again. Unreadable,
   * the client still starts: the cost is a possible duplicate, not a lost message.
   */
  private async loadShown(): Promise<void> {
    try {
      this.session.shown.seed(await this.seen.load(this.session.key), this.clock.now());
    } catch (error) {
      this.logger.warn('could not load the shown messages; a stored message may be shown twice', { error: String(error) });
    }
  }

  private async logIn(first: boolean): Promise<boolean> {
    await this.failover.settled();
    const at = this.session.server;
    const registered = await this.register.execute();
    // Silent: another known instance may take us (it prints the welcome after the move's line,
    // and confirms there: the shown messages must be known first, as below).
    if (!registered.ok && registered.error.code === 'no-response' && !this.stopped && (await this.shownLoaded.then(() => this.failover.recover(at, { welcome: true })))) return true;
    if (!registered.ok) {
      if (registered.error.code === 'refused') {
        this.error(refusalText(registered.error.reason, this.session.name));
        this.exit();
      } else if (registered.error.code === 'not-sent') {
        // Nothing reached the server: say what was refused, never that the server is silent.
        this.error(`the registration could not be sent (${refusalDetail(registered.error.refusal)})${first ? '; exiting' : ''}`);
        if (first) this.exit();
      } else if (first) {
        this.error(`server ${formatAddress(this.session.server)} is not responding; check the address and that the server is running`);
        this.exit();
      } else {
        this.serverGone();
      }
      return false;
    }
    this.show({ kind: 'registered' });
    // Before the confirm: once online, messages come at once (see start).
    await this.shownLoaded;
    const confirmed = await this.confirm.execute();
    if (!confirmed.ok) {
      if (confirmed.error.code !== 'not-sent') {
        // The server stopped between its welcome and our confirm: another known instance may take us.
        if (!this.stopped && (await this.failover.recover(this.session.server))) return true;
        this.serverGone();
        return false;
      }
      // The server lists us online only once it hears the confirm, which never left.
      this.error(`the registration could not be confirmed (${refusalDetail(confirmed.error.refusal)})${first ? '; exiting' : `; use reg ${this.session.name} to try again`}`);
      if (first) this.exit();
      else this.session.state = 'offline';
      return false;
    }
    return true;
  }

  private async runSend(to: string, text: string): Promise<void> {
    // An online recipient's key is asked of the server the first time (a request like the others:
    // it may move to another instance, and a silent server ends the client as the assignment says).
    if (this.session.table.get(to)?.online && this.keys.get(to) === undefined) {
      const looked = await this.withSession(() => this.withFailover(() => this.keys.lookup(to)));
      if (!looked) return;
      if (!looked.ok) return this.serverGone();
    }
    const result = await this.sendDirect.execute({ to, text });
    if (!result.ok) {
      const e = result.error;
      if (e.code === 'invalid-name') return this.error(`${clip(to)} is not a valid name; names are 1-32 letters, digits, _ or -`);
      if (e.code === 'bad-text') return this.error(`${e.cause.message}; nothing was sent`);
      if (e.code === 'not-sent') return this.notSent(e.refusal);
      if (e.code === 'no-key') return this.error(`the server has no usable key for ${to}, so nothing can be sealed for it; nothing was sent`);
      const hint = e.suggestions.length > 0 ? `did you mean ${e.suggestions.join(' or ')}?` : 'use list to see the table';
      return this.error(`no client named ${to} in the table; ${hint}`);
    }
    if (result.value.kind === 'acked') {
      this.show({ kind: 'direct-acked', to: result.value.to });
      return;
    }
    const fallback = result.value;
    this.show({ kind: 'direct-no-ack', to: fallback.to });
    const saved = await this.serially(() => this.withSession(() => this.withFailover(() => this.leaveOffline.execute({ to: fallback.to, text, id: fallback.id }))));
    if (!saved) return;
    if (saved.ok) {
      if (saved.value === 'saved') this.show({ kind: 'saved-by-server' });
      else this.show({ kind: 'client-exists', name: fallback.to });
      return;
    }
    if (saved.error.code === 'no-response') return this.serverGone();
    if (saved.error.code === 'not-sent') return this.error(`the message could not be sent to the server to be saved (${refusalDetail(saved.error.refusal)}); it was not saved`);
    if (saved.error.code === 'no-key') return this.error(`the server has no usable key for ${fallback.to}; the message was not saved`);
    if (saved.error.code === 'mailbox-full') return this.error(`the server's mailbox for ${fallback.to} is full; the message was not saved`);
    if (saved.error.code === 'store-failed') return this.error(`the server could not store the message for ${fallback.to} (its disk failed or is full); the message was not saved`);
    this.error(`the server refused to save the message (${saved.error.status})`);
  }

  private async runSendAll(text: string): Promise<void> {
    const id = this.crypto.messageId();
    const result = await this.withSession(() => this.withFailover(() => this.sendChannel.execute({ text, id })));
    if (!result) return;
    if (result.ok) {
      this.show({ kind: 'channel-acked' });
      const { full, fullCount } = result.value;
      if (fullCount > 0) this.error(`${fullMailboxes(full, fullCount)} full; ${fullCount === 1 && full.length === 1 ? full[0] : 'they'} will not get this message`);
      return;
    }
    if (result.error.code === 'bad-text') return this.error(`${result.error.cause.message}; nothing was sent`);
    if (result.error.code === 'not-sent') return this.notSent(result.error.refusal);
    if (result.error.code === 'store-failed') return this.error('the server could not store the message (its disk failed or is full); not every member may get it');
    this.show({ kind: 'channel-not-responding' });
  }

  private async runDereg(name: string): Promise<void> {
    const id = this.crypto.messageId();
    const result = await this.withSession(() => this.withFailover(() => this.deregister.execute({ name, id })));
    if (!result) return;
    if (result.ok) return this.show({ kind: 'offline' });
    if (result.error.code === 'not-own-name') return this.error(`you are registered as ${this.session.name}; use dereg ${this.session.name}`);
    if (result.error.code === 'not-online') return this.error('you are not online');
    if (result.error.code === 'not-sent') return this.error(`the de-registration could not be sent (${refusalDetail(result.error.refusal)}); you are still online`);
    this.serverGone();
  }

  private async runReg(name: string): Promise<void> {
    if (!this.session.isMe(name)) return this.error(`you are registered as ${this.session.name}; use reg ${this.session.name}`);
    if (this.session.state === 'online') return this.error(`you are already online as ${this.session.name}`);
    await this.logIn(false);
  }

  /** The server took us for gone (a lost probe): confirm the session again to come back online. */
  private async rejoin(): Promise<void> {
    if (this.rejoining) {
      // Marked offline again while confirming: the server may have handled our confirm before
      // that, so confirm once more when this one ends.
      this.rejoinAgain = true;
      return;
    }
    this.rejoining = true;
    try {
      do {
        this.rejoinAgain = false;
        // A lost confirm is tried again a few rounds: the server pushes nothing more to a client
        // it lists offline, so a client that gave up here would stay unseen until it logs in again.
        for (let round = 0; round < REJOIN_ROUNDS && this.session.state === 'online'; round++) {
          if ((await this.confirm.execute()).ok) break;
        }
      } while (this.rejoinAgain && this.session.state === 'online');
    } finally {
      this.rejoining = false;
    }
  }

  /**
   * Runs one request to the server. If the server answered that it does not know our session
   * (it was restarted without our registration: an empty or another data directory), registers
   * again, with the same name and the name's secret, and runs the request once more. Undefined
   * when the client could not register again (it has said why and is ending) or was stopped.
   */
  private async withSession<T>(request: () => Promise<T>): Promise<T | undefined> {
    // Stopped while an earlier step ran: nothing new goes out (the transport is closed).
    if (this.stopped) return undefined;
    this.sessionLost = false;
    const first = await request();
    if (this.stopped) return undefined;
    if (!this.sessionLost) return first;
    this.logger.warn('the server does not know this session; registering again');
    this.show({ kind: 'info', text: `[The server no longer knew this session; registering again as ${this.session.name}.]` });
    // That server's table versions started again: a table kept from before would make its
    // updates look stale, so the whole table it sends on confirming is taken as it is.
    this.session.table.restore(0, []);
    if (!(await this.logIn(false))) return undefined;
    this.sessionLost = false;
    const second = await request();
    if (this.stopped) return undefined;
    if (!this.sessionLost) return second;
    // Refused again right after a registration it accepted: nothing sensible is left to try.
    this.error('the server does not keep this session; start the client again');
    this.exit();
    return undefined;
  }

  /**
   * Runs one request to the server; if it goes unanswered and another known instance takes the
   * client (Failover), runs it again there. The caller's request keeps its id, so an instance
   * that already acted on it (the system shares what each instance did) answers from its
   * reply cache instead of acting twice. At most one move per known instance, so instances
   * that welcome the client and then fall silent cannot keep it moving forever.
   */
  private async withFailover<T extends Result<unknown, { readonly code: string }>>(request: () => Promise<T>): Promise<T> {
    for (let moves = 0; ; moves++) {
      // A request sent while a move is under way would go to an instance not yet confirmed.
      await this.failover.settled();
      const at = this.session.server;
      const result = await request();
      if (result.ok || result.error.code !== 'no-response' || this.stopped) return result;
      if (moves >= this.session.instances.all().length || !(await this.failover.recover(at))) return result;
      if (this.stopped || this.session.state === 'exited') return result;
    }
  }

  private serverGone(): void {
    this.show({ kind: 'server-not-responding' });
    this.show({ kind: 'exiting' });
    this.exit();
  }

  private exit(): void {
    this.session.state = 'exited';
    this.session.exitCode = EXIT_FAILURE;
    for (const listener of this.exitListeners) listener(EXIT_FAILURE);
  }

  private show(event: ChatEvent): void {
    if (!this.stopped) this.view.show(event);
  }

  private error(text: string): void {
    this.show({ kind: 'error', text });
  }

  /** The transport refused the datagram: nothing left this client, and it keeps running. */
  private notSent(refusal: SendRefusal): void {
    this.error(`the message could not be sent (${refusalDetail(refusal)}); nothing was sent`);
  }
}
