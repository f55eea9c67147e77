import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';

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
async function retryStore<T>(write: () => Promise<T>, clock: Clock, stopping: () => boolean): Promise<T> {
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

/** What storeOrGiveUp needs besides the write: the time, whether the server stops, and where to say it gave up. */
export interface GiveUpOptions {
  readonly clock: Clock;
  readonly stopping: () => boolean;
  readonly logger: Logger;
  /** The error line logged when it gives up, with `fields` and the error. */
  readonly giveUp: string;
  readonly fields: Record<string, unknown>;
}

/**
 * retryStore, then, if the write still fails, undefined (logged): the request is answered
 * `failed`, said rather than left to silence, or the sender would retry into the same failure
 * and then take the server for gone. While the server stops, the failure is thrown instead:
 * the stores close under it, and left unanswered the client moves or retries.
 */
export async function storeOrGiveUp<T>(write: () => Promise<T>, options: GiveUpOptions): Promise<T | undefined> {
  try {
    return await retryStore(write, options.clock, options.stopping);
  } catch (error) {
    if (options.stopping()) throw error;
    options.logger.error(options.giveUp, { ...options.fields, error: String(error) });
    return undefined;
  }
}
