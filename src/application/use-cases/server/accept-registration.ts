import { inject, injectable } from 'inversify';
import { sameAddress } from '../../../domain/address';
import { parseNickname } from '../../../domain/nickname';
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
 * probed; an offline one must be matched by the name's secret), and answers with a session
 * token. The name goes online only when `ConfirmRegistration` proves the address.
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
  ) {}

  async execute({ message, from, bytes }: Inbound & { message: MessageOf<'register'> }): Promise<Reply | undefined> {
    // An unpadded registration could make the server an amplifier: drop it unanswered.
    if (bytes < REGISTER_MIN_BYTES) return undefined;
    const refuse = (reason: RefusalReason): Reply => ({ t: 'refused', re: message.id, reason });
    const name = parseNickname(message.name);
    if (!name.ok) return refuse('invalid-name');
    const key = name.value.key;
    const now = this.clock.now();
    let record = this.state.records.get(key);
    const row = this.state.table.get(key);
    if (record && !row && !this.stillPending(record, now)) {
      this.state.drop(key);
      record = undefined;
    }
    if (record) {
      const owner = this.crypto.matches(message.secret, record.proof);
      if (!sameAddress(record.address, from) && (row?.online || this.stillPending(record, now))) {
        if (!owner) return refuse('name-in-use');
        if (row?.online && (await this.probe.isAlive(this.state.reach(key)))) return refuse('name-in-use');
        // The old process is gone (it did not answer): no point telling it.
        if (row?.online) await this.markOffline.execute(key, 'dereg');
      }
      if (!owner) return refuse(row?.online ? 'name-in-use' : 'name-owned');
      record.address = from;
      record.validated = false;
      record.pendingSinceMs = now;
    } else {
      // Expired unconfirmed registrations do not count: sweep them before refusing.
      if (this.state.records.size >= this.settings.maxClients) this.pending.sweep();
      if (this.state.records.size >= this.settings.maxClients) return refuse('server-full');
      record = { name: name.value.display, proof: this.crypto.proofOf(message.secret), token: '', address: from, validated: false, knownVersion: 0, pendingSinceMs: now };
      this.state.records.set(key, record);
    }
    this.state.assignToken(key, record, this.crypto.secretToken());
    return { t: 'welcome', re: message.id, name: row?.name ?? name.value.display, token: record.token };
  }

  private stillPending(record: ClientRecord, now: number): boolean {
    return record.pendingSinceMs !== undefined && now - record.pendingSinceMs < PENDING_REGISTRATION_MS;
  }
}
