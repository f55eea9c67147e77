import { expect } from 'chai';
import { ClientInbound } from '../../../src/application/client/client-inbound';
import { ClientSession } from '../../../src/application/client/client-session';
import type { ChatEvent } from '../../../src/application/ports/chat-view';
import type { SeenStore } from '../../../src/application/ports/seen-store';
import type { Message } from '../../../src/application/protocol/envelope';
import { ReliableSender } from '../../../src/application/reliable-sender';
import { InMemorySeenStore } from '../../../src/adapters/in-memory/in-memory-seen-store';
import { SeededCrypto } from '../../../src/adapters/in-memory/seeded-crypto';
import { SystemClock } from '../../../src/adapters/system/system-clock';
import { encodeMessage } from '../../../src/adapters/wire/envelope-codec';
import { defaultSettings } from '../../../src/composition/config';
import type { Address } from '../../../src/domain/address';
import { FakeTransport } from '../../support/fake-transport';
import { RecordingLogger } from '../../support/recording-logger';

const SERVER: Address = { ip: '127.0.0.1', port: 5000 };
const BOB: Address = { ip: '127.0.0.1', port: 6002 };

function inboundWith(seen: SeenStore): { inbound: ClientInbound; events: ChatEvent[]; logger: RecordingLogger; session: ClientSession; transport: FakeTransport } {
  const settings = defaultSettings();
  const transport = new FakeTransport({ ip: '127.0.0.1', port: 7000 });
  const clock = new SystemClock();
  const session = new ClientSession({ name: 'Me', server: SERVER }, settings);
  session.state = 'online';
  session.token = 'tok';
  session.table.applyFull(1, [
    { name: 'Me', ip: '127.0.0.1', port: 7000, online: true },
    { name: 'Bob', ...BOB, online: true },
  ]);
  const events: ChatEvent[] = [];
  const logger = new RecordingLogger();
  const inbound = new ClientInbound(session, transport, new ReliableSender(transport, clock), { show: (e) => events.push(e) }, new SeededCrypto(1, 'me'), settings, logger, clock, seen);
  return { inbound, events, logger, session, transport };
}

function deliver(inbound: ClientInbound, message: Message, from: Address): void {
  inbound.handle({ message, from, bytes: encodeMessage(message).length });
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('application/client-inbound: the seen store', () => {
  it('remembers each shown message once under its sender|id key, for this name', async () => {
    const seen = new InMemorySeenStore();
    const { inbound, events } = inboundWith(seen);
    deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', text: 'hi' }, BOB);
    deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', text: 'hi' }, BOB);
    deliver(inbound, { t: 'stored', id: 's1', token: 'tok', items: [{ id: 'm1', from: 'BOB', kind: 'direct', at: 1, text: 'hi' }, { id: 'm2', from: 'carol', kind: 'direct', at: 2, text: 'yo' }] }, SERVER);
    deliver(inbound, { t: 'channel', id: 'c1', token: 'tok', from: 'Zed', text: 'all' }, SERVER);
    await settle();
    expect(events.filter((e) => e.kind !== 'have-messages')).to.have.length(3);
    expect(await seen.load('me')).to.deep.equal(['bob|m1', 'carol|m2', 'zed|c1']);
  });

  it('does not show a message a previous process remembered, and still ACKs it', async () => {
    const seen = new InMemorySeenStore();
    await seen.add('me', 'bob|m1');
    const { inbound, events, session, transport } = inboundWith(seen);
    session.shown.seed(await seen.load('me'), Date.now());
    deliver(inbound, { t: 'stored', id: 's1', token: 'tok', items: [{ id: 'm1', from: 'Bob', kind: 'direct', at: 1, text: 'hi' }] }, SERVER);
    await settle();
    expect(events).to.deep.equal([]);
    expect(transport.sentOf('ack', SERVER).map((s) => s.message.re)).to.deep.equal(['s1']);
  });

  it('shows the message when the store fails, and logs the failure instead of throwing it', async () => {
    const failing: SeenStore = {
      load: async () => [],
      add: () => Promise.reject(new Error('disk full')),
      close: async () => undefined,
    };
    const { inbound, events, logger } = inboundWith(failing);
    deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', text: 'hi' }, BOB);
    await settle();
    expect(events).to.deep.equal([{ kind: 'direct-received', from: 'Bob', text: 'hi' }]);
    expect(logger.entries.filter((e) => e.level === 'warn').map((e) => e.message)).to.deep.equal(['could not remember a shown message']);
  });

  it('survives a store that throws synchronously', async () => {
    const throwing: SeenStore = {
      load: async () => [],
      add: () => {
        throw new Error('bug');
      },
      close: async () => undefined,
    };
    const { inbound, events, logger } = inboundWith(throwing);
    deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', text: 'hi' }, BOB);
    await settle();
    expect(events).to.have.length(1);
    expect(logger.entries.some((e) => e.level === 'warn')).to.equal(true);
  });
});
