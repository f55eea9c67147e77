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
  const lower = ip.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}
