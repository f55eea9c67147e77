import { nameKey } from '../../domain/nickname';
import type { RegistryRecord, RegistryStore } from '../../application/ports/registry-store';

/** The registry in memory; survives a server "restart" in a test when the same instance is reused. */
export class InMemoryRegistryStore implements RegistryStore {
  private readonly records = new Map<string, RegistryRecord>();
  private opened = false;

  async open(): Promise<void> {
    if (this.opened) throw new Error('registry already in use by another server');
    this.opened = true;
  }

  async load(): Promise<RegistryRecord[]> {
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  async save(record: RegistryRecord): Promise<void> {
    this.records.set(nameKey(record.name), { ...record });
  }

  async close(): Promise<void> {
    this.opened = false;
  }
}
