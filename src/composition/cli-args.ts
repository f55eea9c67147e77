import { isIPv4Literal, isIPv6Literal } from '../domain/address';
import { isReservedName } from '../domain/nickname';

/** What the command line asks for. */
export type CliRequest =
  | { kind: 'server'; port: number; options: CliOptions }
  | { kind: 'client'; name: string; serverHost: string; serverPort: number; clientPort: number; options: CliOptions }
  | { kind: 'interactive'; options: CliOptions }
  | { kind: 'keygen'; file: string }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'error'; message: string };

/** A server instance as given on the command line: an IP literal or a host name, and a port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Options shared by every mode. */
export interface CliOptions {
  readonly dataDir?: string;
  readonly logFile?: string;
  readonly logLevel?: string;
  readonly logFormat?: 'text' | 'json';
  readonly maxClients?: number;
  /** Server: keep the stores in this Redis instead of the data directory. */
  readonly redisUrl?: string;
  /** Server: the key prefix in that Redis (default `chat:`), so several systems can share it. */
  readonly redisPrefix?: string;
  /** Server: start even on a Redis that may lose acknowledged writes (with a warning). */
  readonly allowVolatileRedis?: boolean;
  /** Server on Redis: the IP clients of the other instances are told to reach this one at. */
  readonly advertise?: string;
  /** Client: other instances of the server's system, tried in this order when the server stops answering. */
  readonly servers?: readonly HostPort[];
  /** Server: the file holding the server's key pair (instances of one system share one). */
  readonly serverKey?: string;
  /** Client: accept a server key that differs from the one pinned for that server (it was changed on purpose). */
  readonly acceptServerKey?: boolean;
}

/** Options that only make sense for a server; a client given one is a usage error. */
const SERVER_ONLY: ReadonlyArray<[keyof CliOptions, string]> = [
  ['redisUrl', '--redis'],
  ['redisPrefix', '--redis-prefix'],
  ['allowVolatileRedis', '--allow-volatile-redis'],
  ['advertise', '--advertise'],
  ['serverKey', '--server-key'],
];

export const USAGE = `usage:
  chatapp -s <port>                                           start a server
  chatapp -c <name> <server-ip> <server-port> <client-port>   start a client
  chatapp                                                     interactive start ($ prompt)
  chatapp keygen <file>                                       make a server key pair (for --server-key)
options:
  --data-dir <dir>     where data is kept (default $CHATAPP_DATA_DIR, else $XDG_STATE_HOME/chatapp or ~/.local/state/chatapp)
  --log-file <file|->  log file (default <data-dir>/logs/<role>-<port>.log); - logs to stderr
  --log-level <level>  error, warn, info (default) or debug
  --log-format <fmt>   text (default) or json
  --max-clients <n>    server: most registered names (default 20000)
  --redis <url>        server: keep the registry, mailboxes and channel in Redis (default $CHATAPP_REDIS_URL,
                       else the data directory); that Redis needs appendonly yes and appendfsync always
  --redis-prefix <p>   server: key prefix in that Redis (default chat:), so several systems can share it
  --allow-volatile-redis  server: start even if that Redis may lose acknowledged writes (prints a warning)
  --advertise <ip>     server on Redis: the IP clients are told to reach this instance at when another
                       instance stops (default: this host's first external IPv4 address)
  --server-key <file>  server: its key pair (default <data-dir>/server-<port>/server.key, made at first
                       start); the instances of one system share one, made by chatapp keygen
  --servers <host:port,...>  client: other instances of the same system of servers, tried in this order
                       when the server stops answering (IPv6 as [ip]:port)
  --accept-server-key  client: trust a server whose key changed since it was first used (only if its
                       operator changed it on purpose)
  --help, --version`;

const PORT_MIN = 1024;
const PORT_MAX = 65535;
const LEVELS = new Set(['error', 'warn', 'info', 'debug']);

/** The program's own name as a first word (`ChatApp`, `chatapp`, any case), which the seed's form repeats. */
export function isProgramName(word: string | undefined): boolean {
  return word !== undefined && word.toLowerCase() === 'chatapp';
}

/** Parse argv (without node and script). Both `-s 5000` and the seed's `ChatApp -s 5000` forms work. */
export function parseCliArgs(argv: readonly string[]): CliRequest {
  const args = [...argv];
  if (isProgramName(args[0])) args.shift();
  const positional: string[] = [];
  const options: { -readonly [K in keyof CliOptions]: CliOptions[K] } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case '--help':
      case '-h':
        return { kind: 'help' };
      case '--version':
      case '-v':
        return { kind: 'version' };
      case '--data-dir': {
        const v = value();
        if (!v) return { kind: 'error', message: '--data-dir needs a directory' };
        options.dataDir = v;
        break;
      }
      case '--log-file': {
        const v = value();
        if (!v) return { kind: 'error', message: '--log-file needs a file name or -' };
        options.logFile = v;
        break;
      }
      case '--log-level': {
        const v = value();
        if (!v || !LEVELS.has(v)) return { kind: 'error', message: '--log-level must be error, warn, info or debug' };
        options.logLevel = v;
        break;
      }
      case '--log-format': {
        const v = value();
        if (v !== 'text' && v !== 'json') return { kind: 'error', message: '--log-format must be text or json' };
        options.logFormat = v;
        break;
      }
      case '--max-clients': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) return { kind: 'error', message: '--max-clients must be a positive integer' };
        options.maxClients = n;
        break;
      }
      case '--redis': {
        const v = value();
        if (!v || !/^rediss?:\/\/\S+$/.test(v)) return { kind: 'error', message: '--redis needs a URL like redis://127.0.0.1:6379' };
        options.redisUrl = v;
        break;
      }
      case '--redis-prefix': {
        const v = value();
        if (!v || v.length > 100 || /[\s\x00-\x1f\x7f]/.test(v)) return { kind: 'error', message: '--redis-prefix needs 1-100 printable characters without spaces' };
        options.redisPrefix = v;
        break;
      }
      case '--advertise': {
        const v = value();
        if (!v || !(isIPv4Literal(v) || isIPv6Literal(v))) return { kind: 'error', message: '--advertise needs an IP address like 192.0.2.10' };
        options.advertise = v;
        break;
      }
      case '--servers': {
        const servers = parseServers(value());
        if (typeof servers === 'string') return { kind: 'error', message: servers };
        options.servers = servers;
        break;
      }
      case '--server-key': {
        const v = value();
        if (!v) return { kind: 'error', message: '--server-key needs a file name' };
        options.serverKey = v;
        break;
      }
      case '--accept-server-key':
        if (inline !== undefined) return { kind: 'error', message: '--accept-server-key takes no value' };
        options.acceptServerKey = true;
        break;
      case '--allow-volatile-redis':
        if (inline !== undefined) return { kind: 'error', message: '--allow-volatile-redis takes no value' };
        options.allowVolatileRedis = true;
        break;
      default:
        if (flag.startsWith('--')) return { kind: 'error', message: `unknown option ${flag}` };
        positional.push(arg);
    }
  }
  if (positional.length === 0) return { kind: 'interactive', options };
  const [mode, ...rest] = positional;
  if (mode === 'keygen') {
    if (rest.length !== 1 || rest[0]!.length === 0) return { kind: 'error', message: 'keygen takes exactly one argument: <file>' };
    return { kind: 'keygen', file: rest[0]! };
  }
  if (mode === '-s') {
    if (rest.length !== 1) return { kind: 'error', message: '-s takes exactly one argument: <port>' };
    const port = parsePort(rest[0]!);
    if (typeof port === 'string') return { kind: 'error', message: `server port ${port}` };
    if (options.servers !== undefined) return { kind: 'error', message: '--servers is a client option (-c)' };
    if (options.acceptServerKey) return { kind: 'error', message: '--accept-server-key is a client option (-c)' };
    return { kind: 'server', port, options };
  }
  if (mode === '-c') {
    if (rest.length !== 4) return { kind: 'error', message: '-c takes exactly four arguments: <name> <server-ip> <server-port> <client-port>' };
    const serverOnly = SERVER_ONLY.find(([key]) => options[key] !== undefined);
    if (serverOnly) return { kind: 'error', message: `${serverOnly[1]} is a server option (-s)` };
    const [name, serverHost, sp, cp] = rest as [string, string, string, string];
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(name)) return { kind: 'error', message: `invalid name ${JSON.stringify(name).slice(0, 40)}: names are 1-32 letters, digits, _ or -` };
    if (isReservedName(name)) return { kind: 'error', message: `the name ${name} is reserved for the server; choose another name` };
    const serverPort = parsePort(sp);
    if (typeof serverPort === 'string') return { kind: 'error', message: `server port ${serverPort}` };
    const clientPort = parsePort(cp);
    if (typeof clientPort === 'string') return { kind: 'error', message: `client port ${clientPort}` };
    if (serverHost.length === 0 || serverHost.length > 253 || /\s/.test(serverHost)) return { kind: 'error', message: 'invalid server address' };
    return { kind: 'client', name, serverHost, serverPort, clientPort, options };
  }
  return { kind: 'error', message: `unknown mode ${mode}; use -s or -c` };
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const SERVERS_HINT = 'use host:port entries separated by commas, e.g. 10.0.0.2:5000,[::1]:5001';

/** `--servers a:5000,[::1]:5001,host:5002`: the list, or the error line. */
function parseServers(raw: string | undefined): HostPort[] | string {
  if (!raw) return `--servers needs a list; ${SERVERS_HINT}`;
  const entries = raw.split(',');
  if (entries.length > 16) return '--servers takes at most 16 entries';
  const servers: HostPort[] = [];
  for (const entry of entries) {
    const shown = JSON.stringify(entry).slice(0, 60);
    const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(entry);
    const host = match?.[1] ?? match?.[2];
    if (!match || !host) return `invalid --servers entry ${shown}; ${SERVERS_HINT}`;
    if (match[1] !== undefined ? !isIPv6Literal(host) : !(isIPv4Literal(host) || (HOST_NAME.test(host) && !/^[0-9.]+$/.test(host)))) {
      return `invalid --servers entry ${shown}: ${host.slice(0, 45)} is not an IP address or host name`;
    }
    const port = parsePort(match[3]!);
    if (typeof port === 'string') return `invalid --servers entry ${shown}: port ${port}`;
    servers.push({ host, port });
  }
  return servers;
}

function parsePort(raw: string): number | string {
  if (!/^\d+$/.test(raw)) return `${JSON.stringify(raw).slice(0, 20)} is not a number`;
  const port = Number(raw);
  if (port < PORT_MIN || port > PORT_MAX) return `${port} is out of range (${PORT_MIN}-${PORT_MAX})`;
  return port;
}
