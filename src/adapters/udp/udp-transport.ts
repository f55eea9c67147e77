import dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import type { Address } from '../../domain/address';
import type { Logger } from '../../application/ports/logger';
import type { Inbound, SendOutcome, SendRefusal, Transport } from '../../application/ports/transport';
import type { Message } from '../../application/protocol/envelope';
import type { DatagramLink } from '../wire/link/datagram-link';
import { frameForSending } from '../wire/link/frame-for-sending';
import { DatagramIntake } from '../wire/datagram-intake';
import { OutboundPacer } from '../wire/outbound-pacer';
import { AckMerger, handOn, MERGED } from '../wire/ack-runs';

/** Socket buffers large enough for a burst of table updates to thousands of clients. */
const SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;

export interface UdpTransportOptions {
  /** Port to bind; 0 picks a free one. */
  readonly port: number;
  /** Address to bind; default all interfaces (IPv6 and IPv4 where the system allows). */
  readonly host?: string;
  /** Secure sessions with some or all peers (absent: plain frames). */
  readonly link?: DatagramLink;
}

/**
 * The production transport: one UDP socket. It binds dual-stack when it can, so IPv4 and
 * IPv6 peers both work, and shows IPv4 peers as plain a.b.c.d.
 */
export class UdpTransport implements Transport {
  private socket: dgram.Socket | undefined;
  private dualStack = false;
  private handler: (inbound: Inbound) => void = () => undefined;
  private readonly intake: DatagramIntake;
  private readonly pacer = new OutboundPacer();
  private readonly acks: AckMerger;

  constructor(
    private readonly options: UdpTransportOptions,
    private readonly logger: Logger,
  ) {
    this.intake = new DatagramIntake(logger, options.link ? { link: options.link } : {});
    this.acks = new AckMerger((to, ack) => void this.sendNow(to, ack), options.link);
    options.link?.attach((to, data) => this.sendBytes(to, data));
  }

  onReceive(handler: (inbound: Inbound) => void): void {
    this.handler = handler;
  }

  async start(): Promise<Address> {
    const host = this.options.host;
    if (host === undefined) {
      try {
        return await this.bind('udp6', '::', true);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw error;
        return this.bind('udp4', '0.0.0.0', false);
      }
    }
    return this.bind(isIpv6Literal(host) ? 'udp6' : 'udp4', host, false);
  }

  send(to: Address, message: Message): Promise<SendOutcome> {
    if (!this.socket) return Promise.resolve(refused({ reason: 'closed' }));
    // A plain ACK to a peer outside the link goes with the others of this turn (AckMerger).
    if (this.acks.offer(to, message)) return Promise.resolve(MERGED);
    return Promise.resolve(this.sendNow(to, message));
  }

  private sendNow(to: Address, message: Message): SendOutcome {
    if (!this.socket) return refused({ reason: 'closed' });
    const framed = frameForSending(to, message, this.options.link);
    if (!framed.ok) {
      this.logger.error('refused to send a datagram', { type: message.t, ...framed.refusal });
      return refused(framed.refusal);
    }
    // Held by the link until its handshake completes: on its way, as far as the sender can tell.
    if (framed.data === undefined) return { sent: true, bytes: framed.bytes };
    const failure = this.sendBytes(to, framed.data);
    return failure === undefined ? { sent: true, bytes: framed.data.length } : refused({ reason: 'failed', detail: failure });
  }

  prepare(to: Address): Promise<void> | void {
    if (!this.socket || !this.options.link) return;
    this.options.link.prepare(to);
    // The socket puts a datagram on the wire a tick after send() (literalLookup answers on the
    // next tick, as dns.lookup does); a tick queued now runs after that one.
    return new Promise((resolve) => process.nextTick(resolve));
  }

  /** Puts `data` on the wire, at once or in its turn (see OutboundPacer); returns why not if Node refused it at once. */
  private sendBytes(to: Address, data: Buffer): string | undefined {
    if (!this.socket) return 'closed';
    return this.pacer.send(to, () => this.putOnWire(to, data));
  }

  private putOnWire(to: Address, data: Buffer): string | undefined {
    const socket = this.socket;
    if (!socket) return 'closed';
    const ip = this.dualStack && !isIpv6Literal(to.ip) ? `::ffff:${to.ip}` : to.ip;
    try {
      // No completion callback: Node then tries the send at once (uv_udp_try_send) instead of
      // queueing a request and calling back, about a third less per datagram. The price is
      // that a failure the kernel reports later (unreachable) goes unseen, which UDP allows:
      // the reliable sender retransmits whatever is not ACKed.
      socket.send(data, to.port, ip);
      return undefined;
    } catch (error) {
      // Node throws synchronously for an invalid port or address: nothing left, say so.
      this.logger.debug('send failed', { to: `${to.ip}:${to.port}`, error: (error as Error).message });
      return (error as Error).message;
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.pacer.close();
    this.acks.clear();
    if (!socket) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Datagrams dropped as invalid since start. */
  get droppedDatagrams(): number {
    return this.intake.droppedTotal;
  }

  private bind(type: 'udp4' | 'udp6', host: string, dualStack: boolean): Promise<Address> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket({ type, ipv6Only: false, recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES, lookup: literalLookup });
      const onError = (error: Error): void => {
        socket.close();
        reject(error);
      };
      socket.once('error', onError);
      socket.bind(this.options.port, host, () => {
        socket.off('error', onError);
        socket.on('error', (error) => this.logger.warn('socket error', { error: error.message }));
        socket.on('message', (data, rinfo) => this.receive(data, rinfo));
        this.socket = socket;
        this.dualStack = dualStack;
        const local = socket.address();
        resolve({ ip: local.address, port: local.port });
      });
    });
  }

  private receive(data: Buffer, rinfo: dgram.RemoteInfo): void {
    const ip = rinfo.address.startsWith('::ffff:') && rinfo.address.includes('.') ? rinfo.address.slice(7) : rinfo.address;
    const inbound = this.intake.accept(data, { ip, port: rinfo.port });
    if (!inbound) return;
    handOn(inbound, this.handler, this.logger);
  }
}

/**
 * The addresses this transport binds and sends to are IP literals (the bind address, peers
 * from the table or from received datagrams), so a colon is enough to tell the families apart;
 * net.isIPv6's pattern costs milliseconds to compile at its first use, on every start.
 */
function isIpv6Literal(ip: string): boolean {
  return ip.includes(':');
}

function isIpv4Literal(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** IPv4 literals already checked by literalLookup, forgotten all at once past KNOWN_IPV4_MAX. */
const KNOWN_IPV4 = new Set<string>();
const KNOWN_IPV4_MAX = 10_000;

/**
 * The socket's address lookup (it runs for the bind and for every send): a literal is used as
 * it is, as Node's own lookup would after checking it with net.isIP (see isIpv6Literal); only
 * a name goes to the resolver. A malformed literal is refused by the socket itself.
 */
function literalLookup(address: string, options: LookupOneOptions | number, callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  // Called back on the next tick, as dns.lookup does, so the socket sees the order it expects.
  if (isIpv6Literal(address)) return process.nextTick(callback, null, address, 6);
  if (KNOWN_IPV4.has(address)) return process.nextTick(callback, null, address, 4);
  if (isIpv4Literal(address)) {
    // A server sends to the same few thousand addresses over and over: each is checked once.
    if (KNOWN_IPV4.size >= KNOWN_IPV4_MAX) KNOWN_IPV4.clear();
    KNOWN_IPV4.add(address);
    return process.nextTick(callback, null, address, 4);
  }
  // Node's socket passes the family as a number, which dns.lookup takes in place of options.
  dnsLookup(address, options as LookupOneOptions, callback);
}

function refused(refusal: SendRefusal): SendOutcome {
  return { sent: false, refusal };
}
