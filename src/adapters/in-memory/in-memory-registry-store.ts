import { nameKey } from '../../domain/nickname';
import type { RegistryRecord, RegistryStore } from '../../application/ports/registry-store';
import { StoreClosedError } from '../../application/ports/store-closed-error';

/** The registry in memory; survives a server "restart" in a test when the same instance is reused. */
export class InMemoryRegistryStore implements RegistryStore {
  private readonly records = new Map<string, RegistryRecord>();
  private highest = 0;
  private opened = false;
  /** Closed since the last open: calls reject as they would on a file store. */
  private closed = false;

  async open(): Promise<void> {
    if (this.opened) throw new Error('registry already in use by another server');
    this.opened = true;
    this.closed = false;
  }

  async load(): Promise<RegistryRecord[]> {
    this.assertNotClosed();
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  async highestVersion(): Promise<number> {
    this.assertNotClosed();
    return this.highest;
  }

  async save(record: RegistryRecord): Promise<void> {
    this.assertNotClosed();
    this.records.set(nameKey(record.name), { ...record });
    this.highest = Math.max(this.highest, record.version);
  }

  async reserveVersion(version: number): Promise<void> {
    if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`not a table version: ${version}`);
    this.assertNotClosed();
    this.highest = Math.max(this.highest, version);
  }

  async close(): Promise<void> {
    if (this.opened) this.closed = true;
    this.opened = false;
  }

  private assertNotClosed(): void {
    if (this.closed) throw new StoreClosedError('registry store');
  }
}
