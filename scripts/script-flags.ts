import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit status of a script given flags it does not know or cannot use. */
export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The scripts' flags through Node's `util.parseArgs` in strict mode: an unknown or misspelled
 * flag, a missing value or a stray positional argument ends the script with the usage and
 * status 2, instead of being ignored while the run goes on with the defaults.
 */
export function parseFlags<O extends Options>(script: string, usage: string, argv: readonly string[], options: O): ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'] {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return usageError(script, usage, error instanceof Error ? error.message : String(error));
  }
}

export function usageError(script: string, usage: string, message: string): never {
  process.stderr.write(`${script}: ${message}\n${usage}\n`);
  process.exit(EXIT_USAGE);
}

/** A flag's value as a number in `min..max` (an integer if `integer`), or the usage and exit 2. */
export function numberFlag(script: string, usage: string, flag: string, value: string | undefined, min: number, max: number, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    return usageError(script, usage, `--${flag} ${value}: expected ${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
  }
  return n;
}
