import { InvalidNameError } from './domain-error';
import { err, ok, type Result } from './result';

/** Longest name a client may register (SPEC §5). */
export const NAME_MAX_LENGTH = 32;

const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Names no client may hold, by key. `Server` is who the channel's ACK line names
 * (`[Message received by Server.]`): a client called that would make a direct ACK read as the
 * channel's.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['server']);

/**
 * A validated client name. Identity is case-insensitive: `key` is what tables, mailboxes
 * and dedup use; `display` keeps the spelling the owner registered with.
 */
export interface Nickname {
  readonly display: string;
  readonly key: string;
}

export function parseNickname(raw: string): Result<Nickname, InvalidNameError> {
  if (raw.length === 0 || raw.length > NAME_MAX_LENGTH || !NAME_PATTERN.test(raw)) {
    return err(
      new InvalidNameError(`names are 1-${NAME_MAX_LENGTH} letters, digits, _ or -`),
    );
  }
  if (isReservedName(raw)) return err(new InvalidNameError(`${raw} is reserved for the server; choose another name`));
  return ok({ display: raw, key: nameKey(raw) });
}

/** The identity key of a name (callers must have validated it). */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

export function isValidName(raw: string): boolean {
  return parseNickname(raw).ok;
}

/** True for a name kept for the system itself (any case), never given to a client. */
export function isReservedName(raw: string): boolean {
  return RESERVED_KEYS.has(nameKey(raw));
}
