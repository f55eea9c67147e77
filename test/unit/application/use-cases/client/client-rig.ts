import 'reflect-metadata';
import { ContainerModule, type Container } from 'inversify';
import sinon from 'sinon';
import { ClientSession } from '../../../../../src/application/client/client-session';
import { ChatView } from '../../../../../src/application/ports/chat-view';
import { Clock } from '../../../../../src/application/ports/clock';
import { Crypto } from '../../../../../src/application/ports/crypto';
import { Logger } from '../../../../../src/application/ports/logger';
import { Transport } from '../../../../../src/application/ports/transport';
import { isReply, type Message, type Reply } from '../../../../../src/application/protocol/envelope';
import { ReliableSender } from '../../../../../src/application/reliable-sender';
import type { ChatSettings } from '../../../../../src/application/settings';
import { ConfirmRegistration } from '../../../../../src/application/use-cases/client/confirm-registration';
import { Deregister } from '../../../../../src/application/use-cases/client/deregister';
import { LeaveOfflineMessage } from '../../../../../src/application/use-cases/client/leave-offline-message';
import { Register } from '../../../../../src/application/use-cases/client/register';
import { SendChannelMessage } from '../../../../../src/application/use-cases/client/send-channel-message';
import { SendDirectMessage } from '../../../../../src/application/use-cases/client/send-direct-message';
import { InMemorySecretStore } from '../../../../../src/adapters/in-memory/in-memory-secret-store';
import { SeededCrypto } from '../../../../../src/adapters/in-memory/seeded-crypto';
import { SystemClock } from '../../../../../src/adapters/system/system-clock';
import { defaultSettings, type ClientConfig } from '../../../../../src/composition/config';
import { createContainer } from '../../../../../src/composition/create-container';
import { PeerKeys } from '../../../../../src/application/client/peer-keys';
import { memoryStoresModule } from '../../../../../src/composition/memory-stores-module';
import type { Address } from '../../../../../src/domain/address';
import type { TableRow } from '../../../../../src/domain/client-table';
import { FakeTransport } from '../../../../support/fake-transport';
import { identityOf, keyed, testE2e } from '../../../../support/peer-keys';
import { RecordingLogger } from '../../../../support/recording-logger';
import { RecordingView } from '../../../../support/recording-view';

export const SERVER: Address = { ip: '127.0.0.1', port: 5000 };
export const ME: Address = { ip: '127.0.0.1', port: 7000 };
export const BOB: TableRow = { name: 'Bob', ip: '127.0.0.1', port: 6002, online: true };
export const CAROL: TableRow = { name: 'carol', ip: '127.0.0.1', port: 6003, online: false };

const FAKE_TIMERS = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date', 'performance'] as const;

/**
 * A client's use cases from a fresh container (the production wiring) over a fake
 * transport, under sinon's fake clock. The test plays the server and the peers: it answers
 * through `transport.respondAt` or by injecting replies, which reach the reliable sender.
 */
export class ClientRig {
  readonly clock: sinon.SinonFakeTimers;
  readonly settings: ChatSettings;
  readonly transport = new FakeTransport(ME);
  readonly secrets = new InMemorySecretStore();
  readonly crypto = new SeededCrypto(9, 'c');
  readonly container: Container;
  readonly session: ClientSession;
  readonly sender: ReliableSender;
  readonly register: Register;
  readonly confirm: ConfirmRegistration;
  readonly deregister: Deregister;
  readonly sendDirect: SendDirectMessage;
  readonly leaveOffline: LeaveOfflineMessage;
  readonly sendChannel: SendChannelMessage;
  readonly t0: number;

  constructor(name = 'alice', overrides: Partial<ChatSettings> = {}) {
    this.clock = sinon.useFakeTimers({ now: new Date(2026, 2, 1, 8, 0, 0), toFake: [...FAKE_TIMERS] });
    this.t0 = Date.now();
    this.settings = defaultSettings(overrides);
    const config: ClientConfig = { role: 'client', name, server: SERVER, port: ME.port, settings: this.settings };
    this.container = createContainer(config, [
      memoryStoresModule({ secrets: this.secrets, e2e: testE2e }),
      new ContainerModule(({ bind }) => {
        bind(Transport).toConstantValue(this.transport);
        bind(ChatView).toConstantValue(new RecordingView());
        bind(Logger).toConstantValue(new RecordingLogger());
        bind(Clock).toConstantValue(new SystemClock());
        bind(Crypto).toConstantValue(this.crypto);
      }),
    ]);
    this.session = this.container.get(ClientSession);
    this.sender = this.container.get(ReliableSender);
    this.register = this.container.get(Register);
    this.confirm = this.container.get(ConfirmRegistration);
    this.deregister = this.container.get(Deregister);
    this.sendDirect = this.container.get(SendDirectMessage);
    this.leaveOffline = this.container.get(LeaveOfflineMessage);
    this.sendChannel = this.container.get(SendChannelMessage);
    this.transport.onReceive((i) => {
      if (isReply(i.message)) this.sender.handleReply(i.message, i.from);
    });
  }

  /** Make the session online with a token and a table holding it, Bob (online) and carol (offline). */
  goOnline(token = 'tok-1'): void {
    this.session.state = 'online';
    this.session.token = token;
    this.session.identity = identityOf(this.session.name);
    this.session.table.applyFull(3, keyed([{ name: this.session.name, ip: ME.ip, port: ME.port, online: true }, BOB, CAROL]));
    // As if the server had answered a key request for every name in the table.
    this.container.get(PeerKeys).learn(this.session.table.rows());
  }

  /** The server answers each request of type `type` with `answer(request)`. */
  serverAnswers(answer: (request: Message) => Reply | undefined): void {
    this.transport.respondAt(SERVER, answer);
  }

  sendTimes(type: Message['t']): number[] {
    return this.transport.sentOf(type).map((s) => s.atMs - this.t0);
  }

  /** Advance time until `promise` settles (at most `ms`), then return it. */
  async settle<T>(promise: Promise<T>, ms = 3000): Promise<T> {
    await this.clock.tickAsync(ms);
    return promise;
  }

  async stop(): Promise<number> {
    this.sender.cancelAll();
    await this.transport.close();
    const left = this.clock.countTimers();
    this.clock.restore();
    return left;
  }
}
