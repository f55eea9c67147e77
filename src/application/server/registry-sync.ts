import { inject, injectable } from 'inversify';
import { nameKey } from '../../domain/nickname';
import { RegistryStore } from '../ports/registry-store';
import { ServerState } from './server-state';

/** Writes a name's row and record to the registry store; resolves once it is durable. */
@injectable()
export class RegistrySync {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(RegistryStore) private readonly store: RegistryStore,
  ) {}

  async persist(name: string): Promise<void> {
    const row = this.state.table.get(name);
    const record = this.state.records.get(nameKey(name));
    if (!row || !record) return;
    await this.store.save({ ...row, proof: record.proof, token: record.token, version: this.state.table.version });
  }
}
