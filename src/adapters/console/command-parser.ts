import type { ClientCommand } from '../../application/client/client-command';

/** Commands the console handles itself, without the network. */
export type LocalCommand = { kind: 'help' } | { kind: 'list' } | { kind: 'quit' };

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
  { name: 'help', usage: 'help', help: 'show this list' },
  { name: 'quit', usage: 'quit', help: 'leave quietly (like Ctrl-C)' },
];

/** Splits a typed line into a command. The message is the rest of the line, spaces kept. */
export function parseLine(line: string): ParsedLine {
  const trimmed = line.replace(/^\s+/, '').replace(/[\r\n]+$/, '');
  if (trimmed.trim() === '') return { kind: 'empty' };
  const match = /^(\S+)(?:\s+(.*))?$/s.exec(trimmed);
  const word = match?.[1] ?? '';
  const rest = match?.[2] ?? '';
  switch (word) {
    case 'send': {
      const m = /^(\S+)(?:\s(.*))?$/s.exec(rest);
      if (!m) return usage('send');
      const text = m[2] ?? '';
      if (text.trim() === '') return usage('send');
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
    case 'help':
    case 'list':
    case 'quit':
    case 'exit':
      return { kind: 'local', command: { kind: word === 'exit' ? 'quit' : word } };
    default: {
      const guess = closestCommand(word);
      return { kind: 'error', text: `unknown command ${word}${guess ? `; did you mean ${guess}?` : ''} (type help for the list)` };
    }
  }
}

function usage(command: string): ParsedLine {
  const entry = COMMANDS.find((c) => c.name === command);
  return { kind: 'error', text: `missing arguments; use ${entry?.usage ?? command}` };
}

/** The known command closest to a mistyped one, if any is close. */
export function closestCommand(word: string): string | undefined {
  let best: string | undefined;
  let bestScore = 3;
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
