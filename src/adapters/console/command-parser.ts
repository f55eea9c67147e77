import type { ClientCommand } from '../../application/client/client-command';
import { MESSAGE_MAX_BYTES } from '../../domain/message-text';
import { isReservedName, NAME_MAX_LENGTH } from '../../domain/nickname';

/** Commands the console handles itself, without the network. */
export type LocalCommand = { kind: 'help' } | { kind: 'list' } | { kind: 'whois'; name: string } | { kind: 'quit' };

export type ParsedLine =
  | { kind: 'command'; command: ClientCommand }
  | { kind: 'local'; command: LocalCommand }
  | { kind: 'empty' }
  | { kind: 'error'; text: string };

/** Every command the client understands, with its usage, for `help` and completion. */
export const COMMANDS: ReadonlyArray<{ name: string; usage: string; help: string }> = [
  { name: 'send', usage: 'send <name> <message>', help: 'send a message straight to a client' },
  { name: 'send_all', usage: 'send_all <message>', help: 'send a message to everyone in the channel' },
  { name: 'dereg', usage: 'dereg <your name>', help: 'go offline (the server keeps your messages)' },
  { name: 'reg', usage: 'reg <your name>', help: 'come back online and get your stored messages' },
  { name: 'list', usage: 'list', help: 'show the client table' },
  { name: 'whois', usage: 'whois <name>', help: "show a client's key fingerprint, to compare with them" },
  { name: 'help', usage: 'help', help: 'show this list' },
  { name: 'quit', usage: 'quit', help: 'leave quietly (like Ctrl-C)' },
];

/**
 * Longest line the console takes, in UTF-16 units: the longest command (`send`, a name and a
 * message at the byte limit, every character one byte or more) with room for extra blanks.
 * A longer line cannot be a valid command, so it is refused before any other work on it.
 */
export const MAX_INPUT_LINE_CHARS = 'send '.length + NAME_MAX_LENGTH + 1 + MESSAGE_MAX_BYTES + 64;

/** How much of a mistyped word an error line repeats. */
const ECHO_MAX_CHARS = 40;

/** Splits a typed line into a command. The message is the rest of the line, spaces kept. */
export function parseLine(line: string): ParsedLine {
  if (line.length > MAX_INPUT_LINE_CHARS) {
    return {
      kind: 'error',
      text: `the line is ${line.length} characters long; a command fits in ${MAX_INPUT_LINE_CHARS} (messages up to ${MESSAGE_MAX_BYTES} bytes), so nothing was done`,
    };
  }
  const trimmed = line.replace(/^\s+/, '').replace(/[\r\n]+$/, '');
  if (trimmed.trim() === '') return { kind: 'empty' };
  // One separator after the command word: what follows is the argument, its leading blanks kept.
  const match = /^(\S+)(?:\s(.*))?$/s.exec(trimmed);
  const word = match?.[1] ?? '';
  const rest = match?.[2] ?? '';
  switch (word) {
    case 'send': {
      const m = /^\s*(\S+)(?:\s(.*))?$/s.exec(rest);
      if (!m) return usage('send');
      const text = m[2] ?? '';
      if (text.trim() === '') return usage('send');
      // The channel's sender name, not a client: the user means send_all.
      if (isReservedName(m[1]!)) return { kind: 'error', text: `${m[1]} is the server, not a client; use send_all <message> to write to everyone` };
      return { kind: 'command', command: { kind: 'send', to: m[1]!, text } };
    }
    case 'send_all':
      if (rest.trim() === '') return usage('send_all');
      return { kind: 'command', command: { kind: 'send_all', text: rest } };
    case 'dereg':
    case 'reg': {
      const name = rest.trim();
      if (name === '' || /\s/.test(name)) return usage(word);
      return { kind: 'command', command: { kind: word, name } };
    }
    case 'whois': {
      const name = rest.trim();
      if (name === '' || /\s/.test(name)) return usage('whois');
      return { kind: 'local', command: { kind: 'whois', name } };
    }
    case 'help':
    case 'list':
    case 'quit':
    case 'exit':
      return { kind: 'local', command: { kind: word === 'exit' ? 'quit' : word } };
    default: {
      const guess = closestCommand(word);
      const shown = word.length > ECHO_MAX_CHARS ? `${word.slice(0, ECHO_MAX_CHARS)}… (${word.length} characters)` : word;
      return { kind: 'error', text: `unknown command ${shown}${guess ? `; did you mean ${guess}?` : ''} (type help for the list)` };
    }
  }
}

function usage(command: string): ParsedLine {
  const entry = COMMANDS.find((c) => c.name === command);
  return { kind: 'error', text: `missing arguments; use ${entry?.usage ?? command}` };
}

/** Suggestions allow this many edits, so a longer word is never close to any command. */
const SUGGEST_MAX_DISTANCE = 2;

/** The known command closest to a mistyped one, if any is close. */
export function closestCommand(word: string): string | undefined {
  // Bounded work: a word much longer than every command cannot be within the distance, and the
  // table below would otherwise cost its length times the command's (a pasted megabyte froze the client).
  const longest = Math.max(...COMMANDS.map((c) => c.name.length));
  if (word.length > longest + SUGGEST_MAX_DISTANCE) return undefined;
  let best: string | undefined;
  let bestScore = SUGGEST_MAX_DISTANCE + 1;
  for (const { name } of COMMANDS) {
    const score = distance(word.toLowerCase(), name);
    if (score < bestScore) {
      best = name;
      bestScore = score;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length]![b.length]!;
}
