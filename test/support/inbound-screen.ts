import { identityOf } from './peer-keys';
import 'reflect-metadata';
import { ContainerModule } from 'inversify';
import { ClientInbound } from '../../src/application/client/client-inbound';
import { ClientSession } from '../../src/application/client/client-session';
import { PeerKeys } from '../../src/application/client/peer-keys';
import { ChatView, type ChatEvent } from '../../src/application/ports/chat-view';
import { Clock } from '../../src/application/ports/clock';
import { Crypto } from '../../src/application/ports/crypto';
import { Logger } from '../../src/application/ports/logger';
import { Transport, type Inbound, type SendOutcome } from '../../src/application/ports/transport';
import type { Message } from '../../src/application/protocol/envelope';
import type { Address } from '../../src/domain/address';
import { SeededCrypto } from '../../src/adapters/in-memory/seeded-crypto';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { encodeMessage } from '../../src/adapters/wire/envelope-codec';
import { defaultSettings, type ClientConfig } from '../../src/composition/config';
import { createContainer } from '../../src/composition/create-container';
import { memoryStoresModule } from '../../src/composition/memory-stores-module';
import { RecordingLogger } from './recording-logger';

/** A transport that hands what the client sends to the screen's owner, which puts it on its own socket. */
class HandOverTransport implements Transport {
  constructor(private readonly onSend: (message: Message) => void) {}
  onReceive(): void {}
  async start(): Promise<Address> {
    return { ip: '127.0.0.1', port: 0 };
  }
  async send(_to: Address, message: Message): Promise<SendOutcome> {
    this.onSend(message);
    return { sent: true, bytes: encodeMessage(message).length };
  }
  async close(): Promise<void> {}
}

/**
 * What a user would see: the real client's inbound handling (ClientInbound, with its session,
 * dedup and seen store, from a real container) fed the datagrams a raw test client received,
 * and a view that records every event it is asked to show. What it sends (its ACKs) goes to
 * `onSend`, so the raw client ACKs exactly what the real client would. The checker counts what
 * was shown; it never asks the client's dedup what it decided.
 */
export class InboundScreen {
  private readonly inbound: ClientInbound;
  private readonly session: ClientSession;
  private readonly keys: PeerKeys;

  constructor(name: string, private readonly server: Address, seed: number, onShow: (event: ChatEvent) => void, onSend: (message: Message) => void = () => undefined) {
    const config: ClientConfig = { role: 'client', name, server, port: 0, settings: defaultSettings() };
    const container = createContainer(config, [
      memoryStoresModule(),
      new ContainerModule(({ bind }) => {
        bind(Transport).toConstantValue(new HandOverTransport(onSend));
        bind(ChatView).toConstantValue({ show: onShow });
        bind(Logger).toConstantValue(new RecordingLogger());
        bind(Clock).toConstantValue(new SystemClock());
        bind(Crypto).toConstantValue(new SeededCrypto(seed, name));
      }),
    ]);
    this.inbound = container.get(ClientInbound);
    this.session = container.get(ClientSession);
    this.keys = container.get(PeerKeys);
    // The raw client registers with the test key of its name (peer-keys.ts), and so do its peers.
    this.session.identity = identityOf(name);
  }

  /** The raw client is online with this session token (the server's pushes carry it). */
  online(token: string): void {
    this.session.state = 'online';
    this.session.token = token;
  }

  /** A push from the server, as the real client would handle it. */
  receive(message: Message): void {
    // The raw client asks the server for no keys: the senders of stored direct messages have
    // their test keys, as the server would give them.
    if (message.t === 'stored') {
      const unknown = message.items.filter((item) => item.kind === 'direct' && this.keys.get(item.from) === undefined);
      this.keys.learn(unknown.map((item) => ({ name: item.from, ip: '127.0.0.1', port: 1, online: false, key: identityOf(item.from).publicKey })));
    }
    this.inbound.handle({ message, from: this.server, bytes: encodeMessage(message).length } satisfies Inbound);
  }
}
