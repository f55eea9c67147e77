/**
 * The `send`s submitted since the last other command: the next other command runs once they
 * have all settled. Counted, not chained: a promise per `send` (a Promise.all over the queue
 * for each) was a per-message cost on the send path.
 */
export class SendGroup {
  private pending = 0;
  private waiters: Array<() => void> = [];

  add(): void {
    this.pending += 1;
  }

  done(): void {
    this.pending -= 1;
    if (this.pending > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once every `send` added so far has settled. */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
