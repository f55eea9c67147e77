import type { Address } from '../../domain/address';
import type { Clock } from '../../application/ports/clock';
import { MEMBER_TTL_MS, type Member, type Membership, type Takeover } from '../../application/ports/membership';

/** What the instances of one system share when they run in one process (Redis's part). */
export class InMemoryMembers {
  /** Instance id → lease end and address, in join order. */
  readonly members = new Map<string, { endsMs: number; address: Address }>();
  /** Name key → home instance id. */
  readonly homes = new Map<string, string>();
  private ids = 0;

  nextId(): string {
    return `instance-${++this.ids}`;
  }
}

/**
 * Membership in memory. Alone (the default: its own `InMemoryMembers`) it is the single
 * server's adapter: the only member, nobody to take over, never fenced while it heartbeats.
 * Given one `InMemoryMembers`, several instances in one process share it, with leases on
 * the given clock (the one clock of the test, so fake timers drive expiry).
 */
export class InMemoryMembership implements Membership {
  private id: string | undefined;

  constructor(
    private readonly clock: Pick<Clock, 'monotonicMs'>,
    private readonly shared: InMemoryMembers = new InMemoryMembers(),
    private readonly ttlMs: number = MEMBER_TTL_MS,
  ) {}

  async join(address: Address): Promise<string> {
    const id = this.shared.nextId();
    this.shared.members.set(id, { endsMs: this.clock.monotonicMs() + this.ttlMs, address: { ...address } });
    this.id = id;
    return id;
  }

  async heartbeat(): Promise<boolean> {
    const member = this.live();
    if (!member) return false;
    member.endsMs = this.clock.monotonicMs() + this.ttlMs;
    return true;
  }

  async peers(): Promise<Member[]> {
    const now = this.clock.monotonicMs();
    return [...this.shared.members].filter(([, m]) => m.endsMs >= now).map(([id, m]) => ({ id, address: { ...m.address } }));
  }

  async home(nameKey: string): Promise<boolean> {
    if (!this.live()) return false;
    this.shared.homes.set(nameKey, this.id!);
    return true;
  }

  async reapDead(): Promise<Takeover[]> {
    if (!this.live()) return [];
    const now = this.clock.monotonicMs();
    const takeovers: Takeover[] = [];
    for (const [instance, member] of [...this.shared.members]) {
      if (instance === this.id || member.endsMs >= now) continue;
      this.shared.members.delete(instance);
      const names = [...this.shared.homes].filter(([, home]) => home === instance).map(([name]) => name);
      for (const name of names) this.shared.homes.set(name, this.id!);
      takeovers.push({ instance, names });
    }
    return takeovers;
  }

  async leave(): Promise<void> {
    const member = this.id === undefined ? undefined : this.shared.members.get(this.id);
    if (member) member.endsMs = -Infinity;
  }

  /** This instance's entry while its lease runs, else undefined (fenced). */
  private live(): { endsMs: number; address: Address } | undefined {
    if (this.id === undefined) throw new Error('membership used before join()');
    const member = this.shared.members.get(this.id);
    return member && member.endsMs >= this.clock.monotonicMs() ? member : undefined;
  }
}
