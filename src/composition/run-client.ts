import { isIP } from 'node:net';
import path from 'node:path';
import { ChatClient } from '../application/client/chat-client';
import { COMMANDS, parseLine } from '../adapters/console/command-parser';
import { ConsoleUi, PROMPT } from '../adapters/console/console-ui';
import { helpLines } from '../adapters/console/help-text';
import { renderLine } from '../adapters/console/line-renderer';
import { formatTable, formatWhois } from '../adapters/console/table-format';
import { formatAddress, type Address } from '../domain/address';
import { nameKey } from '../domain/nickname';
import type { CliOptions } from './cli-args';
import { defaultSettings, type ClientConfig } from './config';
import { consoleModule } from './console-module';
import { createContainer } from './create-container';
import { baseDataDir, clientDataDir, defaultLogFile } from './data-dir';
import { fsStoresModule } from './fs-stores-module';
import type { WinstonLogger } from '../adapters/logging/winston-logger';
import { createLogger } from './logging';
import { systemModule } from './system-module';
import { udpModule } from './udp-module';
import { clientLinkModule } from './secure-link-module';
import { FsServerPins } from '../adapters/fs/fs-server-pins';
import type { RefusedServerKey } from '../adapters/wire/link/link-policies';
import { NodeEndToEnd } from '../adapters/system/node-end-to-end';

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
  /** The console of the interactive start, held since its `ChatApp -c …` line: the session keeps it. */
  readonly ui?: ConsoleUi;
}

/**
 * Run the client of `chatapp -c …` until it ends; resolves with the exit status. Lines are
 * read only after registration, so nothing typed early runs before the client is online.
 */
export async function runClient(
  args: ClientArgs,
  io: ClientIo,
  env: NodeJS.ProcessEnv,
  signals: NodeJS.EventEmitter,
  onLogger: (logger: WinstonLogger | undefined) => void = () => undefined,
): Promise<number> {
  const base = baseDataDir(args.options.dataDir, env);
  const dir = clientDataDir(base);
  const logger = createLogger(args.options, defaultLogFile(base, 'client', args.clientPort), `client:${args.name}`);
  onLogger(logger);
  let client: ChatClient | undefined;
  const session = {
    prompt: PROMPT,
    historyFile: path.join(dir, 'history', `${nameKey(args.name)}.txt`),
    completions: () => ({ commands: COMMANDS.map((c) => c.name), names: client?.tableRows().map((r) => r.name) ?? [] }),
  };
  // One console for the whole session: a second readline on the same terminal echoes every key twice.
  const ui = io.ui ?? new ConsoleUi({ input: io.input, output: io.output, terminal: io.terminal, color: io.color, ...session });
  if (io.ui) io.ui.configure(session);
  const fail = async (text: string): Promise<number> => {
    ui.print(renderLine({ kind: 'error', text }), 'error');
    ui.close();
    onLogger(undefined);
    await logger.close();
    return 1;
  };

  let serverIp: string;
  const servers: Address[] = [];
  let host = args.serverHost;
  try {
    serverIp = await resolveHost(host);
    for (const other of args.options.servers ?? []) {
      host = other.host;
      servers.push({ ip: await resolveHost(host), port: other.port });
    }
  } catch {
    return fail(`cannot resolve the server address ${host}; use an IP address or a known host name`);
  }
  const config: ClientConfig = { role: 'client', name: args.name, server: { ip: serverIp, port: args.serverPort }, servers, port: args.clientPort, settings: defaultSettings() };
  // A server whose key differs from its pin is said once per key, in the user's terms.
  const refused = new Set<string>();
  const e2e = new NodeEndToEnd();
  // Set once the session runs: a refused key before the client ever registered ends it at once.
  let refusedAtStart = (): void => undefined;
  const onRefused = ({ server, presented, pinned }: RefusedServerKey): void => {
    if (refused.has(`${formatAddress(server)} ${presented}`)) return;
    refused.add(`${formatAddress(server)} ${presented}`);
    // After the refusal line, "not responding" would be wrong: the server answered, with the wrong key.
    queueMicrotask(() => refusedAtStart());
    ui.print(
      renderLine({
        kind: 'error',
        text: `the server at ${formatAddress(server)} presented key ${e2e.fingerprint(presented)}, not the key pinned for it (${e2e.fingerprint(pinned)}); nothing was sent to it. If its operator changed its key on purpose, start again with --accept-server-key`,
      }),
      'error',
    );
  };
  const pins = new FsServerPins(dir);
  const link = clientLinkModule(pins, { acceptNewServerKey: args.options.acceptServerKey === true, onRefused });
  const container = createContainer(config, [udpModule(config), link, fsStoresModule(dir, config.settings.mailboxQuota), systemModule(), consoleModule(ui, logger)]);
  client = container.get(ChatClient);
  const chat = client;

  return new Promise<number>((resolve) => {
    let ended = false;
    const finish = async (code: number, finishInFlight: boolean): Promise<void> => {
      if (finishInFlight) await chat.drain();
      ui.close();
      await chat.stop();
      await pins.settled();
      logger.info('client stopped', { code });
    };
    const end = (code: number, finishInFlight: boolean): void => {
      if (ended) return;
      ended = true;
      finish(code, finishInFlight)
        .catch((error: unknown) => logger.error('the client did not stop cleanly', { error: String(error) }))
        .then(() => {
          onLogger(undefined);
          return logger.close();
        })
        .finally(() => resolve(code))
        .catch(() => undefined);
    };
    // A command that throws is a bug or an I/O failure: said on the console and logged, never unhandled.
    const failed = (error: unknown): void => {
      logger.error('command failed', { error: String(error) });
      ui.print(renderLine({ kind: 'error', text: 'that command failed unexpectedly; the details are in the log' }), 'error');
    };
    chat.onExit((code) => end(code, false));
    refusedAtStart = () => {
      // Unless other instances were given, which the client may still move to.
      if (chat.state === 'starting' && (args.options.servers ?? []).length === 0) end(1, false);
    };
    // A silent leave (SPEC §3): the server is not told; others learn when a message is not ACKed.
    for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) signals.on(signal, () => end(0, false));
    ui.onClose((reason) => end(0, reason === 'eof'));
    ui.onLine((line) => {
      // After quit (or any end): lines typed or pasted after it are not run; what came before finishes.
      if (ended) return;
      const parsed = parseLine(line);
      switch (parsed.kind) {
        case 'empty':
          return;
        case 'error': {
          // In turn too: a pasted script's lines answer in the order they were typed.
          const text = parsed.text;
          chat.submitLocal(() => ui.print(renderLine({ kind: 'error', text }), 'error')).catch(failed);
          return;
        }
        case 'command':
          chat.submit(parsed.command).catch(failed);
          return;
        case 'local': {
          if (parsed.command.kind === 'quit') return end(0, true);
          const command = parsed.command;
          // In turn with the commands typed before it, like every other command.
          chat
            .submitLocal(async () => {
              const lines =
                command.kind === 'help' ? helpLines()
                : command.kind === 'whois' ? [formatWhois(command.name, await chat.whois(command.name), (key) => chat.fingerprint(key))]
                : listLines(chat);
              for (const l of lines) ui.print(l, 'plain');
            })
            .catch(failed);
        }
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
        end(1, false);
      });
  });
}

/** The IP address of `host`; an IP literal (the usual case) needs no resolver, which costs its loading at start-up. */
async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  return (await (require('node:dns/promises') as typeof import('node:dns/promises')).lookup(host)).address;
}

/** The `list` lines; offline, the server pushes nothing, so the table is said to be the last one seen. */
function listLines(chat: ChatClient): string[] {
  const lines = formatTable(chat.tableRows(), (key) => chat.fingerprint(key));
  if (chat.state === 'offline') lines.push(`>>> [You are offline: this is the table as it was when you left; reg ${chat.name} to get the current one.]`);
  return lines;
}
