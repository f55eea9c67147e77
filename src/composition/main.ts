import 'reflect-metadata';
import { ConsoleUi, type LineStyle } from '../adapters/console/console-ui';
import { paint } from '../adapters/console/colors';
import path from 'node:path';
import { isProgramName, parseCliArgs, USAGE, type CliRequest } from './cli-args';
import { baseDataDir } from './data-dir';
import { UnwritableFolderError } from './unwritable-folder';
import { ProcessFaults } from './process-faults';
import { VERSION } from './version';

/** Exit status for wrong arguments (SPEC §1). */
const EXIT_USAGE = 2;

/** The prompt of the seed's interactive start. */
const START_PROMPT = '$ ';

/**
 * The `chatapp` command. The only place that reads argv, the environment and stdin, and
 * installs signal handlers and the process-level failure policy (see ProcessFaults).
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await runCommand(argv);
  } catch (error) {
    if (!(error instanceof UnwritableFolderError)) throw error;
    process.stderr.write(`chatapp: ${error.message}\n`);
    return 1;
  }
}

async function runCommand(argv: readonly string[]): Promise<number> {
  const faults = new ProcessFaults(process);
  faults.install();
  const onLogger = faults.useLogger.bind(faults);
  let request = parseCliArgs(argv);
  const color = Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'];
  const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env['TERM'] !== 'dumb';
  let ui: ConsoleUi | undefined;
  if (request.kind === 'interactive') {
    ui = new ConsoleUi({ input: process.stdin, output: process.stdout, terminal, color, prompt: START_PROMPT, completions: () => ({ commands: [], names: [] }) });
    // Piped, readline writes nothing of its own: the seed's `$ ` is written here, as a script expects it.
    const prompter = ui;
    const first = await promptForCommand(ui, terminal ? () => undefined : () => {
      // After the lines the console gathered (an error line comes before the next prompt).
      prompter.flush();
      process.stdout.write(START_PROMPT);
    });
    if (!first) return 0;
    // Options given with the bare command (`chatapp --data-dir d`) hold unless the line repeats them.
    const given = request.options;
    request = first.kind === 'client' || first.kind === 'server' ? { ...first, options: { ...given, ...first.options } } : first;
    // Only a client goes on reading the console; everything else ends the prompt here.
    if (request.kind !== 'client') {
      ui.close();
      ui = undefined;
    }
  }
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
    case 'keygen': {
      const { runKeygen } = require('./run-keygen') as typeof import('./run-keygen');
      return runKeygen(request.file, { print: (line) => process.stdout.write(`${line}\n`), error: (line) => process.stderr.write(`${line}\n`) });
    }
    case 'error':
    case 'interactive':
      process.stderr.write(`chatapp: ${request.kind === 'error' ? request.message : 'no command given'}\n${USAGE}\n`);
      return EXIT_USAGE;
    case 'server': {
      // Each role's modules are loaded when that role runs: a client never loads the server's
      // (nor a server the client's), which is start-up time and memory for nothing.
      const { runServer } = require('./run-server') as typeof import('./run-server');
      const running = await runServer(request.port, request.options, process.env, out, onLogger);
      if (typeof running === 'number') return running;
      return new Promise((resolve) => {
        const stop = (): void => {
          running.stop().then(
            () => resolve(0),
            () => resolve(1),
          );
        };
        for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.once(signal, stop);
        void running.failed?.then((status) => running.stop().then(() => resolve(status), () => resolve(status)));
      });
    }
    case 'client': {
      const { runClient } = require('./run-client') as typeof import('./run-client');
      return runClient(request, { input: process.stdin, output: process.stdout, terminal, color, ...(ui ? { ui } : {}) }, process.env, process, onLogger);
    }
  }
}

/**
 * The seed's interactive start: a `$ ` prompt taking one `ChatApp -s …` or `ChatApp -c …` line
 * (the program name in any case, or left out). The console that reads it is the session's one
 * console: it is held after that line, so what is typed or piped next waits for the client.
 */
function promptForCommand(ui: ConsoleUi, pipedPrompt: () => void): Promise<CliRequest | undefined> {
  return new Promise((resolve) => {
    ui.onClose(() => resolve(undefined));
    ui.onLine((line) => {
      const words = line.trim().split(/\s+/).filter((w) => w !== '');
      if (words.length === 0) return;
      const request = parseCliArgs(words);
      const shaped = isProgramName(words[0]) || words[0]!.startsWith('-');
      if (request.kind === 'error' || request.kind === 'interactive' || !shaped) {
        const message = request.kind === 'error' && shaped ? request.message : 'type ChatApp -s <port> or ChatApp -c <name> <server-ip> <server-port> <client-port>';
        ui.print(`chatapp: ${message}`, 'error');
        pipedPrompt();
        return;
      }
      ui.hold();
      resolve(request);
    });
    pipedPrompt();
    ui.start();
  });
}
