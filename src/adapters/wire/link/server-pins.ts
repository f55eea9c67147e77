import { addressKey, type Address } from '../../../domain/address';

/** A client's pins of server keys, per server address (like SSH's known_hosts). */
export interface ServerPins {
  /** The key pinned for `server` (base64url), if any. */
  pinned(server: Address): string | undefined;
  /** Pin `key` for `server`, replacing any earlier pin; kept across restarts where the store is durable. */
  pin(server: Address, key: string): void;
}

/** Pins held in memory (scenario tests; a client without a data directory). */
export class InMemoryServerPins implements ServerPins {
  private readonly pins = new Map<string, string>();

  pinned(server: Address): string | undefined {
    return this.pins.get(addressKey(server));
  }

  pin(server: Address, key: string): void {
    this.pins.set(addressKey(server), key);
  }
}
