import { lookup } from 'node:dns/promises';
import path from 'node:path';
import { ChatClient } from '../application/client/chat-client';
import { COMMANDS, parseLine } from '../adapters/console/command-parser';
import { ConsoleUi } from '../adapters/console/console-ui';
import { helpLines } from '../adapters/console/help-text';
import { renderLine } from '../adapters/console/line-renderer';
import { formatTable } from '../adapters/console/table-format';
import { nameKey } from '../domain/nickname';
import type { CliOptions } from './cli-args';
import { defaultSettings, type ClientConfig } from './config';
import { consoleModule } from './console-module';
import { createContainer } from './create-container';
import { baseDataDir, clientDataDir, defaultLogFile } from './data-dir';
import { fsStoresModule } from './fs-stores-module';
import { createLogger } from './logging';
import { systemModule } from './system-module';
import { udpModule } from './udp-module';

export interface ClientArgs {
  readonly name: string;
  readonly serverHost: string;
  readonly serverPort: number;
  readonly clientPort: number;
  readonly options: CliOptions;
}

export interface ClientIo {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly terminal: boolean;
  readonly color: boolean;
}

/**
 * Run the client of `chatapp -c …` until it ends; resolves with the exit status. Lines are
 * read only after registration, so nothing typed early runs before the client is online.
 */
export async function runClient(args: ClientArgs, io: ClientIo, env: NodeJS.ProcessEnv, signals: NodeJS.EventEmitter): Promise<number> {
  const base = baseDataDir(args.options.dataDir, env);
  const dir = clientDataDir(base);
  const logger = createLogger(args.options, defaultLogFile(base, 'client', args.clientPort), `client:${args.name}`);
  let client: ChatClient | undefined;
  const ui = new ConsoleUi({
    input: io.input,
    output: io.output,
    terminal: io.terminal,
    color: io.color,
    historyFile: path.join(dir, 'history', `${nameKey(args.name)}.txt`),
    completions: () => ({ commands: COMMANDS.map((c) => c.name), names: client?.tableRows().map((r) => r.name) ?? [] }),
  });
  const fail = async (text: string): Promise<number> => {
    ui.print(renderLine({ kind: 'error', text }), 'error');
    ui.close();
    await logger.close();
    return 1;
  };

  let serverIp: string;
  try {
    serverIp = (await lookup(args.serverHost)).address;
  } catch {
    return fail(`cannot resolve the server address ${args.serverHost}; use an IP address or a known host name`);
  }
  const config: ClientConfig = { role: 'client', name: args.name, server: { ip: serverIp, port: args.serverPort }, port: args.clientPort, settings: defaultSettings() };
  const container = createContainer(config, [udpModule(config), fsStoresModule(dir, config.settings.mailboxQuota), systemModule(), consoleModule(ui, logger)]);
  client = container.get(ChatClient);
  const chat = client;

  return new Promise<number>((resolve) => {
    let ended = false;
    const end = async (code: number, finishInFlight: boolean): Promise<void> => {
      if (ended) return;
      ended = true;
      if (finishInFlight) await chat.drain();
      ui.close();
      await chat.stop();
      logger.info('client stopped', { code });
      await logger.close();
      resolve(code);
    };
    chat.onExit((code) => void end(code, false));
    // A silent leave (SPEC §3): the server is not told; others learn when a message is not ACKed.
    for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) signals.on(signal, () => void end(0, false));
    ui.onClose((reason) => void end(0, reason === 'eof'));
    ui.onLine((line) => {
      const parsed = parseLine(line);
      switch (parsed.kind) {
        case 'empty':
          return;
        case 'error':
          return ui.print(renderLine({ kind: 'error', text: parsed.text }), 'error');
        case 'command':
          void chat.submit(parsed.command);
          return;
        case 'local':
          if (parsed.command.kind === 'quit') return void end(0, true);
          for (const l of parsed.command.kind === 'help' ? helpLines() : formatTable(chat.tableRows())) ui.print(l, 'plain');
      }
    });
    chat
      .start()
      .then((ok) => {
        if (ok && !ended) ui.start();
      })
      .catch((error: NodeJS.ErrnoException) => {
        const text =
          error.code === 'EADDRINUSE' ? `port ${args.clientPort} is already in use; choose another client port`
          : error.code === 'EACCES' ? `no permission to use port ${args.clientPort}; choose a port from 1024 to 65535`
          : `cannot start the client: ${error.message}`;
        ui.print(renderLine({ kind: 'error', text }), 'error');
        void end(1, false);
      });
  });
}
