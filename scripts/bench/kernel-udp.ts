import { readFileSync } from 'node:fs';

/** Linux's UDP counters (/proc/net/snmp), to tell datagrams dropped by full receive buffers. */
export interface UdpCounters {
  readonly inDatagrams: number;
  readonly receiveBufferErrors: number;
}

export function udpCounters(): UdpCounters | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/).map(Number);
    const get = (name: string): number => values[names.indexOf(name)] ?? 0;
    return { inDatagrams: get('InDatagrams'), receiveBufferErrors: get('RcvbufErrors') };
  } catch {
    return undefined;
  }
}

/** Receive-buffer drops since `before` (machine-wide: other programs' drops count too). */
export function bufferDropsSince(before: UdpCounters | undefined): number | undefined {
  const now = udpCounters();
  return before && now ? now.receiveBufferErrors - before.receiveBufferErrors : undefined;
}
