import { inject, injectable } from 'inversify';
import type { Address } from '../../domain/address';
import { Clock } from '../ports/clock';
import { Logger } from '../ports/logger';
import { Transport, type Inbound } from '../ports/transport';
import { WireSize } from '../ports/wire-size';
import { isReply, REGISTER_MIN_BYTES, type MessageOf, type MessageType, type Reply } from '../protocol/envelope';
import { ReliableSender } from '../reliable-sender';
import { AcceptDeregistration } from '../use-cases/server/accept-deregistration';
import { AcceptRegistration } from '../use-cases/server/accept-registration';
import { ConfirmRegistration } from '../use-cases/server/confirm-registration';
import { RelayChannelMessage } from '../use-cases/server/relay-channel-message';
import { ServeKeyRequest } from '../use-cases/server/serve-key-request';
import { ServeTableRequest } from '../use-cases/server/serve-table-request';
import { StoreOfflineMessage } from '../use-cases/server/store-offline-message';
import { BackgroundTasks } from './background-tasks';
import { ServerState } from './server-state';

const UNKNOWN_SESSION = 'unknown-session' as const;

type Handler = (inbound: Inbound) => Promise<Reply | undefined>;

/**
 * Routes what reaches the server. Replies complete the server's own requests; each request
 * is acted on once per (sender address, id): a copy arriving while it is handled is ignored,
 * a later copy gets the same answer again without a second state change.
 */
@injectable()
export class ServerInbound {
  private readonly handlers: Partial<Record<MessageType, Handler>>;

  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(Transport) private readonly transport: Transport,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Clock) private readonly clock: Clock,
    @inject(Logger) private readonly logger: Logger,
    @inject(BackgroundTasks) private readonly tasks: BackgroundTasks,
    @inject(WireSize) private readonly wire: WireSize,
    @inject(AcceptRegistration) register: AcceptRegistration,
    @inject(ConfirmRegistration) confirm: ConfirmRegistration,
    @inject(AcceptDeregistration) dereg: AcceptDeregistration,
    @inject(StoreOfflineMessage) save: StoreOfflineMessage,
    @inject(RelayChannelMessage) sendAll: RelayChannelMessage,
    @inject(ServeTableRequest) tableRequest: ServeTableRequest,
    @inject(ServeKeyRequest) keyRequest: ServeKeyRequest,
  ) {
    const as = <T extends MessageType>(fn: (i: Inbound & { message: MessageOf<T> }) => Promise<Reply | undefined>): Handler =>
      fn as Handler;
    this.handlers = {
      register: as<'register'>((i) => register.execute(i)),
      confirm: as<'confirm'>((i) => confirm.execute(i)),
      dereg: as<'dereg'>((i) => dereg.execute(i)),
      save: as<'save'>((i) => save.execute(i)),
      'send-all': as<'send-all'>((i) => sendAll.execute(i)),
      'table-request': as<'table-request'>((i) => tableRequest.execute(i)),
      'key-request': as<'key-request'>((i) => keyRequest.execute(i)),
    };
  }

  handle(inbound: Inbound): void {
    const { message, from } = inbound;
    if (isReply(message)) {
      this.sender.handleReply(message, from);
      return;
    }
    const handler = this.handlers[message.t];
    if (!handler || !('id' in message)) {
      this.logger.debug('dropped a message the server does not take', { type: message.t });
      return;
    }
    // A registration too small to pay for its answer is dropped before the cache too: a small
    // copy of a padded request must not fetch the cached welcome (no amplification).
    if (message.t === 'register' && inbound.bytes < REGISTER_MIN_BYTES) return;
    // The type is part of the key: a datagram of another type reusing a request's id is a new
    // request, never a copy that fetches the cached answer.
    const key = this.state.replyKey(from, `${message.t}:${message.id}`);
    const now = this.clock.monotonicMs();
    const cached = this.state.replies.get(key, now);
    if (cached?.state === 'done') {
      this.reply(from, cached.reply);
      return;
    }
    if (cached?.state === 'pending') return;
    this.state.replies.begin(key, now);
    // Tracked, so stop() waits for it before closing the stores; a failure is logged, never thrown.
    this.tasks.run(`handling ${message.t}`, () => handler(inbound).then(
      (reply) => {
        if (!reply) {
          this.state.replies.forget(key);
          // Debug only: forgeries arrive at flood rates and must not flood the log.
          this.logger.debug('dropped a request without a valid session', { type: message.t, from: `${from.ip}:${from.port}` });
          this.answerUnknownSession(inbound);
          return;
        }
        this.state.replies.complete(key, reply);
        this.logger.info(`${message.t} handled`, {
          name: 'name' in message ? message.name : 'from' in message ? message.from : undefined,
          ...(message.t === 'save' ? { to: message.to } : {}),
          from: `${from.ip}:${from.port}`,
          reply: reply.t,
          status: 'status' in reply ? reply.status : reply.t === 'refused' ? reply.reason : undefined,
        });
        this.reply(from, reply);
      },
      (error: unknown) => {
        this.state.replies.forget(key);
        this.logger.error('request failed', { type: message.t, error: String(error) });
      },
    ));
  }

  private reply(to: Address, reply: Reply): void {
    this.transport.send(to, reply).catch((error: unknown) => this.logger.warn('could not send a reply', { type: reply.t, error: String(error) }));
  }

  /**
   * A request whose token names no session held at its source address (this server was
   * restarted on an empty or another data directory, or the client moved) is answered with
   * `ack`/`unknown-session`, so the client registers again instead of taking silence for a dead
   * server. The answer is never cached and changes nothing. No amplification: in clear it is sent
   * only when it is no larger on the wire than the request it answers (the security suite
   * measures it); through a secure session, whose handshake proved the address, always.
   */
  private answerUnknownSession({ message, from, bytes, peerKey }: Inbound): void {
    if (this.state.stopping || !('token' in message) || !('id' in message)) return;
    // A session that exists here but names someone else in the request is a forgery, not a lost session.
    if (this.state.session(message.token, from)) return;
    const answer: Reply = { t: 'ack', re: message.id, status: UNKNOWN_SESSION };
    // Through a secure session the address is proven (its handshake reached the client there),
    // so the answer may be larger than the request; in clear it must not be.
    if (peerKey === undefined && this.wire.bytesOf(answer) > bytes) return;
    this.reply(from, answer);
  }
}
