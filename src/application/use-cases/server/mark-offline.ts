import { inject, injectable } from 'inversify';
import { RegistrySync } from '../../server/registry-sync';
import { ServerState } from '../../server/server-state';
import { TableBroadcaster } from '../../server/table-broadcaster';

/** Mark a client offline (it left, or stopped answering), persist it and tell the others. */
@injectable()
export class MarkOffline {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(RegistrySync) private readonly registry: RegistrySync,
    @inject(TableBroadcaster) private readonly broadcaster: TableBroadcaster,
  ) {}

  async execute(name: string): Promise<void> {
    if (!this.state.table.setOnline(name, false)) return;
    await this.registry.persist(name);
    this.broadcaster.changed();
  }
}
