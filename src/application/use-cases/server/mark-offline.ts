import { inject, injectable } from 'inversify';
import { RegistrySync } from '../../server/registry-sync';
import { ServerState } from '../../server/server-state';
import { TableBroadcaster } from '../../server/table-broadcaster';

/** Why a client goes offline: it said so, or it stopped answering a probe or a push. */
export type OfflineReason = 'dereg' | 'unresponsive';

/**
 * Mark a client offline, persist it and tell the others. A client marked offline for not
 * answering is told too: on a lossy network it may be alive, and seeing itself offline it
 * confirms its session again and gets what was stored for it meanwhile.
 */
@injectable()
export class MarkOffline {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(RegistrySync) private readonly registry: RegistrySync,
    @inject(TableBroadcaster) private readonly broadcaster: TableBroadcaster,
  ) {}

  async execute(name: string, reason: OfflineReason = 'unresponsive'): Promise<void> {
    // A probe cut short by shutdown says nothing about the client: never record it offline.
    if (this.state.stopping || !this.state.table.setOnline(name, false)) return;
    await this.registry.persist(name);
    if (reason === 'unresponsive') this.broadcaster.alsoNotify(name);
    this.broadcaster.changed();
  }
}
