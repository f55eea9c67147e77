import { StoreClosedError } from '../../application/ports/store-closed-error';

/**
 * Tracks a store's calls under way, so `close()` can refuse new calls with `StoreClosedError`
 * and wait for the ones already sent (their replies tell whether they were applied).
 */
export class CallGate {
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly store: string) {}

  get isClosed(): boolean {
    return this.closed;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError(this.store));
    const call = (async () => task())();
    const settled = call.then(() => undefined, () => undefined);
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return call;
  }

  /** Refuse calls from now on and wait for those under way. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
