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
   * Remember that `key` was shown by `nameKey`'s client. Resolves once the key is written where
   * a new process of this user will find it even if this one is killed right after, so the
   * client ACKs a message only after this. Surviving a power loss needs the fsync that
   * follows on its own (shared by the keys written meanwhile) and that `flush` waits for: a
   * power cut may forget the keys of the last moments, so a message may be shown twice after
   * the restart, never lost. Rejects if the write failed. Only the most recent
   * `SEEN_KEYS_KEPT` are kept.
   */
  add(nameKey: string, key: string): Promise<void>;
  /**
   * `add` done before returning, when the store can write the key at once (nothing of this
   * name is under way): true once it is written as `add` promises, false if it could not start
   * (call `add`). Throws if the write failed. Absent: never at once. A message's ACK then
   * leaves in the same turn as its line, without waiting for a later one.
   */
  addNow?(nameKey: string, key: string): boolean;
  /** Resolves once every key added so far is synced; rejects if an fsync failed since the last flush. */
  flush(): Promise<void>;
  /** Like `flush`, then release files. */
  close(): Promise<void>;
}

export const SeenStore: ServiceIdentifier<SeenStore> = Symbol('SeenStore');
