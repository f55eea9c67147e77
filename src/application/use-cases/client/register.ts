import { inject, injectable } from 'inversify';
import { err, ok, type Result } from '../../../domain/result';
import { ClientSession } from '../../client/client-session';
import { Clock } from '../../ports/clock';
import { Crypto } from '../../ports/crypto';
import { EndToEnd } from '../../ports/end-to-end';
import { KeyStore, type IdentityKeys } from '../../ports/key-store';
import { SecretStore } from '../../ports/secret-store';
import { REGISTER_MIN_BYTES, type RefusalReason } from '../../protocol/envelope';
import type { SendRefusal } from '../../ports/transport';
import { ReliableSender } from '../../reliable-sender';
import { ChatSettings } from '../../settings';

/** Pins are written at most once in this time (see usePins). */
export const PIN_WRITE_SPACING_MS = 1000;

/** What a registration sends: the name's secret and its identity key pair. */
interface Loaded {
  readonly secret: string;
  readonly identity: IdentityKeys;
}

export type RegisterError = { code: 'refused'; reason: RefusalReason } | { code: 'no-response' } | { code: 'not-sent'; refusal: SendRefusal };

/**
 * Registers the client's name with the server, proving ownership with the name's secret
 * from the client's data directory (so the same user may come back from a new process).
 * On success the session holds the server's token; `ConfirmRegistration` completes it.
 * The instances of the system the welcome lists (if the server is one of several) replace
 * those the client learnt before.
 */
@injectable()
export class Register {
  /** The name's secret, its identity and pins loading since prepare(), for the next execute. */
  private prepared: Promise<Loaded> | undefined;

  constructor(
    @inject(ClientSession) private readonly session: ClientSession,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(SecretStore) private readonly secrets: SecretStore,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(KeyStore) private readonly keys: KeyStore,
    @inject(EndToEnd) private readonly e2e: EndToEnd,
    @inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * Begin loading (at a name's first registration, making) what the next execute sends: each is
   * a few file operations and fsyncs, which overlap one another and whatever the caller does
   * meanwhile. A failure is execute's to report, as if it had loaded them itself.
   */
  prepare(): void {
    if (this.prepared) return;
    this.prepared = this.load();
    this.prepared.catch(() => undefined);
  }

  async execute(): Promise<Result<void, RegisterError>> {
    const prepared = this.prepared;
    this.prepared = undefined;
    const { secret, identity } = await (prepared ?? this.load());
    const outcome = await this.sender.exchange(
      this.session.server,
      // The padding makes the request larger than any answer to it, so the server can
      // answer an address that has not proven itself without amplifying.
      {
        t: 'register',
        id: this.crypto.messageId(),
        name: this.session.name,
        secret,
        key: identity.publicKey,
        pad: '.'.repeat(REGISTER_MIN_BYTES),
        // The session this client holds, if any: moving to another instance, it is the same
        // session from maybe another address of this host (see AcceptRegistration).
        ...(this.session.token !== '' ? { session: this.session.token } : {}),
      },
      this.settings.policies.toServer,
    );
    if (outcome.kind === 'refused') return err({ code: 'not-sent', refusal: outcome.refusal });
    if (outcome.kind !== 'reply') return err({ code: 'no-response' });
    const reply = outcome.reply;
    if (reply.t === 'refused') return err({ code: 'refused', reason: reply.reason });
    if (reply.t !== 'welcome') return err({ code: 'no-response' });
    this.session.token = reply.token;
    this.session.firstTablePending = true;
    if (reply.servers) this.session.instances.learn(reply.servers, this.session.server);
    this.session.announcedStored = false;
    this.session.state = 'online';
    return ok(undefined);
  }

  /** The name's secret, and its identity and pins unless the session has them; all read at once. */
  private async load(): Promise<Loaded> {
    const secret = this.secrets.secretFor(this.session.key, () => this.crypto.secretToken());
    const known = this.session.identity;
    const identity = known ? Promise.resolve(known) : this.loadIdentity();
    // The secret's failure is reported first, as when they were read one after the other.
    identity.catch(() => undefined);
    return { secret: await secret, identity: await identity };
  }

  /** The key proves ownership to the server (through the secure session's handshake) and is what peers know the name by. */
  private async loadIdentity(): Promise<IdentityKeys> {
    const pins = this.keys.peerPins(this.session.key);
    pins.catch(() => undefined);
    const identity = await this.keys.keysFor(this.session.key, () => this.e2e.newIdentity());
    this.session.identity = identity;
    this.usePins(await pins);
    return identity;
  }

  /**
   * The keys an earlier process of this user met other names by, so a key changed since then is
   * told too; and how later pins are kept: one write at a time, the latest set written last,
   * and writes at least PIN_WRITE_SPACING_MS apart. During a registration storm every table
   * update brings new names: written on each, pins cost one durable file write per update per
   * client, which on a shared disk slowed everything else; spaced, a crash loses at most the
   * pins of the last second (a missed warning after a restart, never a message).
   */
  private usePins(pins: Map<string, string>): void {
    const { session } = this;
    for (const [name, key] of pins) if (!session.pinnedKeys.has(name)) session.pinnedKeys.set(name, key);
    // At most one write at a time and one waiting; a set is read as its write starts.
    let writing = false;
    let waiting = false;
    let lastStartMs = Number.NEGATIVE_INFINITY;
    const write = (): void => {
      waiting = false;
      writing = true;
      lastStartMs = this.clock.monotonicMs();
      // A pin not kept costs at most a missed warning after a restart, never a message.
      this.keys
        .savePeerPins(session.key, new Map(session.pinnedKeys))
        .catch(() => undefined)
        .finally(() => {
          writing = false;
          if (waiting) schedule();
        })
        .catch(() => undefined);
    };
    const schedule = (): void => {
      this.clock.setTimer(Math.max(0, lastStartMs + PIN_WRITE_SPACING_MS - this.clock.monotonicMs()), write);
    };
    session.savePins = () => {
      if (waiting) return;
      waiting = true;
      if (!writing) schedule();
    };
  }
}
