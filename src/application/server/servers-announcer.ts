import { inject, injectable } from 'inversify';
import { Clock, type TimerHandle } from '../ports/clock';
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
    @inject(Clock) private readonly clock: Clock,
  ) {}

  announce(servers: readonly string[]): void {
    // A client that misses it still has the list of its welcome; nothing else depends on the answer.
    for (const push of this.pushes(servers, false)) this.tasks.run('telling a client the live instances', push);
  }

  /**
   * This instance is stopping: tell its clients, with the other live instances (`others`), so
   * they move at once instead of at their next request, after five silent tries. Resolves once
   * every client ACKed, or after `waitMs`: a client that missed it still moves that other way.
   */
  async farewell(others: readonly string[], waitMs: number): Promise<void> {
    const told = this.pushes(others, true).map((push) => push());
    if (told.length === 0) return;
    let timer: TimerHandle | undefined;
    await Promise.race([Promise.all(told), new Promise<void>((resolve) => (timer = this.clock.setTimer(waitMs, resolve)))]);
    if (timer !== undefined) this.clock.clearTimer(timer);
  }

  /** One push of `servers` per online client homed here (none without an instance to list). */
  private pushes(servers: readonly string[], leaving: boolean): Array<() => Promise<unknown>> {
    if (servers.length === 0) return [];
    const pushes: Array<() => Promise<unknown>> = [];
    for (const [key, record] of this.state.records) {
      if (!record.validated || record.token === '' || !this.state.table.get(key)?.online) continue;
      const target = this.state.reach(key);
      if (!target) continue;
      const message = { t: 'servers' as const, id: this.crypto.messageId(), token: target.token, servers: [...servers], ...(leaving ? { leaving } : {}) };
      pushes.push(() => this.sender.request(target.address, message, this.settings.policies.push));
    }
    return pushes;
  }
}
