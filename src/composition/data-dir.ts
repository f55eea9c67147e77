import os from 'node:os';
import path from 'node:path';

/**
 * The base data directory: --data-dir, else CHATAPP_DATA_DIR, else the per-user state
 * directory. Each role keeps its own sub-folder (server per port), so a server and several
 * clients can share one base without interfering.
 */
export function baseDataDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return path.resolve(flag);
  if (env['CHATAPP_DATA_DIR']) return path.resolve(env['CHATAPP_DATA_DIR']);
  const state = env['XDG_STATE_HOME'] ? path.resolve(env['XDG_STATE_HOME']) : path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'chatapp');
}

export function serverDataDir(base: string, port: number): string {
  return path.join(base, `server-${port}`);
}

/** Clients share one folder: a user's name secrets must be found again from any port. */
export function clientDataDir(base: string): string {
  return path.join(base, 'client');
}

export function defaultLogFile(base: string, role: 'server' | 'client', port: number): string {
  return path.join(base, 'logs', `${role}-${port}.log`);
}
