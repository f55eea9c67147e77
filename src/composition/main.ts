import 'reflect-metadata';
import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import type { LineStyle } from '../adapters/console/console-ui';
import { paint } from '../adapters/console/colors';
import path from 'node:path';
import { parseCliArgs, USAGE, type CliRequest } from './cli-args';
import { baseDataDir } from './data-dir';
import { runClient } from './run-client';
import { runServer } from './run-server';
import { VERSION } from './version';

/** Exit status for wrong arguments (SPEC §1). */
const EXIT_USAGE = 2;

/**
 * The `chatapp` command. The only place that reads argv, the environment and stdin, and
 * installs signal handlers.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let request = parseCliArgs(argv);
  let input: NodeJS.ReadableStream = process.stdin;
  if (request.kind === 'interactive') {
    const first = await promptForCommand();
    if (!first) return 0;
    request = first.request;
    input = first.rest;
  }
  const color = Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'];
  const out = { print: (line: string, style?: LineStyle) => process.stdout.write(`${color && style ? paint(line, style) : line}\n`) };
  switch (request.kind) {
    case 'help':
      process.stdout.write(
        `ChatApp ${VERSION}: a chat system over UDP\n${USAGE}\n` +
          `data directory here: ${baseDataDir(undefined, process.env)}\n` +
          `log files here:      ${path.join(baseDataDir(undefined, process.env), 'logs', '<role>-<port>.log')}\n`,
      );
      return 0;
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'error':
    case 'interactive':
      process.stderr.write(`chatapp: ${request.kind === 'error' ? request.message : 'no command given'}\n${USAGE}\n`);
      return EXIT_USAGE;
    case 'server': {
      const running = await runServer(request.port, request.options, process.env, out);
      if (typeof running === 'number') return running;
      return new Promise((resolve) => {
        const stop = (): void => {
          void running.stop().then(() => resolve(0));
        };
        for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.once(signal, stop);
      });
    }
    case 'client':
      return runClient(request, { input, output: process.stdout, terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env['TERM'] !== 'dumb', color }, process.env, process);
  }
}

/**
 * The seed's interactive start: a `$ ` prompt taking one `ChatApp -s …` or `ChatApp -c …`
 * line. Lines typed after it are handed on untouched (piped input may carry them already).
 */
async function promptForCommand(): Promise<{ request: CliRequest; rest: NodeJS.ReadableStream } | undefined> {
  const stdin = process.stdin;
  const rest = new PassThrough();
  const rl = readline.createInterface({ input: stdin, output: process.stdout, terminal: Boolean(stdin.isTTY && process.stdout.isTTY), prompt: '$ ' });
  let chosen: CliRequest | undefined;
  const leftover: string[] = [];
  await new Promise<void>((resolve) => {
    rl.on('line', (line) => {
      if (chosen) {
        leftover.push(line);
        return;
      }
      const words = line.trim().split(/\s+/).filter((w) => w !== '');
      if (words.length === 0) return rl.prompt();
      const request = parseCliArgs(words);
      if (request.kind === 'error' || request.kind === 'interactive' || !/^(chatapp|ChatApp)$/.test(words[0]!)) {
        process.stdout.write(`chatapp: ${request.kind === 'error' ? request.message : 'type ChatApp -s <port> or ChatApp -c <name> <server-ip> <server-port> <client-port>'}\n`);
        return rl.prompt();
      }
      chosen = request;
      // Let readline hand over any lines it already buffered before closing.
      setImmediate(() => rl.close());
    });
    rl.on('close', () => resolve());
    rl.prompt();
  });
  if (!chosen) return undefined;
  for (const line of leftover) rest.write(`${line}\n`);
  if (stdin.readableEnded) rest.end();
  else stdin.pipe(rest);
  return { request: chosen, rest };
}
