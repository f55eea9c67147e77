import type { ServiceIdentifier } from 'inversify';
import type { StoredKind } from '../../domain/offline-mailbox';

/**
 * Everything a client or server tells its user. The console adapter renders each event as
 * the exact line of SPEC §2; tests record the events or the rendered lines.
 */
export type ChatEvent =
  | { kind: 'registered' }
  | { kind: 'table-updated' }
  | { kind: 'direct-received'; from: string; text: string }
  | { kind: 'direct-acked'; to: string }
  | { kind: 'direct-no-ack'; to: string }
  | { kind: 'saved-by-server' }
  | { kind: 'client-exists'; name: string }
  | { kind: 'offline' }
  | { kind: 'server-not-responding' }
  | { kind: 'exiting' }
  | { kind: 'have-messages' }
  | { kind: 'stored-received'; from: string; storedKind: StoredKind; atMs: number; text: string }
  | { kind: 'channel-acked' }
  /** Messages for this client the server could not keep while it was away (its mailbox was full). */
  | { kind: 'not-kept'; count: number }
  | { kind: 'channel-not-responding' }
  | { kind: 'channel-received'; from: string; text: string }
  | { kind: 'server-listening'; addresses: string[] }
  /**
   * The client's server instance (`from`, as ip:port) stopped answering, or said it was
   * stopping (`stopped`); it now uses `to` (SPEC §7).
   */
  | { kind: 'server-switched'; from: string; to: string; stopped?: boolean }
  | { kind: 'error'; text: string }
  | { kind: 'info'; text: string };

export interface ChatView {
  show(event: ChatEvent): void;
  /**
   * Resolves once every event shown so far is where the user sees it (a console may gather the
   * lines of one turn of the event loop into one write). Absent: `show` is immediate.
   */
  shown?(): Promise<void>;
  /** True when every event shown so far is already where the user sees it (what `shown` would resolve at once for). */
  allShown?(): boolean;
}

export const ChatView: ServiceIdentifier<ChatView> = Symbol('ChatView');
