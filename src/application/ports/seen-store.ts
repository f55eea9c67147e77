import type { ServiceIdentifier } from 'inversify';

/** Keys remembered per name: enough to cover any mailbox a returning client can be handed. */
export const SEEN_KEYS_KEPT = 10_000;

/**
 * The messages a client has already shown, kept per name in its data directory, so a new
 * process of the same user (another port, after a crash or an exit) does not show again a
 * message whose ACK never reached its sender or the server and which the server therefore
 * stored and delivers again. Keys are the client's own dedup keys (`sender|id`).
 */
export interface SeenStore {
  /**
   * Keys recently shown by `nameKey`'s client, oldest first, each once, at most
   * `SEEN_KEYS_KEPT` (the most recent ones). Empty for a name never seen.
   */
  load(nameKey: string): Promise<string[]>;
  /**
   * Remember that `key` was shown by `nameKey`'s client. Resolves once the key is written and
   * synced (concurrent adds share one fsync), so the client ACKs a message only after this: a
   * process killed, or a machine losing power, after the ACK still knows the key. Rejects if
   * the write failed. Only the most recent `SEEN_KEYS_KEPT` are kept.
   */
  add(nameKey: string, key: string): Promise<void>;
  /** Wait for every key added so far to be written and synced, then release files. */
  close(): Promise<void>;
}

export const SeenStore: ServiceIdentifier<SeenStore> = Symbol('SeenStore');
