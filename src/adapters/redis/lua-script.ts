import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';

/** Runs one defined script: `keys` become KEYS, `args` ARGV. */
export type LuaScript = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

const sources = new Map<string, string>();

/**
 * The path of a `.lua` file of this folder. Under ts-node it sits beside this module; `tsc`
 * copies no `.lua` files into `dist`, so compiled code (`dist/adapters/redis/…`) reads them
 * from the source tree it was built from (`src/adapters/redis/…`).
 */
function scriptPath(file: string): string {
  const beside = path.join(__dirname, file);
  if (fs.existsSync(beside)) return beside;
  const inSources = path.resolve(__dirname, '..', '..', '..', 'src', 'adapters', 'redis', file);
  if (fs.existsSync(inSources)) return inSources;
  throw new Error(`Lua script ${file} not found beside ${__dirname} nor in ${path.dirname(inSources)}`);
}

/** A line `-- uses <file>.lua`: that file's text goes in its place (shared Lua functions). */
const USES = /^-- uses ([a-z-]+\.lua)$/gm;

/**
 * The text of `file`, with the files its `-- uses` lines name put in their place: Redis runs
 * each script on its own, so what several share (lease.lua) is written once and copied in here.
 */
function source(file: string): string {
  let text = sources.get(file);
  if (text === undefined) {
    text = fs.readFileSync(scriptPath(file), 'utf8').replace(USES, (_line, used: string) => {
      if (used === file) throw new Error(`Lua script ${file} uses itself`);
      return source(used).trimEnd();
    });
    sources.set(file, text);
  }
  return text;
}

/**
 * Define the script in `file` on `redis` as command `name` (once per connection) and return a
 * caller for it. ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT, so the script works
 * again after a Redis restart emptied its script cache. Every key a script touches is passed
 * in KEYS (`numberOfKeys` of them), never built inside the script.
 */
export function defineLuaScript(redis: Redis, name: string, file: string, numberOfKeys: number): LuaScript {
  const commands = redis as unknown as Record<string, ((...args: (string | number)[]) => Promise<unknown>) | undefined>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua: source(file) });
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new RangeError(`${name} takes ${numberOfKeys} keys, got ${keys.length}`);
    return commands[name]!.call(redis, ...keys, ...args);
  };
}
