/** Where a node can be reached: an IP literal and a UDP port. */
export interface Address {
  readonly ip: string;
  readonly port: number;
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.port === b.port && normalizeIp(a.ip) === normalizeIp(b.ip);
}

export function addressKey(a: Address): string {
  return `${normalizeIp(a.ip)}|${a.port}`;
}

export function formatAddress(a: Address): string {
  return a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

/** An IPv4 address seen on a dual-stack socket arrives as ::ffff:a.b.c.d; both are one address. */
function normalizeIp(ip: string): string {
  // Most addresses are IPv4 literals, already in their one form: no copy for them (this runs
  // several times for every datagram a node sends or receives).
  const first = ip.charCodeAt(0);
  if (first >= 48 && first <= 57 && !ip.includes(':')) return ip;
  const lower = ip.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

/**
 * Longest text `parseAddress` accepts: the longest IPv6 literal (45 characters, an IPv4
 * tail included) in brackets and a port of 5 digits. The wire's size bounds rely on it.
 */
export const ADDRESS_TEXT_MAX_CHARS = 53;

const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const ADDRESS_TEXT = /^(?:\[([0-9A-Fa-f:.]{2,45})\]|([0-9.]{7,15})):([1-9][0-9]{0,4})$/;

/** A dotted-quad IPv4 literal, each part 0-255 without a leading zero. */
export function isIPv4Literal(ip: string): boolean {
  return IPV4.test(ip);
}

/**
 * An IPv6 literal (hex groups, at most one `::`, an optional IPv4 tail), without a zone:
 * `fe80::1%eth0` names an interface of one host, no address another host can use.
 */
export function isIPv6Literal(ip: string): boolean {
  if (ip.length < 2 || ip.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(ip)) return false;
  let rest = ip;
  let tailGroups = 0;
  if (ip.includes('.')) {
    const cut = ip.lastIndexOf(':');
    if (cut < 0 || !isIPv4Literal(ip.slice(cut + 1))) return false;
    rest = ip.slice(0, cut + 1);
    if (!rest.endsWith('::')) rest = rest.slice(0, -1);
    tailGroups = 2;
  }
  const halves = rest.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  if (!groups.every((g) => HEX_GROUP.test(g))) return false;
  const count = groups.length + tailGroups;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/**
 * Reads an address as `formatAddress` writes it: `a.b.c.d:port` or `[ipv6]:port`, the port
 * 1-65535. Anything else (a host name, a zone, a missing or out-of-range port, spaces) is
 * undefined: this is the form instances of a system announce themselves in, never user input.
 */
export function parseAddress(text: string): Address | undefined {
  if (text.length > ADDRESS_TEXT_MAX_CHARS) return undefined;
  const match = ADDRESS_TEXT.exec(text);
  if (!match) return undefined;
  const [, v6, v4, portText] = match;
  const port = Number(portText);
  if (port > 65535) return undefined;
  if (v6 !== undefined) return isIPv6Literal(v6) ? { ip: v6, port } : undefined;
  return v4 !== undefined && isIPv4Literal(v4) ? { ip: v4, port } : undefined;
}
