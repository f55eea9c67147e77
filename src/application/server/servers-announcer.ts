import { inject, injectable } from 'inversify';
import { Crypto } from '../ports/crypto';
import { ReliableSender } from '../reliable-sender';
import { ChatSettings } from '../settings';
import { BackgroundTasks } from './background-tasks';
import { ServerState } from './server-state';

/**
 * Tells the clients homed on this instance the live instances of its system when they change
 * (a `servers` push), so a client whose instance stops knows where to go, whichever instances
 * joined since its welcome.
 */
@injectable()
export class ServersAnnouncer {
  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(ReliableSender) private readonly sender: ReliableSender,
    @inject(Crypto) private readonly crypto: Crypto,
    @inject(ChatSettings) private readonly settings: ChatSettings,
    @inject(BackgroundTasks) private readonly tasks: BackgroundTasks,
  ) {}

  announce(servers: readonly string[]): void {
    if (servers.length === 0) return;
    for (const [key, record] of this.state.records) {
      if (!record.validated || record.token === '' || !this.state.table.get(key)?.online) continue;
      const target = this.state.reach(key);
      if (!target) continue;
      const message = { t: 'servers' as const, id: this.crypto.messageId(), token: target.token, servers: [...servers] };
      // A client that misses it still has the list of its welcome; nothing else depends on the answer.
      this.tasks.run('telling a client the live instances', () => this.sender.request(target.address, message, this.settings.policies.push));
    }
  }
}
