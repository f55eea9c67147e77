import { isReservedName } from '../../domain/nickname';
import type { SendRefusal } from '../ports/transport';
import type { RefusalReason } from '../protocol/envelope';

/** The wording of the client's error lines: what happened and what to do, in the user's terms. */

/** How much of a typed word an error line repeats. */
const ECHO_MAX_CHARS = 40;

/** A user-typed word as an error line repeats it: never the whole of a pasted line. */
export function clip(word: string): string {
  return word.length > ECHO_MAX_CHARS ? `${word.slice(0, ECHO_MAX_CHARS)}…` : word;
}

/** What the transport refused, in the words of an error line. */
export function refusalDetail(refusal: SendRefusal): string {
  switch (refusal.reason) {
    case 'oversize':
      return `it would be ${refusal.bytes} bytes, over the ${refusal.limitBytes}-byte datagram limit`;
    case 'closed':
      return 'the network socket is closed';
    case 'failed':
      return refusal.detail;
  }
}

/** "the mailbox of carol is", "the mailboxes of carol and dave are", "… carol, dave and 3 others are". */
export function fullMailboxes(names: readonly string[], count: number): string {
  if (count === 1 && names.length === 1) return `the mailbox of ${names[0]} is`;
  const others = count - names.length;
  const listed = others > 0 ? [...names, `${others} other${others === 1 ? '' : 's'}`] : [...names];
  const text = listed.length === 1 ? listed[0]! : `${listed.slice(0, -1).join(', ')} and ${listed.at(-1)!}`;
  return `the mailboxes of ${text} are`;
}

/** Why the server refused our registration, and what to do. */
export function refusalText(reason: RefusalReason, name: string): string {
  switch (reason) {
    case 'name-in-use':
      return `the name ${name} is in use by an online client; choose another name`;
    case 'name-owned':
      return `the name ${name} belongs to another client; choose another name`;
    case 'invalid-name':
      return isReservedName(name) ? `the name ${name} is reserved for the server; choose another name` : `${name} is not a valid name; names are 1-32 letters, digits, _ or -`;
    case 'server-full':
      return 'the server has reached its maximum number of clients; try again later';
    case 'address-in-use':
      return 'another online client is registered from this client port; choose another client port';
    case 'key-changed':
      return `the server knows the name ${name} by another key; use the key file this name was registered with (copy it into this data directory), or choose another name`;
  }
}
