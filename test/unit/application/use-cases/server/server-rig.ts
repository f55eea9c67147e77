import 'reflect-metadata';
import { ContainerModule, type Container } from 'inversify';
import sinon from 'sinon';
import { ChatView } from '../../../../../src/application/ports/chat-view';
import { Clock } from '../../../../../src/application/ports/clock';
import { Crypto } from '../../../../../src/application/ports/crypto';
import { Logger } from '../../../../../src/application/ports/logger';
import { Transport } from '../../../../../src/application/ports/transport';
import { ReliableSender } from '../../../../../src/application/reliable-sender';
import { isReply, type Message, type MessageOf } from '../../../../../src/application/protocol/envelope';
import { LivenessProbe } from '../../../../../src/application/server/liveness-probe';
import { ServerState } from '../../../../../src/application/server/server-state';
import { TableBroadcaster } from '../../../../../src/application/server/table-broadcaster';
import type { ChatSettings } from '../../../../../src/application/settings';
import { AcceptDeregistration } from '../../../../../src/application/use-cases/server/accept-deregistration';
import { AcceptRegistration } from '../../../../../src/application/use-cases/server/accept-registration';
import { ConfirmRegistration } from '../../../../../src/application/use-cases/server/confirm-registration';
import { DeliverOfflineMessages } from '../../../../../src/application/use-cases/server/deliver-offline-messages';
import { MarkOffline } from '../../../../../src/application/use-cases/server/mark-offline';
import { RelayChannelMessage } from '../../../../../src/application/use-cases/server/relay-channel-message';
import { ServeTableRequest } from '../../../../../src/application/use-cases/server/serve-table-request';
import { StoreOfflineMessage } from '../../../../../src/application/use-cases/server/store-offline-message';
import { InMemoryMailboxStore } from '../../../../../src/adapters/in-memory/in-memory-mailbox-store';
import { InMemoryRegistryStore } from '../../../../../src/adapters/in-memory/in-memory-registry-store';
import { identityOf } from '../../../../support/peer-keys';
import { SeededCrypto } from '../../../../../src/adapters/in-memory/seeded-crypto';
import { SystemClock } from '../../../../../src/adapters/system/system-clock';
import { encodeMessage } from '../../../../../src/adapters/wire/envelope-codec';
import { defaultSettings, type ServerConfig } from '../../../../../src/composition/config';
import { createContainer } from '../../../../../src/composition/create-container';
import { memoryStoresModule } from '../../../../../src/composition/memory-stores-module';
import type { Address } from '../../../../../src/domain/address';
import { ackEverything, FakeTransport } from '../../../../support/fake-transport';
import { RecordingLogger } from '../../../../support/recording-logger';
import { RecordingView } from '../../../../support/recording-view';

export const SERVER: Address = { ip: '127.0.0.1', port: 5000 };
export const A: Address = { ip: '127.0.0.1', port: 6001 };
export const B: Address = { ip: '127.0.0.1', port: 6002 };
export const C: Address = { ip: '127.0.0.1', port: 6003 };
export const D: Address = { ip: '127.0.0.1', port: 6004 };

export const FAKE_TIMERS = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date', 'performance'] as const;

/** A request as it arrived (with its size on the wire, which registration checks). */
export function inbound<M extends Message>(message: M, from: Address): { message: M; from: Address; bytes: number } {
  return { message, from, bytes: encodeMessage(message).length };
}

/**
 * The server's use cases from a fresh container (the production wiring), over a fake
 * transport and in-memory stores, under sinon's fake clock. Replies that reach the fake
 * transport go to the reliable sender, as the server's inbound router would send them.
 */
export class ServerRig {
  readonly clock: sinon.SinonFakeTimers;
  readonly settings: ChatSettings;
  readonly transport = new FakeTransport(SERVER);
  readonly crypto = new SeededCrypto(5, 's');
  readonly registryStore = new InMemoryRegistryStore();
  readonly mailbox: InMemoryMailboxStore;
  readonly logger = new RecordingLogger();
  readonly view = new RecordingView();
  readonly container: Container;
  readonly sender: ReliableSender;
  readonly state: ServerState;
  readonly broadcaster: TableBroadcaster;
  readonly markOffline: MarkOffline;
  readonly probe: LivenessProbe;
  readonly deliver: DeliverOfflineMessages;
  readonly acceptRegistration: AcceptRegistration;
  readonly confirmRegistration: ConfirmRegistration;
  readonly acceptDeregistration: AcceptDeregistration;
  readonly storeOffline: StoreOfflineMessage;
  readonly relayChannel: RelayChannelMessage;
  readonly serveTable: ServeTableRequest;
  private ids = 0;

  constructor(overrides: Partial<ChatSettings> = {}) {
    this.clock = sinon.useFakeTimers({ now: new Date(2026, 0, 15, 9, 30, 0), toFake: [...FAKE_TIMERS] });
    this.settings = defaultSettings(overrides);
    this.mailbox = new InMemoryMailboxStore(this.settings.mailboxQuota);
    const config: ServerConfig = { role: 'server', port: SERVER.port, settings: this.settings };
    this.container = createContainer(config, [
      memoryStoresModule({ mailbox: this.mailbox, registry: this.registryStore }),
      new ContainerModule(({ bind }) => {
        bind(Transport).toConstantValue(this.transport);
        bind(ChatView).toConstantValue(this.view);
        bind(Logger).toConstantValue(this.logger);
        bind(Clock).toConstantValue(new SystemClock());
        bind(Crypto).toConstantValue(this.crypto);
      }),
    ]);
    this.sender = this.container.get(ReliableSender);
    this.state = this.container.get(ServerState);
    this.broadcaster = this.container.get(TableBroadcaster);
    this.markOffline = this.container.get(MarkOffline);
    this.probe = this.container.get(LivenessProbe);
    this.deliver = this.container.get(DeliverOfflineMessages);
    this.acceptRegistration = this.container.get(AcceptRegistration);
    this.confirmRegistration = this.container.get(ConfirmRegistration);
    this.acceptDeregistration = this.container.get(AcceptDeregistration);
    this.storeOffline = this.container.get(StoreOfflineMessage);
    this.relayChannel = this.container.get(RelayChannelMessage);
    this.serveTable = this.container.get(ServeTableRequest);
    this.transport.onReceive((i) => {
      if (isReply(i.message)) this.sender.handleReply(i.message, i.from);
    });
  }

  nextId(): string {
    this.ids += 1;
    return `r${this.ids}`;
  }

  registerMessage(name: string, secret: string): MessageOf<'register'> {
    return { t: 'register', id: this.nextId(), name, secret, key: identityOf(name).publicKey, pad: '.'.repeat(600) };
  }

  /** Register `name` from `from`; resolves with the session token (throws if refused). */
  async register(name: string, from: Address, secret = `secret-${name.toLowerCase()}`): Promise<string> {
    const reply = await this.acceptRegistration.execute(inbound(this.registerMessage(name, secret), from));
    if (reply?.t !== 'welcome') throw new Error(`registration of ${name} failed: ${JSON.stringify(reply)}`);
    return reply.token;
  }

  /** Register and confirm `name` at `from`, a live client that ACKs everything; settle the pushes. */
  async online(name: string, from: Address, secret?: string): Promise<string> {
    this.transport.respondAt(from, ackEverything);
    const token = await this.register(name, from, secret);
    const reply = await this.confirmRegistration.execute(inbound({ t: 'confirm', id: this.nextId(), token, have: 0 }, from));
    if (reply?.t !== 'ack') throw new Error(`confirm of ${name} failed`);
    await this.clock.tickAsync(20);
    return token;
  }

  /** Take `name` offline through a dereg from its own session. */
  async offline(name: string, from: Address, token: string): Promise<void> {
    const reply = await this.acceptDeregistration.execute(inbound({ t: 'dereg', id: this.nextId(), token, name }, from));
    if (reply?.t !== 'ack') throw new Error(`dereg of ${name} failed`);
    await this.clock.tickAsync(20);
  }

  /** Run `execute` while simulated time passes; resolves with its result. */
  async during<T>(promise: Promise<T>, ms: number): Promise<T> {
    await this.clock.tickAsync(ms);
    return promise;
  }

  /** Table datagrams sent to `to` since index `since` of the transport log. */
  tablesTo(to: Address, since = 0): Array<MessageOf<'table'>> {
    return this.transport.sent.slice(since).filter((s) => s.message.t === 'table' && s.to.port === to.port && s.to.ip === to.ip).map((s) => s.message as MessageOf<'table'>);
  }

  mark(): number {
    return this.transport.sent.length;
  }

  sentSince(since: number): Array<{ to: Address; message: Message }> {
    return this.transport.sent.slice(since);
  }

  /** Stop everything; returns how many fake timers were left (must be 0). */
  async stop(): Promise<number> {
    this.broadcaster.stop();
    this.sender.cancelAll();
    await this.transport.close();
    const left = this.clock.countTimers();
    this.clock.restore();
    return left;
  }
}

