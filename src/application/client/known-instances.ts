import { addressKey, parseAddress, sameAddress, type Address } from '../../domain/address';

/**
 * The server instances a client knows of, in the order it tries them: the one it was started
 * with, then those given with `--servers`, then those the system announced (`welcome.servers`,
 * the `servers` push). An announced list replaces the one announced before; the start and
 * configured addresses always stay, so a client whose system shrank to instances it cannot
 * reach can still go back to those the user named. One of them is the current instance, the
 * one every request goes to.
 *
 * Pushes are taken from any known instance (with the session token): another instance of the
 * system, or the current one under another of its addresses, may speak for the system.
 * An instance's own entry in a list it sends is known as another address of it (an alias).
 */
export class KnownInstances {
  private readonly given: readonly Address[];
  private announced: readonly Address[] = [];
  private currentAddress: Address;
  /**
   * Pairs of addresses of one instance (key → key, both ways): the address a list came from and
   * the instance's own entry in it, when they differ (a client that reached it at 127.0.0.1
   * while it advertises the host's LAN address). When it stops, neither is tried again.
   */
  private readonly aliases = new Map<string, string>();

  constructor(start: Address, configured: readonly Address[] = []) {
    this.given = [start, ...configured];
    this.currentAddress = start;
  }

  /** The instance requests go to. */
  get current(): Address {
    return this.currentAddress;
  }

  /** Make `address` the current instance (it is added to the announced ones if unknown). */
  use(address: Address): void {
    if (!this.knows(address)) this.announced = [...this.announced, address];
    this.currentAddress = address;
  }

  /**
   * Replace the announced instances with the system's live instances, as it announces them
   * (`ip:port`, `[ip]:port`); an entry that does not parse is skipped (the codec refuses such
   * datagrams already).
   */
  learn(announced: readonly string[], from?: Address): void {
    this.announced = announced.map(parseAddress).filter((a): a is Address => a !== undefined);
    // An instance lists itself first (ClusterSync.servers): that entry is `from` under the
    // address the instance advertises.
    const self = announced.length > 0 ? parseAddress(announced[0]!) : undefined;
    if (from && self && !sameAddress(from, self)) {
      this.aliases.set(addressKey(from), addressKey(self));
      this.aliases.set(addressKey(self), addressKey(from));
    }
  }

  /** Every known instance once, in the order they are tried. */
  all(): Address[] {
    const seen = new Set<string>();
    const list: Address[] = [];
    for (const address of [...this.given, ...this.announced, this.currentAddress]) {
      const key = addressKey(address);
      if (seen.has(key)) continue;
      seen.add(key);
      list.push(address);
    }
    return list;
  }

  /** True for the current instance, under the address requests go to or its other one (see learn). */
  isCurrent(address: Address): boolean {
    return sameAddress(this.currentAddress, address) || this.aliases.get(addressKey(this.currentAddress)) === addressKey(address);
  }

  knows(address: Address): boolean {
    // The link asks this for every datagram sent or received (is the peer a server?), so it
    // walks the lists in place instead of building all()'s deduplicated copy each time.
    if (sameAddress(this.currentAddress, address)) return true;
    for (const known of this.given) if (sameAddress(known, address)) return true;
    for (const known of this.announced) if (sameAddress(known, address)) return true;
    return false;
  }

  /**
   * The instances to try when `failed` stops answering: every other known one, starting with
   * the one after it in the list and wrapping around, so clients spread over the list instead
   * of all crowding onto its first entry.
   */
  alternativesTo(failed: Address): Address[] {
    const list = this.all();
    const at = list.findIndex((known) => sameAddress(known, failed));
    const others = at < 0 ? list : [...list.slice(at + 1), ...list.slice(0, at)];
    // The failed instance under its other address would only fail again (2.5 s more).
    const alias = this.aliases.get(addressKey(failed));
    return alias === undefined ? others : others.filter((known) => addressKey(known) !== alias);
  }
}
