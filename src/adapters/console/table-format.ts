import type { TableRow } from '../../domain/client-table';
import { terminalSafe } from './terminal-safe';

/** Indent of the rows under a `>>> [...]` heading, so they read as its body. */
const INDENT = '    ';
const GAP = '  ';

/**
 * The lines of the `list` command: a `>>> [Client table: …]` heading, then one aligned row per
 * client (name, ip:port, online/offline), sorted by name so the list is easy to scan. Given
 * `fingerprint`, a KEY column shows the start of the key fingerprint of each client whose key
 * was asked for, `-` for the others (`whois` asks, and shows it whole).
 */
export function formatTable(rows: readonly TableRow[], fingerprint?: (key: string) => string): string[] {
  if (rows.length === 0) return ['>>> [Client table is empty.]'];
  const online = rows.filter((r) => r.online).length;
  const cells = [...rows]
    .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
    .map((r) => [terminalSafe(r.name), formatAddress(r.ip, r.port), ...(fingerprint ? [r.key === undefined ? '-' : `${fingerprint(r.key).slice(0, 19)}…`] : []), r.online ? 'online' : 'offline']);
  // The status stays last, where readers of the list (and scripts) find it.
  const header = ['NAME', 'ADDRESS', ...(fingerprint ? ['KEY'] : []), 'STATUS'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const format = (c: string[]): string => INDENT + c.map((v, i) => (i < c.length - 1 ? v.padEnd(widths[i]!) : v)).join(GAP);
  const count = `${rows.length} client${rows.length === 1 ? '' : 's'}`;
  return [`>>> [Client table: ${count}, ${online} online]`, format(header), ...cells.map(format)];
}

/** The `whois` line: the full fingerprint of `name`'s key as the server gave it. */
export function formatWhois(name: string, row: TableRow | undefined, fingerprint: (key: string) => string): string {
  if (!row) return `>>> [Error: no client named ${terminalSafe(name)} in the table; use list to see the table.]`;
  if (row.key === undefined) return `>>> [${terminalSafe(row.name)}: the server gave no key for it.]`;
  return `>>> [${terminalSafe(row.name)}: key fingerprint ${fingerprint(row.key)}]`;
}

/** ip:port, with IPv6 in brackets so the port cannot be mistaken for part of the address. */
function formatAddress(ip: string, port: number): string {
  const safe = terminalSafe(ip);
  return safe.includes(':') ? `[${safe}]:${port}` : `${safe}:${port}`;
}
