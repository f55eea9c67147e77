import type { ChatEvent } from '../../application/ports/chat-view';
import { terminalSafe } from './terminal-safe';

/** The local time a stored message was stored, as SPEC §2 shows it: YYYY-MM-DD HH:MM:SS. */
export function formatStoredAt(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The exact console line of SPEC §2 for an event; names and texts are made terminal-safe. */
export function renderLine(event: ChatEvent): string {
  const s = terminalSafe;
  switch (event.kind) {
    case 'registered':
      return '>>> [Welcome, You are registered.]';
    case 'table-updated':
      return '>>> [Client table updated.]';
    case 'direct-received':
      return `>>> ${s(event.from)}: ${s(event.text)}`;
    case 'direct-acked':
      return `>>> [Message received by ${s(event.to)}.]`;
    case 'direct-no-ack':
      return `>>> [No ACK from ${s(event.to)}, message sent to server.]`;
    case 'saved-by-server':
      return '>>> [Messages received by the server and saved]';
    case 'client-exists':
      return `>>> [Client ${s(event.name)} exists!!]`;
    case 'offline':
      return '>>> [You are Offline. Bye.]';
    case 'server-not-responding':
      return '>>> [Server not responding]';
    case 'exiting':
      return '>>> [Exiting]';
    case 'have-messages':
      return '>>> [You have messages]';
    case 'stored-received':
      return event.storedKind === 'channel'
        ? `>>> Channel_Message ${s(event.from)}: ${formatStoredAt(event.atMs)} ${s(event.text)}`
        : `>>> ${s(event.from)}: ${formatStoredAt(event.atMs)} ${s(event.text)}`;
    case 'not-kept':
      return `>>> [${event.count} messages could not be kept for you while you were away.]`;
    case 'channel-acked':
      return '>>> [Message received by Server.]';
    case 'channel-not-responding':
      return '>>> [Server not responding.]';
    case 'channel-received':
      return `>>> [Channel_Message ${s(event.from)}: ${s(event.text)}]`;
    case 'server-listening':
      return `>>> [Server listening on ${event.addresses.join(', ')}]`;
    case 'server-switched':
      return `>>> [Server ${s(event.from)} ${event.stopped ? 'stopped' : 'not responding'}; now using ${s(event.to)}.]`;
    case 'error':
      // Closed with a full stop, unless it already ends a sentence (`did you mean bob?`).
      return `>>> [Error: ${s(event.text)}${/[.?!]$/.test(event.text) ? '' : '.'}]`;
    case 'info':
      return `>>> ${s(event.text)}`;
  }
}
