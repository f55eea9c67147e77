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
   * Remember that `key` was shown by `nameKey`'s client. Durable enough rather than durable:
   * keys are written at once and synced in batches, so a process that exits or is killed keeps
   * them, but a power loss may forget the ones added in the last few milliseconds (their
   * messages may then be shown once more). Only the most recent `SEEN_KEYS_KEPT` are kept.
   */
  add(nameKey: string, key: string): Promise<void>;
  /** Wait for every key added so far to be written and synced, then release files. */
  close(): Promise<void>;
}

export const SeenStore: ServiceIdentifier<SeenStore> = Symbol('SeenStore');
