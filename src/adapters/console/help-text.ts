import { COMMANDS } from './command-parser';

/** The lines of the `help` command: a heading, then each command's usage and what it does. */
export function helpLines(): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return ['>>> [Commands]', ...COMMANDS.map((c) => `    ${c.usage.padEnd(width)}  ${c.help}`)];
}
