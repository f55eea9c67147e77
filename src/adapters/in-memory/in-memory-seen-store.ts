import { SEEN_KEYS_KEPT, type SeenStore } from '../../application/ports/seen-store';

/** Shown-message keys in memory (share one instance between two clients to model "same user, new process"). */
export class InMemorySeenStore implements SeenStore {
  /** Per name, the keys in the order they were (last) added; a Map keeps insertion order. */
  private readonly names = new Map<string, Map<string, true>>();

  constructor(private readonly kept = SEEN_KEYS_KEPT) {}

  async load(nameKey: string): Promise<string[]> {
    return [...(this.names.get(nameKey)?.keys() ?? [])];
  }

  async add(nameKey: string, key: string): Promise<void> {
    this.addNow(nameKey, key);
  }

  addNow(nameKey: string, key: string): boolean {
    let keys = this.names.get(nameKey);
    if (!keys) {
      keys = new Map();
      this.names.set(nameKey, keys);
    }
    keys.delete(key);
    keys.set(key, true);
    if (keys.size > this.kept) keys.delete(keys.keys().next().value as string);
    return true;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
