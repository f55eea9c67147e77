import { inject, injectable } from 'inversify';
import { Clock, type TimerHandle } from '../ports/clock';
import { ServerState } from './server-state';

/** How long an accepted but unconfirmed registration holds its name. */
export const PENDING_REGISTRATION_MS = 10_000;

/**
 * Forgets registrations that were never confirmed. A registration from a forged address is
 * never confirmed (the welcome went to the victim), so without this such names would hold
 * records, and count against the client limit, for ever.
 */
@injectable()
export class PendingRegistrations {
  private timer: TimerHandle | undefined;

  constructor(
    @inject(ServerState) private readonly state: ServerState,
    @inject(Clock) private readonly clock: Clock,
  ) {}

  start(): void {
    this.timer = this.clock.setTimer(PENDING_REGISTRATION_MS, () => {
      this.sweep();
      this.start();
    });
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** Drop every record that has no table row and whose registration has expired; returns how many. */
  sweep(): number {
    const now = this.clock.monotonicMs();
    let dropped = 0;
    for (const [key, record] of [...this.state.records]) {
      if (this.state.table.get(key)) continue;
      if (record.pendingSinceMs !== undefined && now - record.pendingSinceMs < PENDING_REGISTRATION_MS) continue;
      this.state.drop(key);
      dropped += 1;
    }
    return dropped;
  }
}
