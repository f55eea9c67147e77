import type { Address } from '../../src/domain/address';
import type { InMemoryNetwork } from '../../src/adapters/in-memory/in-memory-network';
import { InMemoryTransport } from '../../src/adapters/in-memory/in-memory-transport';
import { SecureLink } from '../../src/adapters/wire/link/secure-link';
import { generateStaticKeyPair, type StaticKeyPair } from '../../src/adapters/wire/noise/noise-xx';
import type { Message } from '../../src/application/protocol/envelope';
import { RecordingLogger } from './recording-logger';

/**
 * An endpoint on the in-memory network that speaks through a secure link under a key of its
 * choosing (a stand-in for a server instance holding the system's key, or an impostor with
 * its own), believing any peer. What it receives is kept, decoded, in `inbox`.
 */
export class LinkedPeer {
  readonly inbox: Message[] = [];
  readonly link: SecureLink;
  /** Its static public key (base64url), as the table would list it. */
  readonly publicKey: string;
  private readonly transport: InMemoryTransport;

  private constructor(network: InMemoryNetwork, port: number, key: StaticKeyPair, ip?: string) {
    this.publicKey = key.publicKey.toString('base64url');
    this.link = new SecureLink({ logger: new RecordingLogger(), identity: () => key, policy: { protects: () => true, mayInitiate: () => true, accepts: () => true } });
    this.transport = new InMemoryTransport(network, port, new RecordingLogger(), this.link, ip);
    this.transport.onReceive((inbound) => this.inbox.push(inbound.message));
  }

  static async start(network: InMemoryNetwork, port: number, key: StaticKeyPair = generateStaticKeyPair(), ip?: string): Promise<LinkedPeer> {
    const peer = new LinkedPeer(network, port, key, ip);
    await peer.transport.start();
    return peer;
  }

  send(to: Address, message: Message): void {
    void this.transport.send(to, message);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
