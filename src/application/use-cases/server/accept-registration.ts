import { inject, injectable, optional } from 'inversify';
import { sameAddress, type Address } from '../../../domain/address';
import { parseNickname } from '../../../domain/nickname';
import { ClusterSync } from '../../server/cluster-sync';
import { LivenessProbe } from '../../server/liveness-probe';
import { PENDING_REGISTRATION_MS, PendingRegistrations } from '../../server/pending-registrations';
import { ServerState, type ClientRecord } from '../../server/server-state';
import { Clock } from '../../ports/clock';
import { Crypto } from '../../ports/crypto';
import type { Inbound } from '../../ports/transport';
import { REGISTER_MIN_BYTES, type MessageOf, type RefusalReason, type Reply } from '../../protocol/envelope';
import { ChatSettings } from '../../settings';
import { MarkOffline } from './mark-offline';

/**
 * A `register` request: checks the name, that nobody else holds it (an online holder is
 * probed; an offline one must be matched by the name's secret), that no other live session
 * holds the address it comes from (one address, one session: an online holder there is probed
 * and, if gone, marked offline first), and answers with a session token. The name goes online
 * only when `ConfirmRegistration` proves the address. A name is pinned to the public key of its
 * first registration: its owner coming back with another key is refused (`key-changed`).
 * Returns `undefined` for a request to drop unanswered.
 */
@injectable()
export class AcceptRegistration {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(PendingRegistrations) private readonly pending: PendingRegistrations,
    @inject(LivenessProbe) private readonly probe: LivenessProbe,
    @inject(MarkOffline) private readonly markOffline: MarkOffline,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(Clock) private readonly clock: Clock,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(ClusterSync) @optional() private readonly cluster?: ClusterSync,
  ) {}

  async execute({ message, from, bytes, peerKey }: Inbound & { message: MessageOf<'register'> }): Promise<Reply | undefined> {
    // An unpadded registration could make the server an amplifier: drop it unanswered.
    if (bytes < REGISTER_MIN_BYTES) return undefined;
    // Through a secure session, the key a registration claims is the key its handshake proved.
    if (peerKey !== undefined && message.key !== peerKey) return undefined;
    // Who owns a name: through a secure session, whoever proved the name's pinned key (the
    // handshake answered a fresh challenge with it); else, or for a name from before keys, its secret.
    const owns = (record: ClientRecord): boolean =>
      peerKey !== undefined && record.key !== undefined ? record.key === peerKey : this.crypto.matches(message.secret, record.proof);
    // The live session itself, moving (to this instance through another of its host's addresses,
    // say): only it holds its token. The old address needs no probe, which the mover would answer.
    const sameSession = (record: ClientRecord): boolean => message.session !== undefined && record.token !== '' && record.token === message.session;
    const refuse = (reason: RefusalReason): Reply => ({ t: 'refused', re: message.id, reason });
    const name = parseNickname(message.name);
    if (!name.ok) return refuse('invalid-name');
    const key = name.value.key;
    const known = this.state.records.get(key);
    // Checked first, so a refused owner never takes an old session offline on the way.
    if (known?.key !== undefined && known.key !== message.key && this.crypto.matches(message.secret, known.proof)) return refuse('key-changed');
    const claim = await this.claimName(key, owns, from, sameSession);
    if (claim !== 'ok') return refuse(claim);
    if (!(await this.freeAddress(from, key, peerKey))) return refuse('address-in-use');
    // One of several instances: a name new here may be registering on another instance right
    // now; the shared table holds it for one owner only.
    if (this.cluster && !this.state.records.has(key) && !(await this.cluster.reserveName(key, this.crypto.proofOf(message.secret)))) {
      return refuse('name-in-use');
    }
    const now = this.clock.monotonicMs();
    // Read again: the probes above let other requests run.
    let record = this.state.records.get(key);
    const row = this.state.table.get(key);
    if (record && !owns(record)) return refuse('name-in-use');
    if (record?.key !== undefined && record.key !== message.key) return refuse('key-changed');
    if (record) {
      // A name registered before keys existed takes the first key it comes back with.
      record.key ??= message.key;
      this.state.moveTo(key, record, from);
      record.ended = false;
      record.validated = false;
      record.pendingSinceMs = now;
    } else {
      // Expired unconfirmed registrations do not count: sweep them before refusing.
      if (this.state.records.size >= this.settings.maxClients) this.pending.sweep();
      if (this.state.records.size >= this.settings.maxClients) return refuse('server-full');
      record = { name: name.value.display, proof: this.crypto.proofOf(message.secret), key: message.key, token: '', address: from, validated: false, knownVersion: 0, pendingSinceMs: now };
      this.state.add(key, record);
    }
    this.state.assignToken(key, record, this.crypto.secretToken());
    // An instance of several tells the client where the others are, to move to if this one stops.
    const servers = this.cluster?.servers();
    return { t: 'welcome', re: message.id, name: row?.name ?? name.value.display, token: record.token, ...(servers && servers.length > 0 ? { servers } : {}) };
  }

  /**
   * Whether the requester may have the name. Its owner (`owns`) may always come
   * back, after the old session, if online elsewhere, fails a probe; the old session itself
   * (`sameSession`, its owner holding its token) moves without one, and stays online meanwhile.
   * Anyone else is refused: `name-in-use` only while a session holds it (online and answering,
   * or being registered now), else `name-owned`, so the refusal line is true.
   */
  private async claimName(key: string, owns: (record: ClientRecord) => boolean, from: Address, sameSession: (record: ClientRecord) => boolean): Promise<'ok' | 'name-in-use' | 'name-owned'> {
    let record = this.state.records.get(key);
    if (record && !this.state.table.get(key) && !this.stillPending(record)) {
      this.state.drop(key);
      record = undefined;
    }
    if (!record) return 'ok';
    const owner = owns(record);
    const online = this.state.table.get(key)?.online === true;
    if (online && !sameAddress(record.address, from)) {
      if (owner && sameSession(record)) return 'ok';
      const target = this.state.reach(key);
      if (await this.probe.isAlive(target)) return 'name-in-use';
      // Only the owner's return takes the old session offline: a stranger's attempt must not be
      // a way to knock a client offline whose probe was merely lost.
      if (!owner) return 'name-owned';
      // The old process is gone (it did not answer): no point telling it.
      if (target) await this.markOffline.execute(key, target.token, 'replaced');
    }
    if (owner) return 'ok';
    if (!online && this.stillPending(record) && !sameAddress(record.address, from)) return 'name-in-use';
    return 'name-owned';
  }

  /**
   * One address, one live session: another name online at `from` is probed, and marked offline
   * if it does not answer, before this registration takes the address (the table then says so,
   * and its stored messages and direct messages are not handed to whoever is there now). A name
   * only registering from there (never confirmed) gives way. False if a live session answers.
   *
   * Through a secure session the probe is skipped when the holder's key is not the one the
   * requester's handshake proved: that handshake received at `from`, and one address is one
   * socket, so the holder's process is no longer there (a client restarted under another name on
   * its old port). The probe would only reach the requester, in its own session, and wait out
   * 500 ms unanswered.
   */
  private async freeAddress(from: Address, key: string, peerKey: string | undefined): Promise<boolean> {
    for (const other of this.state.othersAt(from, key)) {
      const record = this.state.records.get(other);
      if (!record) continue;
      const row = this.state.table.get(other);
      if (row?.online && sameAddress({ ip: row.ip, port: row.port }, from)) {
        const target = this.state.reach(other);
        const gone = peerKey !== undefined && record.key !== undefined && record.key !== peerKey;
        if (target && !gone && (await this.probe.isAlive(target))) return false;
        if (target) await this.markOffline.execute(other, target.token, 'replaced');
      } else if (this.stillPending(record)) {
        // Unconfirmed, it never proved it receives here: its welcome token stops working.
        record.pendingSinceMs = undefined;
        this.state.assignToken(other, record, '');
        if (!row) this.state.drop(other);
      }
    }
    return true;
  }

  private stillPending(record: ClientRecord): boolean {
    return record.pendingSinceMs !== undefined && this.clock.monotonicMs() - record.pendingSinceMs < PENDING_REGISTRATION_MS;
  }
}
