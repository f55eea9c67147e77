import { addressKey, type Address } from '../../domain/address';
import { MAX_DATAGRAM_BYTES, type Message } from '../../application/protocol/envelope';
import { SeededRandom } from './seeded-random';

/** Faults applied to every datagram; each is drawn independently per datagram and direction. */
export interface NetworkFaults {
  /** Probability a datagram is lost. */
  readonly loss: number;
  /** Probability a datagram is delivered twice. */
  readonly duplicate: number;
  /** Probability a datagram is held back by a random delay up to `reorderMaxDelayMs`. */
  readonly reorder: number;
  readonly reorderMaxDelayMs: number;
  /** Delay of every datagram (ms). */
  readonly latencyMs: number;
}

export const NO_FAULTS: NetworkFaults = { loss: 0, duplicate: 0, reorder: 0, reorderMaxDelayMs: 0, latencyMs: 0 };

/** One attached endpoint: receives raw bytes from an address. */
export interface NetworkEndpoint {
  deliver(data: Buffer, from: Address): void;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  bytes: number;
  maxDatagramBytes: number;
}

/**
 * A simulated datagram network for running many nodes in one process. Datagrams are bytes
 * (the real wire codec runs on both ends) delivered on timers, so fake timers drive it.
 * Faults are drawn from a seeded source: a failing run replays exactly from its seed.
 */
export class InMemoryNetwork {
  readonly random: SeededRandom;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, bytes: 0, maxDatagramBytes: 0 };
  private readonly endpoints = new Map<string, NetworkEndpoint>();
  private readonly cut = new Set<string>();
  private readonly cutOneWay = new Set<string>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private nextPort = 40000;
  private faults: NetworkFaults;
  /**
   * Largest datagram a transport on this network may send; larger ones are refused at the
   * sender, as a host refuses a datagram over its path MTU. Tests lower it to make a
   * transport refuse.
   */
  sendLimitBytes = MAX_DATAGRAM_BYTES;
  /**
   * Optional tap on every datagram sent (tests count and size them). `message` is what the
   * datagram carries, as the sending transport had it before sealing (absent for a secure
   * link's own handshake datagrams): tests choose their faults by it, as an attacker on the
   * wire could not.
   */
  onSend: ((data: Buffer, from: Address, to: Address, message?: Message) => void) | undefined;

  constructor(options: { seed?: number; faults?: Partial<NetworkFaults> } = {}) {
    this.random = new SeededRandom(options.seed ?? 1);
    this.faults = { ...NO_FAULTS, ...options.faults };
  }

  get seed(): number {
    return this.random.seed;
  }

  setFaults(faults: Partial<NetworkFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  /** Attach an endpoint at 127.0.0.1:`port` (0 picks a free port). */
  attach(endpoint: NetworkEndpoint, port: number, ip = '127.0.0.1'): Address {
    let chosen = port;
    if (chosen === 0) {
      while (this.endpoints.has(addressKey({ ip, port: this.nextPort }))) this.nextPort += 1;
      chosen = this.nextPort++;
    }
    const address = { ip, port: chosen };
    const key = addressKey(address);
    if (this.endpoints.has(key)) {
      const error = new Error(`address in use: ${ip}:${chosen}`) as NodeJS.ErrnoException;
      error.code = 'EADDRINUSE';
      throw error;
    }
    this.endpoints.set(key, endpoint);
    return address;
  }

  detach(address: Address): void {
    this.endpoints.delete(addressKey(address));
  }

  /** Cut the link between two addresses (both directions) until `heal`. */
  partition(a: Address, b: Address): void {
    this.cut.add(linkKey(a, b));
  }

  /** Drop everything `from` sends to `to` (the other direction still works) until `heal`. */
  partitionOneWay(from: Address, to: Address): void {
    this.cutOneWay.add(directionKey(from, to));
  }

  /** Restore the link between `a` and `b` (both directions, however cut), or every link. */
  heal(a?: Address, b?: Address): void {
    if (a && b) {
      this.cut.delete(linkKey(a, b));
      this.cutOneWay.delete(directionKey(a, b));
      this.cutOneWay.delete(directionKey(b, a));
    } else {
      this.cut.clear();
      this.cutOneWay.clear();
    }
  }

  send(data: Buffer, from: Address, to: Address, message?: Message): void {
    this.stats.sent += 1;
    this.stats.bytes += data.length;
    this.stats.maxDatagramBytes = Math.max(this.stats.maxDatagramBytes, data.length);
    this.onSend?.(data, from, to, message);
    if (this.cut.has(linkKey(from, to)) || this.cutOneWay.has(directionKey(from, to)) || this.random.chance(this.faults.loss)) {
      this.stats.lost += 1;
      return;
    }
    const copies = this.random.chance(this.faults.duplicate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated += 1;
    for (let i = 0; i < copies; i++) {
      let delay = this.faults.latencyMs;
      if (this.random.chance(this.faults.reorder)) {
        delay += 1 + this.random.int(Math.max(1, this.faults.reorderMaxDelayMs));
        this.stats.reordered += 1;
      }
      const copy = Buffer.from(data);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const endpoint = this.endpoints.get(addressKey(to));
        if (!endpoint) return;
        this.stats.delivered += 1;
        endpoint.deliver(copy, from);
      }, delay);
      this.timers.add(timer);
    }
  }

  /** Drop everything in flight (end of a test). */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

function linkKey(a: Address, b: Address): string {
  const [x, y] = [addressKey(a), addressKey(b)].sort();
  return `${x}~${y}`;
}

function directionKey(from: Address, to: Address): string {
  return `${addressKey(from)}>${addressKey(to)}`;
}
