import { inject, injectable } from 'inversify';
import { Logger } from '../ports/logger';

/**
 * Work the server starts without awaiting it (deliveries, channel pushes, probes, recovery,
 * request handlers). Every such promise goes through `run`, so none can end the process with
 * an unhandled rejection, and `drain` lets `stop()` wait for them before it closes the stores
 * (a delivery touching a closed store used to end the process and leave its lock behind).
 */
@injectable()
export class BackgroundTasks {
  private readonly running = new Set<Promise<unknown>>();

  constructor(@inject(Logger) private readonly logger: Logger) {}

  /** Start `task` now; a failure is logged with `what`, never thrown. */
  run(what: string, task: () => Promise<unknown>): void {
    const promise = Promise.resolve()
      .then(task)
      .catch((error: unknown) => this.logger.error(`${what} failed`, { error: String(error) }))
      .finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves when every task started so far, and every task they started, has ended. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
