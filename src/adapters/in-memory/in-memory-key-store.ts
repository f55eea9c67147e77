import type { IdentityKeys, KeyStore } from '../../application/ports/key-store';

/** Identity keys in memory (share one instance between two clients to model "same user, new process"). */
export class InMemoryKeyStore implements KeyStore {
  private readonly keys = new Map<string, IdentityKeys>();
  private readonly pins = new Map<string, Map<string, string>>();

  async keysFor(nameKey: string, create: () => IdentityKeys): Promise<IdentityKeys> {
    let keys = this.keys.get(nameKey);
    if (keys === undefined) {
      keys = create();
      this.keys.set(nameKey, keys);
    }
    return keys;
  }

  async peerPins(nameKey: string): Promise<Map<string, string>> {
    return new Map(this.pins.get(nameKey));
  }

  async savePeerPins(nameKey: string, pins: ReadonlyMap<string, string>): Promise<void> {
    this.pins.set(nameKey, new Map(pins));
  }
}
