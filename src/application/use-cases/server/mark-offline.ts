import { inject, injectable } from 'inversify';
import { nameKey } from '../../../domain/nickname';
import { ServerState } from '../../server/server-state';
import { TableBroadcaster } from '../../server/table-broadcaster';
import { TableJournal } from '../../server/table-journal';

/**
 * Why a client goes offline: it said so; it stopped answering a probe or a push; or its
 * address was taken by another name after it stopped answering (nobody there to tell).
 */
export type OfflineReason = 'dereg' | 'unresponsive' | 'replaced';

/**
 * Mark a client's session offline, persist it and tell the others. The mark applies to the
 * session that failed (its token), never to the name: a probe or push started for an old
 * process must not take a newer session of the same name offline. A client marked offline
 * for not answering is told too: on a lossy network it may be alive, and seeing itself
 * offline it confirms its session again and gets what was stored for it meanwhile.
 */
@injectable()
export class MarkOffline {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(TableJournal) private readonly journal: TableJournal,
    @inject(TableBroadcaster) private readonly broadcaster: TableBroadcaster,
  ) {}

  /** Resolves true if `token`'s session was online and is now durably offline. */
  async execute(name: string, token: string, reason: OfflineReason = 'unresponsive'): Promise<boolean> {
    // A probe cut short by shutdown says nothing about the client: never record it offline.
    if (this.state.stopping || !this.state.isSession(nameKey(name), token)) return false;
    if (!(await this.journal.setOnline(name, false))) return false;
    if (reason === 'unresponsive') {
      this.broadcaster.alsoNotify(name);
      this.broadcaster.changed();
    }
    return true;
  }
}
