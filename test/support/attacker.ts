import { identityOf, keyed, sealedChat, sealedStored } from './peer-keys';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { hello, LINK_HELLO_MIN_BYTES } from '../../src/adapters/wire/link/link-frames';
import { formatAddress, type Address } from '../../src/domain/address';
import type { InMemoryNetwork } from '../../src/adapters/in-memory/in-memory-network';
import { decodeDatagram, encodeMessage } from '../../src/adapters/wire/envelope-codec';
import { REGISTER_MIN_BYTES, type Message, type MessageOf, type MessageType } from '../../src/application/protocol/envelope';

/** What an attacker's socket saw come back. */
export interface Traffic {
  datagrams: number;
  bytes: number;
}

export type Payload = Message | Buffer;

export function toBytes(payload: Payload): Buffer {
  return Buffer.isBuffer(payload) ? payload : encodeMessage(payload);
}

/** Decode what came back, for assertions (`undefined` if it is not a valid datagram). */
export function peek(data: Buffer): { t?: string; [k: string]: unknown } | undefined {
  const decoded = decodeDatagram(data);
  return decoded.ok ? (decoded.message as { t: string; [k: string]: unknown }) : undefined;
}

/**
 * A first handshake message of the secure link as a client would send it (padded, with an
 * ephemeral key never used before), which a server answers: what costs a server most per datagram.
 */
export function freshHello(): Buffer {
  const ephemeral = randomBytes(32);
  return hello(randomBytes(4).readUInt32BE(0), Buffer.concat([ephemeral, Buffer.alloc(LINK_HELLO_MIN_BYTES - 5 - 32)]));
}

/** A register the way a real client sends it: padded so no reply to it is larger. */
export function paddedRegister(id: string, name: string, secret: string): MessageOf<'register'> {
  return { t: 'register', id, name, secret, key: identityOf(name).publicKey, pad: '.'.repeat(REGISTER_MIN_BYTES) };
}

/** What a forged message may claim: a victim's name and token, a peer's address. */
export interface Claims {
  readonly name: string;
  readonly token: string;
  readonly secret: string;
  readonly id: string;
  readonly peer: Address;
}

/** One valid message of every type of the protocol, speaking with `c`'s claims. */
export function messageOfEveryType(c: Claims): { [T in MessageType]: MessageOf<T> } {
  return {
    register: paddedRegister(c.id, c.name, c.secret),
    welcome: { t: 'welcome', re: c.id, name: c.name, token: c.token },
    refused: { t: 'refused', re: c.id, reason: 'name-in-use' },
    confirm: { t: 'confirm', id: c.id, token: c.token, have: 0 },
    'table-request': { t: 'table-request', id: c.id, token: c.token, have: 0 },
    'key-request': { t: 'key-request', id: c.id, token: c.token, names: [c.name] },
    table: { t: 'table', id: c.id, token: c.token, from: 0, to: 1_000_000, part: 0, parts: 1, full: true, rows: [{ name: c.name, ip: c.peer.ip, port: c.peer.port, online: true }] },
    chat: { t: 'chat', id: c.id, from: c.name, to: c.name, sealed: sealedChat('eve', c.name, c.id, 'forged hello') },
    save: { t: 'save', id: c.id, token: c.token, from: c.name, to: c.name, sealed: sealedStored('eve', c.name, c.id, 'forged save') },
    dereg: { t: 'dereg', id: c.id, token: c.token, name: c.name },
    'send-all': { t: 'send-all', id: c.id, token: c.token, from: c.name, text: 'forged channel' },
    channel: { t: 'channel', id: c.id, token: c.token, from: c.name, text: 'forged channel' },
    probe: { t: 'probe', id: c.id, token: c.token },
    stored: { t: 'stored', id: c.id, token: c.token, items: [{ id: c.id, from: c.name, kind: 'direct', at: 0, text: sealedStored('eve', c.name, c.id, 'forged stored') }] },
    'not-kept': { t: 'not-kept', id: c.id, token: c.token, count: 7 },
    servers: { t: 'servers', id: c.id, token: c.token, servers: [formatAddress(c.peer)] },
    ack: { t: 'ack', re: c.id, status: 'ok' },
  };
}

/**
 * A hostile endpoint on the in-memory network: it sends from its own address, or forges
 * any source address (the in-memory network, like a LAN, does not check), and counts what
 * comes back to it.
 */
export class MemoryAttacker {
  readonly address: Address;
  readonly received: Traffic = { datagrams: 0, bytes: 0 };
  readonly sent: Traffic = { datagrams: 0, bytes: 0 };
  readonly inbox: Buffer[] = [];

  constructor(
    private readonly network: InMemoryNetwork,
    options: { ip?: string; port?: number } = {},
  ) {
    this.address = network.attach(
      {
        deliver: (data) => {
          this.received.datagrams += 1;
          this.received.bytes += data.length;
          if (this.inbox.length < 10_000) this.inbox.push(data);
        },
      },
      options.port ?? 0,
      options.ip ?? '127.0.0.1',
    );
  }

  send(to: Address, payload: Payload): void {
    this.spoof(this.address, to, payload);
  }

  /** Send with a forged source address (replies go to whoever really has it). */
  spoof(from: Address, to: Address, payload: Payload): void {
    const data = toBytes(payload);
    this.sent.datagrams += 1;
    this.sent.bytes += data.length;
    this.network.send(data, from, to);
  }

  close(): void {
    this.network.detach(this.address);
  }
}

/** A hostile UDP socket on 127.0.0.1 that counts what comes back to it. */
export class UdpAttacker {
  readonly received: Traffic = { datagrams: 0, bytes: 0 };
  readonly sent: Traffic = { datagrams: 0, bytes: 0 };
  readonly inbox: Buffer[] = [];
  private open = true;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly address: Address,
  ) {
    socket.on('message', (data) => {
      this.received.datagrams += 1;
      this.received.bytes += data.length;
      if (this.inbox.length < 1000) this.inbox.push(data);
    });
    // An ICMP "port unreachable" for a target that went away must not crash the attacker.
    socket.on('error', () => undefined);
  }

  static async open(host = '127.0.0.1'): Promise<UdpAttacker> {
    // A large receive buffer so replies are counted, not dropped by the kernel while we send.
    const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024, recvBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const { address, port } = socket.address();
    return new UdpAttacker(socket, { ip: address, port });
  }

  /** Send one datagram; resolves once it is handed to the kernel. */
  send(to: Address, payload: Payload): Promise<void> {
    const data = toBytes(payload);
    this.sent.datagrams += 1;
    this.sent.bytes += data.length;
    if (!this.open) return Promise.resolve();
    return new Promise((resolve) => this.socket.send(data, to.port, to.ip, () => resolve()));
  }

  close(): Promise<void> {
    if (!this.open) return Promise.resolve();
    this.open = false;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
