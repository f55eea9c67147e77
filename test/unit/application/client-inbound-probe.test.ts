import { identityOf, keyed, sealedChat, sealedStored, testE2e, peerKeysKnowing } from '../../support/peer-keys';
import { expect } from 'chai';
import { ClientInbound } from '../../../src/application/client/client-inbound';
import { ClientSession } from '../../../src/application/client/client-session';
import { ReliableSender } from '../../../src/application/reliable-sender';
import { InMemorySeenStore } from '../../../src/adapters/in-memory/in-memory-seen-store';
import { SeededCrypto } from '../../../src/adapters/in-memory/seeded-crypto';
import { SystemClock } from '../../../src/adapters/system/system-clock';
import { encodeMessage } from '../../../src/adapters/wire/envelope-codec';
import { defaultSettings } from '../../../src/composition/config';
import type { Message } from '../../../src/application/protocol/envelope';
import { FakeTransport } from '../../support/fake-transport';
import { RecordingLogger } from '../../support/recording-logger';

const SERVER = { ip: '127.0.0.1', port: 5000 };

describe('application/client-inbound: probes', () => {
  function client(state: ClientSession['state']): { probe: () => number } {
    const settings = defaultSettings();
    const transport = new FakeTransport({ ip: '127.0.0.1', port: 7000 });
    const clock = new SystemClock();
    const session = new ClientSession({ name: 'me', server: SERVER }, settings);
    session.identity = identityOf('me');
  session.identity = identityOf('me');
    session.state = state;
    session.token = 'tok';
    const inbound = new ClientInbound(session, transport, new ReliableSender(transport, clock), { show: () => undefined }, new SeededCrypto(1, 'me'), settings, new RecordingLogger(), clock, new InMemorySeenStore(), testE2e, peerKeysKnowing(session, transport, clock));
    return {
      probe: () => {
        const message: Message = { t: 'probe', id: 'p1', token: 'tok' };
        inbound.handle({ message, from: SERVER, bytes: encodeMessage(message).length });
        return transport.sent.filter((s) => s.message.t === 'ack').length;
      },
    };
  }

  it('answers a probe from its server while online', () => {
    expect(client('online').probe()).to.equal(1);
  });

  it('does not answer while offline after dereg: the server must not take it for present', () => {
    expect(client('offline').probe()).to.equal(0);
  });
});
