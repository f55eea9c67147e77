import type { Clock } from '../ports/clock';

/**
 * How long a store write that fails is tried again before the request is answered `failed`:
 * inside the client's 2.5 s of retransmissions, so the answer reaches it before it gives up,
 * and long enough for a brief outage (a Redis restart, a reconnect) to pass unnoticed.
 */
export const STORE_RETRY_WINDOW_MS = 1_500;
/** The pause between two tries. */
export const STORE_RETRY_GAP_MS = 250;

/**
 * Run `write` (idempotent: the stores dedup by message id), trying again every
 * STORE_RETRY_GAP_MS while it fails, for up to STORE_RETRY_WINDOW_MS; then its last failure is
 * thrown. Meanwhile the request stays pending at the server, so the client's retransmissions
 * wait for this answer instead of starting writes of their own. `stopping` ends the tries early.
 */
export async function retryStore<T>(write: () => Promise<T>, clock: Clock, stopping: () => boolean): Promise<T> {
  const until = clock.monotonicMs() + STORE_RETRY_WINDOW_MS;
  for (;;) {
    try {
      return await write();
    } catch (error) {
      if (stopping() || clock.monotonicMs() + STORE_RETRY_GAP_MS > until) throw error;
    }
    await new Promise<void>((resolve) => clock.setTimer(STORE_RETRY_GAP_MS, resolve));
  }
}
