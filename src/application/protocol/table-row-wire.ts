import type { TableRow } from '../../domain/client-table';

/*
 * A table row's compact form on the wire, shared by the codec (which writes and reads it)
 * and the table broadcaster (which sizes pages with it), so a page's size is known exactly
 * before it is encoded:
 *
 *   1 byte    flags: bit 0 online; bits 1-2 the address form (0 IPv4 as 4 bytes, 1 IPv6 as
 *             16 bytes, 2 an IP literal as one length byte and its ASCII characters, 3 the
 *             same address as the row before it in the page: no bytes)
 *   1 byte    S, how many leading characters the name shares with the name of the row
 *             before it in the page (0 for the first row)
 *   1 byte    N, then the N characters of the name after those ([A-Za-z0-9_-])
 *   0 | 4 | 16 | 1+L bytes   the address
 *   2 bytes   the port, big-endian
 *   0 | 32 bytes   the client's public key, when flags bit 3 says there is one
 *
 * A table lists names in the order they registered and most clients share few addresses, so
 * a row is often 6-8 bytes (c00001 after c00000 on the same IPv4: 6), against 63 as a JSON
 * object. Each page is read on its own: the first row of a page never refers back. S is always
 * the longest shared prefix and form 3 is used whenever the address repeats, so every page has
 * one encoding and a reader can insist on it.
 *
 * An address is sent as bytes only when reading the bytes back gives the very same string
 * (dotted decimal without leading zeros; IPv6 as RFC 5952 writes it, or ::ffff:a.b.c.d as
 * Node reports IPv4 on a dual-stack socket); any other literal (a zone id, upper case, an
 * uncompressed form) goes as text, so a row always decodes to what was encoded.
 */

/**
 * The most bytes a table datagram takes besides its rows: the frame prefix and the header
 * ["table","<id>","<token>",from,to,part,parts,false,<rows length>] with part ids of 32 and tokens of
 * 16 characters and numbers of 16 digits (the arithmetic is in envelope-codec.ts).
 */
export const TABLE_FRAME_MAX_BYTES = 145;

/** Address forms in a row's flags byte. */
export const ROW_FORM_IPV4 = 0;
export const ROW_FORM_IPV6 = 1;
export const ROW_FORM_LITERAL = 2;
export const ROW_FORM_SAME = 3;

/** Flags bit: the row ends with the client's 32-byte public key. */
export const ROW_FLAG_KEY = 8;
/** Bytes of a public key in a row. */
export const ROW_KEY_BYTES = 32;

/** Longest IP literal accepted in a table row (its length must fit the length byte). */
export const ROW_IP_MAX_CHARS = 64;

/**
 * Addresses already converted: a table holds few distinct addresses (often one), and every
 * page of it is sized and encoded, so each is parsed once. Bounded, as rows come and go.
 */
const IP_CACHE = new Map<string, Uint8Array | null>();
const IP_CACHE_MAX = 4096;

/**
 * The address's bytes (4 or 16) if they read back as exactly `ip`, else undefined (sent as
 * text). The array may be shared: callers copy it, never change it.
 */
export function ipToBytes(ip: string): Uint8Array | undefined {
  const cached = IP_CACHE.get(ip);
  if (cached !== undefined) return cached ?? undefined;
  const parsed = ip.includes(':') ? parseIpv6(ip) : parseIpv4(ip);
  const bytes = parsed && ipFromBytes(parsed) === ip ? parsed : undefined;
  if (IP_CACHE.size >= IP_CACHE_MAX) IP_CACHE.clear();
  IP_CACHE.set(ip, bytes ?? null);
  return bytes;
}

/** The canonical text of a 4- or 16-byte address. */
export function ipFromBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  // RFC 5952: the longest run of two or more zero groups (the first of equal ones) becomes ::.
  let bestAt = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) [bestAt, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLength))}`;
}

/** How many leading characters `a` and `b` share. */
export function sharedPrefix(a: string, b: string): number {
  const most = Math.min(a.length, b.length);
  let i = 0;
  while (i < most && a.charCodeAt(i) === b.charCodeAt(i)) i += 1;
  return i;
}

/** Bytes `row` takes in a page of rows right after `before` (undefined: first of its page). */
export function rowWireBytes(row: TableRow, before?: TableRow): number {
  const shared = before ? sharedPrefix(before.name, row.name) : 0;
  const name = 5 + utf8Length(row.name) - shared + (row.key === undefined ? 0 : ROW_KEY_BYTES);
  if (before && before.ip === row.ip) return name;
  const bytes = ipToBytes(row.ip);
  return name + (bytes ? bytes.length : 1 + utf8Length(row.ip));
}

/** UTF-8 length without Node's Buffer (this layer does not use Node APIs). */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i += 1;
    } else n += 3;
  }
  return n;
}

function parseIpv4(ip: string): Uint8Array | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > 255) return undefined;
    bytes[i] = Number(p);
  }
  return bytes;
}

function parseIpv6(ip: string): Uint8Array | undefined {
  if (!/^[0-9a-f:.]{2,45}$/.test(ip)) return undefined;
  let text = ip;
  let tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tail = parseIpv4(text.slice(lastColon + 1));
    if (!tail) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const split = (s: string): string[] | undefined => (s === '' ? [] : s.split(':'));
  const head = split(halves[0]!);
  const rest = halves.length === 2 ? split(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    bytes[2 * i] = v >> 8;
    bytes[2 * i + 1] = v & 0xff;
  }
  if (tail) bytes.set(tail, 12);
  return bytes;
}
