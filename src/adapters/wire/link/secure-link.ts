import { randomBytes } from 'node:crypto';
import { addressKey, formatAddress, sameAddress, type Address } from '../../../domain/address';
import type { Logger } from '../../../application/ports/logger';
import { isReply, type Message } from '../../../application/protocol/envelope';
import { TransportCipher } from '../noise/noise-cipher';
import { nodeChaCha20Poly1305, type ChaCha20Poly1305 } from '../chacha20-poly1305';
import { XXInitiator, XXResponder, type StaticKeyPair } from '../noise/noise-xx';
import { ReplayWindow } from '../noise/replay-window';
import { SourceRateLimiter, type RateLimitPolicy } from '../rate-limiter';
import { TokenBucket, type TokenBucketPolicy } from '../../../domain/token-bucket';
import type { DatagramLink, Unwrapped } from './datagram-link';
import {
  DATA_HEADER_BYTES,
  dataHeader,
  finish,
  hello,
  INDEX_BYTES,
  isLinkDatagram,
  LINK_DATA,
  LINK_FINISH,
  LINK_HELLO,
  LINK_HELLO_MIN_BYTES,
  LINK_OVERHEAD_BYTES,
  LINK_PROLOGUE,
  LINK_REPLY,
  reply,
  XX_MESSAGE2_BYTES,
  XX_MESSAGE3_BYTES,
} from './link-frames';

/** Who the link protects traffic with, and whom it believes. */
export interface LinkPolicy {
  /** Whether traffic with `peer` goes through the link (a server: everyone; a client: its server's instances). */
  protects(peer: Address): boolean;
  /** Whether `peer` may begin a handshake with this node. */
  mayInitiate(peer: Address): boolean;
  /** Whether `staticKey` (base64url) is acceptable for `peer`; `weInitiated` tells who began. */
  accepts(peer: Address, staticKey: string, weInitiated: boolean): boolean;
}

export interface SecureLinkOptions {
  readonly logger: Logger;
  /** This node's static key pair (undefined until it has one: a client loads its name's key at registration). */
  readonly identity: () => StaticKeyPair | undefined;
  readonly policy: LinkPolicy;
  /** The time in ms; read on every call, so fake timers drive it. */
  readonly now?: () => number;
  /** Limits on first handshake messages answered (defaults: HANDSHAKE_LIMITS). */
  readonly handshakeLimits?: HandshakeLimits;
  /**
   * The ChaCha20-Poly1305 a new session seals with (node:crypto's when left out). A server
   * takes libsodium's, loaded at its first session; a client takes it only once something
   * else loaded it, so its start and memory do not pay for the addon.
   */
  readonly aead?: () => ChaCha20Poly1305;
}

/**
 * How many first handshake messages are answered: each costs three X25519 operations (about a
 * quarter of a millisecond here), a hundred times what any other datagram costs, so a flood of
 * them is limited apart from the transport's per-source limit: per source, and in all (so a
 * flood from many sources cannot take the whole processor either).
 */
export interface HandshakeLimits {
  readonly perSource: RateLimitPolicy;
  readonly overall: TokenBucketPolicy;
}

/** A client shakes hands once per registration or restart of its server: 10/s per source is plenty; 1,000/s in all lets a registration storm through. */
export const HANDSHAKE_LIMITS: HandshakeLimits = { perSource: { ratePerSecond: 10, burst: 20, maxSources: 10_000 }, overall: { ratePerSecond: 1_000, burst: 1_000 } };

/** A session whose peer has said nothing this long after a request is taken for lost (the peer restarted): a new handshake starts. */
export const REKEY_AFTER_SILENCE_MS = 700;
/** A handshake not completed in this time is abandoned (a later send starts another). */
const HANDSHAKE_EXPIRES_MS = 5_000;
/** A retransmission of the first handshake message is sent at most this often. */
const HELLO_RESEND_MS = 100;
/** Frames held per peer while its handshake runs (the oldest give way: their senders retransmit). */
const HELD_FRAMES_MAX = 64;
/** Responder handshakes waiting for their third message, at most (the oldest give way). */
const HALF_OPEN_MAX = 20_000;
/** Sessions kept at most; the least recently made give way. */
const SESSIONS_MAX = 60_000;
/** A session replaced by a newer one with the same peer still opens what was in flight for this long. */
const RETIRED_GRACE_MS = 5_000;

interface Session {
  readonly local: number;
  readonly remote: number;
  readonly address: Address;
  readonly peerKey: string;
  readonly sender: TransportCipher;
  readonly receiver: TransportCipher;
  readonly window: ReplayWindow;
  counter: bigint;
  /** When a request went unanswered first since the peer last spoke (undefined: nothing outstanding). */
  waitingSinceMs: number | undefined;
  /** The initiator's third message, sent again before data until the peer is heard (it may have been lost). */
  finish: Buffer | undefined;
  retiredAtMs: number | undefined;
}

interface Initiation {
  readonly local: number;
  readonly address: Address;
  readonly handshake: XXInitiator;
  readonly hello: Buffer;
  readonly startedMs: number;
  lastSentMs: number;
  readonly held: Array<{ readonly frame: Buffer; readonly message: Message }>;
  /** Message 2, read: the responder's session index and static key (not yet judged by the policy). */
  answer?: { readonly remote: number; readonly peerKey: string };
}

interface HalfOpen {
  readonly local: number;
  readonly remote: number;
  readonly address: Address;
  readonly handshake: XXResponder;
  readonly reply: Buffer;
  readonly helloKey: string;
  readonly createdMs: number;
}

/**
 * Noise_XX_25519_ChaChaPoly_SHA256 between a client and a server instance, over datagrams.
 * Whichever side has something to send first starts the handshake (a client registering, an
 * instance pushing to a client it has no session with); frames wait for it, then travel
 * sealed under the session's keys with an explicit counter, checked against a replay window
 * only after they authenticate. Nothing a datagram that fails authentication, or one from an
 * unknown session, is ever answered; handshake message 1 is padded so the reply to it is
 * smaller. A peer that restarted loses its sessions: the side that goes unanswered for
 * REKEY_AFTER_SILENCE_MS shakes hands again on its next send, and the frames its sender
 * retransmits meanwhile ride the new session.
 */
export class SecureLink implements DatagramLink {
  private raw: (to: Address, data: Buffer, message?: Message) => void = () => undefined;
  private readonly sessions = new Map<number, Session>();
  private readonly current = new Map<string, Session>();
  private readonly retired: Session[] = [];
  private readonly initiations = new Map<string, Initiation>();
  private readonly initiationsByIndex = new Map<number, Initiation>();
  private readonly halfOpen = new Map<number, HalfOpen>();
  private readonly repliesByHello = new Map<string, HalfOpen>();
  private readonly now: () => number;
  private readonly hellosPerSource: SourceRateLimiter;
  private readonly hellosOverall: TokenBucket;
  private readonly aead: () => ChaCha20Poly1305;

  constructor(private readonly options: SecureLinkOptions) {
    this.now = options.now ?? (() => Date.now());
    this.aead = options.aead ?? (() => nodeChaCha20Poly1305);
    const limits = options.handshakeLimits ?? HANDSHAKE_LIMITS;
    this.hellosPerSource = new SourceRateLimiter(limits.perSource);
    this.hellosOverall = new TokenBucket(limits.overall, this.now());
  }

  attach(raw: (to: Address, data: Buffer, message?: Message) => void): void {
    this.raw = raw;
  }

  overheadFor(to: Address): number {
    return this.protects(to) ? LINK_OVERHEAD_BYTES : 0;
  }

  /**
   * Whether traffic with `peer` goes through the link: the policy's peers, and any peer a
   * session was made with (its key was accepted by the policy: a client meets an instance of its
   * system it has not heard of yet this way, and answers it through the session).
   */
  private protects(peer: Address): boolean {
    return this.options.policy.protects(peer) || this.current.has(addressKey(peer));
  }

  outgoing(to: Address, message: Message, frame: Buffer): Buffer | undefined {
    if (!this.protects(to)) return frame;
    const now = this.now();
    const key = addressKey(to);
    let session = this.current.get(key);
    if (session && !isReply(message)) {
      if (session.waitingSinceMs === undefined) session.waitingSinceMs = now;
      else if (now - session.waitingSinceMs > REKEY_AFTER_SILENCE_MS) {
        this.options.logger.debug('no answer on a link session; shaking hands again', { peer: formatAddress(to) });
        this.retire(session, now);
        session = undefined;
      }
    }
    if (!session) {
      // A handshake begun by prepare() and answered already: this frame finishes it.
      const answered = this.initiations.get(key);
      if (answered?.answer && now - answered.startedMs <= HANDSHAKE_EXPIRES_MS) {
        session = this.finishInitiation(answered, now);
        // Refused (as a refused handshake's held frames are): its sender's retransmission begins another.
        if (!session) return undefined;
      }
    }
    if (session) {
      if (session.finish) this.raw(to, session.finish);
      return this.seal(session, frame);
    }
    this.initiate(to, key, message, frame, now);
    return undefined;
  }

  prepare(to: Address): void {
    if (!this.options.policy.protects(to)) return;
    const key = addressKey(to);
    if (this.current.has(key) || this.initiations.has(key)) return;
    const now = this.now();
    const initiation = this.newInitiation(to, key, undefined, now);
    initiation.lastSentMs = now;
    this.raw(to, initiation.hello);
  }

  incoming(data: Buffer, from: Address): Unwrapped | undefined {
    if (!isLinkDatagram(data)) {
      // A plain frame from a peer the link protects is a forgery or a peer without the link: dropped, unanswered.
      return this.protects(from) ? undefined : { frame: data };
    }
    const now = this.now();
    switch (data[0]) {
      case LINK_HELLO:
        this.onHello(data, from, now);
        return undefined;
      case LINK_REPLY:
        this.onReply(data, from, now);
        return undefined;
      case LINK_FINISH:
        this.onFinish(data, from, now);
        return undefined;
      case LINK_DATA:
        return this.onData(data, from);
      default:
        return undefined;
    }
  }

  /** Live sessions (for tests and stats). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  private initiate(to: Address, key: string, message: Message, frame: Buffer, now: number): void {
    let initiation = this.initiations.get(key);
    if (initiation && now - initiation.startedMs > HANDSHAKE_EXPIRES_MS) {
      this.dropInitiation(initiation);
      initiation = undefined;
    }
    if (!initiation) {
      const identity = this.options.identity();
      if (!identity) {
        this.options.logger.warn('no key yet to begin a secure session; datagram not sent', { peer: formatAddress(to) });
        return;
      }
      initiation = this.newInitiation(to, key, identity, now);
    }
    initiation.held.push({ frame, message });
    if (initiation.held.length > HELD_FRAMES_MAX) initiation.held.shift();
    if (now - initiation.lastSentMs >= HELLO_RESEND_MS) {
      initiation.lastSentMs = now;
      this.raw(to, initiation.hello);
    }
  }

  /** A handshake with `to` whose first message is ready to send; `identity` may come only when it finishes (see prepare). */
  private newInitiation(to: Address, key: string, identity: StaticKeyPair | undefined, now: number): Initiation {
    const handshake = new XXInitiator(identity, LINK_PROLOGUE);
    const local = this.newIndex();
    const message1 = handshake.writeMessage1(Buffer.alloc(LINK_HELLO_MIN_BYTES - 1 - INDEX_BYTES - 32));
    const initiation: Initiation = { local, address: to, handshake, hello: hello(local, message1), startedMs: now, lastSentMs: Number.NEGATIVE_INFINITY, held: [] };
    this.initiations.set(key, initiation);
    this.initiationsByIndex.set(local, initiation);
    return initiation;
  }

  private onHello(data: Buffer, from: Address, now: number): void {
    if (data.length < LINK_HELLO_MIN_BYTES || !this.options.policy.mayInitiate(from)) return;
    if (!this.hellosPerSource.allow(from, now) || !this.hellosOverall.tryTake(now)) return;
    const helloKey = `${addressKey(from)}|${data.subarray(1 + INDEX_BYTES, 1 + INDEX_BYTES + 32).toString('base64')}`;
    const known = this.repliesByHello.get(helloKey);
    if (known) {
      // A retransmitted first message (its answer was lost): the same answer again.
      this.raw(from, known.reply);
      return;
    }
    const identity = this.options.identity();
    if (!identity) return;
    const handshake = new XXResponder(identity, LINK_PROLOGUE);
    if (!handshake.readMessage1(data.subarray(1 + INDEX_BYTES))) return;
    const local = this.newIndex();
    const remote = data.readUInt32BE(1);
    const half: HalfOpen = { local, remote, address: from, handshake, reply: reply(remote, local, handshake.writeMessage2(Buffer.alloc(0))), helloKey, createdMs: now };
    this.halfOpen.set(local, half);
    this.repliesByHello.set(helloKey, half);
    this.pruneHalfOpen(now);
    this.raw(from, half.reply);
  }

  private onReply(data: Buffer, from: Address, now: number): void {
    if (data.length !== 1 + 2 * INDEX_BYTES + XX_MESSAGE2_BYTES) return;
    const initiation = this.initiationsByIndex.get(data.readUInt32BE(1));
    // Answered already (a duplicate of message 2 while a prepared handshake waits for its first frame).
    if (!initiation || !sameAddress(initiation.address, from) || initiation.answer) return;
    const read = initiation.handshake.readMessage2(data.subarray(1 + 2 * INDEX_BYTES));
    if (!read) return;
    initiation.answer = { remote: data.readUInt32BE(1 + INDEX_BYTES), peerKey: read.remoteStatic.toString('base64url') };
    // Prepared, nothing to send yet: the first frame finishes it (outgoing), with the key it then has.
    if (initiation.held.length === 0) return;
    const session = this.finishInitiation(initiation, now);
    if (!session) return;
    this.raw(from, session.finish!);
    for (const { frame, message } of initiation.held) this.raw(from, this.seal(session, frame), message);
  }

  /**
   * Message 3 of an answered handshake, and the session it makes (its `finish` to send), or
   * undefined when the policy refuses the peer's key. The key is judged before message 3 is
   * written: a refused peer never learns our static key.
   */
  private finishInitiation(initiation: Initiation, now: number): Session | undefined {
    const { remote, peerKey } = initiation.answer!;
    const from = initiation.address;
    this.dropInitiation(initiation);
    if (!this.options.policy.accepts(from, peerKey, true)) {
      // The policy tells whoever must know (a client's user); the log says it happened.
      this.options.logger.warn('refused a peer\'s static key', { peer: formatAddress(from) });
      return undefined;
    }
    const identity = this.options.identity();
    if (!identity) {
      this.options.logger.warn('no key yet to begin a secure session; datagram not sent', { peer: formatAddress(from) });
      return undefined;
    }
    const finishing = finish(remote, initiation.handshake.writeMessage3(Buffer.alloc(0), identity));
    const keys = initiation.handshake.split();
    const session = this.establish(initiation.local, remote, from, peerKey, keys.send, keys.receive, now);
    session.finish = finishing;
    return session;
  }

  private onFinish(data: Buffer, from: Address, now: number): void {
    if (data.length !== 1 + INDEX_BYTES + XX_MESSAGE3_BYTES) return;
    const half = this.halfOpen.get(data.readUInt32BE(1));
    if (!half || !sameAddress(half.address, from)) return;
    const read = half.handshake.readMessage3(data.subarray(1 + INDEX_BYTES));
    if (!read) return;
    this.halfOpen.delete(half.local);
    this.repliesByHello.delete(half.helloKey);
    const peerKey = read.remoteStatic.toString('base64url');
    if (!this.options.policy.accepts(from, peerKey, false)) {
      // The policy tells whoever must know (a client's user); the log says it happened.
      this.options.logger.warn('refused a peer\'s static key', { peer: formatAddress(from) });
      return;
    }
    const keys = half.handshake.split();
    this.establish(half.local, half.remote, from, peerKey, keys.send, keys.receive, now);
  }

  private onData(data: Buffer, from: Address): Unwrapped | undefined {
    if (data.length < LINK_OVERHEAD_BYTES) return undefined;
    const session = this.sessions.get(data.readUInt32BE(1));
    if (!session || !sameAddress(session.address, from)) return undefined;
    const counter = data.readBigUInt64BE(1 + INDEX_BYTES);
    if (!session.window.check(counter)) return undefined;
    const frame = session.receiver.open(counter, data.subarray(0, DATA_HEADER_BYTES), data.subarray(DATA_HEADER_BYTES));
    if (!frame) return undefined;
    // Marked only once it authenticates: a forged counter must not block the real datagram.
    session.window.mark(counter);
    session.waitingSinceMs = undefined;
    session.finish = undefined;
    if (session.retiredAtMs !== undefined) this.restore(session);
    return { frame, peerKey: session.peerKey };
  }

  private seal(session: Session, frame: Buffer): Buffer {
    const counter = session.counter;
    session.counter += 1n;
    const header = dataHeader(session.remote, counter);
    return Buffer.concat([header, session.sender.seal(counter, header, frame)]);
  }

  private establish(local: number, remote: number, address: Address, peerKey: string, send: Buffer, receive: Buffer, now: number): Session {
    const session: Session = {
      local,
      remote,
      address,
      peerKey,
      sender: new TransportCipher(send, undefined, this.aead()),
      receiver: new TransportCipher(receive, undefined, this.aead()),
      window: new ReplayWindow(),
      counter: 0n,
      waitingSinceMs: undefined,
      finish: undefined,
      retiredAtMs: undefined,
    };
    const key = addressKey(address);
    const previous = this.current.get(key);
    if (previous) this.retire(previous, now);
    this.current.set(key, session);
    this.sessions.set(local, session);
    this.prune(now);
    return session;
  }

  /**
   * A session given up for silence whose peer spoke on it after all (it was only slow, or the
   * network was cut for a while) is used again, unless a newer one replaced it, and the
   * handshake begun meanwhile is dropped with what it held: the senders of those frames
   * retransmit them, and a stale push flushed now would overtake the answers due first.
   */
  private restore(session: Session): void {
    const key = addressKey(session.address);
    if (this.current.has(key)) return;
    session.retiredAtMs = undefined;
    this.current.set(key, session);
    const initiation = this.initiations.get(key);
    if (initiation) this.dropInitiation(initiation);
  }

  /** No longer used to send; still opens what was in flight for RETIRED_GRACE_MS. */
  private retire(session: Session, now: number): void {
    const key = addressKey(session.address);
    if (this.current.get(key) === session) this.current.delete(key);
    if (session.retiredAtMs !== undefined) return;
    session.retiredAtMs = now;
    this.retired.push(session);
  }

  private prune(now: number): void {
    // A restored session (its retiredAtMs cleared) leaves the queue without being deleted.
    while (this.retired.length > 0 && !(now - (this.retired[0]!.retiredAtMs ?? Number.NEGATIVE_INFINITY) <= RETIRED_GRACE_MS)) {
      const session = this.retired.shift()!;
      if (session.retiredAtMs !== undefined) this.sessions.delete(session.local);
    }
    while (this.sessions.size > SESSIONS_MAX) {
      const oldest = this.sessions.values().next().value!;
      this.sessions.delete(oldest.local);
      const key = addressKey(oldest.address);
      if (this.current.get(key) === oldest) this.current.delete(key);
    }
  }

  private pruneHalfOpen(now: number): void {
    for (const half of this.halfOpen.values()) {
      if (this.halfOpen.size <= HALF_OPEN_MAX && now - half.createdMs <= HANDSHAKE_EXPIRES_MS) break;
      this.halfOpen.delete(half.local);
      this.repliesByHello.delete(half.helloKey);
    }
  }

  private dropInitiation(initiation: Initiation): void {
    const key = addressKey(initiation.address);
    if (this.initiations.get(key) === initiation) this.initiations.delete(key);
    this.initiationsByIndex.delete(initiation.local);
  }

  private newIndex(): number {
    for (;;) {
      const index = randomBytes(4).readUInt32BE(0);
      if (!this.sessions.has(index) && !this.halfOpen.has(index) && !this.initiationsByIndex.has(index)) return index;
    }
  }
}
