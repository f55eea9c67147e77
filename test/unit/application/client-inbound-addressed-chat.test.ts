import { identityOf, keyed, sealedChat, sealedStored, TEST_ACK_PROOF, testE2e, peerKeysKnowing } from '../../support/peer-keys';
import { expect } from 'chai';
import { ClientInbound } from '../../../src/application/client/client-inbound';
import { ClientSession } from '../../../src/application/client/client-session';
import type { ChatEvent } from '../../../src/application/ports/chat-view';
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
const PORT_P: Address = { ip: '127.0.0.1', port: 6001 };
const CAROL: Address = { ip: '127.0.0.1', port: 6003 };

/** bob, online at port P (which alice held before she left silently), with carol in his table. */
function bobAtP(): { inbound: ClientInbound; events: ChatEvent[]; transport: FakeTransport } {
  const settings = defaultSettings();
  const transport = new FakeTransport(PORT_P);
  const clock = new SystemClock();
  const session = new ClientSession({ name: 'bob', server: SERVER }, settings);
  session.identity = identityOf('bob');
  session.state = 'online';
  session.token = 'tok';
  session.table.applyFull(1, keyed([
    { name: 'bob', ...PORT_P, online: true },
    { name: 'carol', ...CAROL, online: true },
  ]));
  const events: ChatEvent[] = [];
  const inbound = new ClientInbound(session, transport, new ReliableSender(transport, clock), { show: (e) => events.push(e) }, new SeededCrypto(1, 'b'), settings, new RecordingLogger(), clock, new InMemorySeenStore(), testE2e, peerKeysKnowing(session, transport, clock));
  return { inbound, events, transport };
}

function deliver(inbound: ClientInbound, message: Message, from: Address): void {
  inbound.handle({ message, from, bytes: encodeMessage(message).length });
}

/** Lets the ACK go: it leaves once the shown id is written to the seen store. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('application/client-inbound: a direct message acts only on its addressee', () => {
  it('a chat addressed to alice that reaches bob (now at her old port) is neither shown nor ACKed; one addressed to bob is', async () => {
    const { inbound, events, transport } = bobAtP();
    deliver(inbound, { t: 'chat', id: 'm1', from: 'carol', to: 'alice', sealed: sealedChat('carol', 'alice', 'm1', 'secret') }, CAROL);
    await settle();
    expect(events).to.deep.equal([]);
    expect(transport.sentOf('ack')).to.deep.equal([]);
    deliver(inbound, { t: 'chat', id: 'm2', from: 'carol', to: 'BOB', sealed: sealedChat('carol', 'BOB', 'm2', 'hello bob') }, CAROL);
    await settle();
    expect(events).to.deep.equal([{ kind: 'direct-received', from: 'carol', text: 'hello bob' }]);
    // The ACK echoes the proof sealed inside the message (checked by carol's client).
    expect(transport.sentOf('ack').map((s) => s.message)).to.deep.equal([{ t: 'ack', re: 'm2', proof: TEST_ACK_PROOF }]);
  });
});
