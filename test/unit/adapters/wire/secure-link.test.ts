import { expect } from 'chai';
import { sameAddress, type Address } from '../../../../src/domain/address';
import { encodeMessage, decodeDatagram } from '../../../../src/adapters/wire/envelope-codec';
import { LINK_FINISH, LINK_HELLO, LINK_OVERHEAD_BYTES } from '../../../../src/adapters/wire/link/link-frames';
import { SecureLink, type LinkPolicy } from '../../../../src/adapters/wire/link/secure-link';
import { clientLinkPolicy } from '../../../../src/adapters/wire/link/link-policies';
import { InMemoryServerPins } from '../../../../src/adapters/wire/link/server-pins';
import { generateStaticKeyPair, type StaticKeyPair } from '../../../../src/adapters/wire/noise/noise-xx';
import type { Message } from '../../../../src/application/protocol/envelope';
import { freshHello } from '../../../support/attacker';
import { RecordingLogger } from '../../../support/recording-logger';

const A: Address = { ip: '127.0.0.1', port: 6001 };
const S: Address = { ip: '127.0.0.1', port: 5000 };
const OPEN: LinkPolicy = { protects: () => true, mayInitiate: () => true, accepts: () => true };

/** A node's static key, made once. */
function ownKey(): () => StaticKeyPair {
  const key = generateStaticKeyPair();
  return () => key;
}

/** Two links wired back to back: what one sends, the other receives at once (in order). */
function pair(): { client: SecureLink; server: SecureLink; delivered: { client: Message[]; server: Message[] }; wire: Buffer[] } {
  const delivered = { client: [] as Message[], server: [] as Message[] };
  const wire: Buffer[] = [];
  const client = new SecureLink({ logger: new RecordingLogger(), identity: ownKey(), policy: OPEN });
  const server = new SecureLink({ logger: new RecordingLogger(), identity: ownKey(), policy: OPEN });
  const carry = (to: SecureLink, from: Address, into: Message[]) => (_to: Address, data: Buffer): void => {
    wire.push(data);
    const opened = to.incoming(data, from);
    if (!opened) return;
    const decoded = decodeDatagram(opened.frame);
    if (decoded.ok) into.push(decoded.message);
  };
  client.attach(carry(server, A, delivered.server));
  server.attach(carry(client, S, delivered.client));
  return { client, server, delivered, wire };
}

/** Send `message` from `link` to `to` as a transport does: the datagram it returns goes out too. */
function send(link: SecureLink, to: Address, message: Message, out: (data: Buffer) => void): void {
  const data = link.outgoing(to, message, encodeMessage(message));
  if (data) out(data);
}

describe('adapters/wire: SecureLink', () => {
  it('holds the first frame through the handshake, then carries frames both ways sealed, each 29 bytes larger', () => {
    const { client, server, delivered, wire } = pair();
    const toServer = (data: Buffer): void => {
      wire.push(data);
      const opened = server.incoming(data, A);
      if (opened) delivered.server.push((decodeDatagram(opened.frame) as { message: Message }).message);
    };
    const confirm: Message = { t: 'confirm', id: 'c1', token: 'tok', have: 0 };
    send(client, S, confirm, toServer);
    expect(delivered.server).to.deep.equal([confirm]);
    expect(wire[0]![0]).to.equal(LINK_HELLO);
    expect(wire[0]!.length).to.be.at.least(600);
    const ack: Message = { t: 'ack', re: 'c1', status: 'ok' };
    send(server, A, ack, (data) => {
      expect(data.length).to.equal(encodeMessage(ack).length + LINK_OVERHEAD_BYTES);
      const opened = client.incoming(data, S);
      delivered.client.push((decodeDatagram(opened!.frame) as { message: Message }).message);
    });
    expect(delivered.client).to.deep.equal([ack]);
    expect(client.sessionCount).to.equal(1);
    expect(server.sessionCount).to.equal(1);
  });

  describe('a handshake begun by prepare() before there is anything to send', () => {
    /** A client link whose key comes later and whose policy says what it was asked, wired back to back with a server. */
    function prepared(accept: boolean): { client: SecureLink; server: SecureLink; delivered: Message[]; wire: Buffer[]; asked: string[]; giveKey: () => void } {
      const delivered: Message[] = [];
      const wire: Buffer[] = [];
      const asked: string[] = [];
      const later = generateStaticKeyPair();
      let key: StaticKeyPair | undefined;
      const client = new SecureLink({ logger: new RecordingLogger(), identity: () => key, policy: { ...OPEN, accepts: (_peer, staticKey) => (asked.push(staticKey), accept) } });
      const server = new SecureLink({ logger: new RecordingLogger(), identity: ownKey(), policy: OPEN });
      client.attach((_to, data) => {
        wire.push(data);
        const opened = server.incoming(data, A);
        if (opened) delivered.push((decodeDatagram(opened.frame) as { message: Message }).message);
      });
      server.attach((_to, data) => {
        wire.push(data);
        client.incoming(data, S);
      });
      return { client, server, delivered, wire, asked, giveKey: () => (key = later) };
    }
    const confirm: Message = { t: 'confirm', id: 'c1', token: 'tok', have: 0 };

    it('reads the answer without a key of its own; the first frame, once there is a key, finishes it after the policy accepted the server', () => {
      const p = prepared(true);
      p.client.prepare(S);
      expect(p.wire.map((d) => d[0])).to.have.length(2);
      expect(p.wire[0]![0]).to.equal(LINK_HELLO);
      expect(p.asked, 'judged only when the first frame finishes it').to.deep.equal([]);
      p.client.prepare(S);
      expect(p.wire, 'a second prepare sends nothing').to.have.length(2);
      p.giveKey();
      send(p.client, S, confirm, (data) => {
        p.wire.push(data);
        const opened = p.server.incoming(data, A);
        if (opened) p.delivered.push((decodeDatagram(opened.frame) as { message: Message }).message);
      });
      expect(p.asked).to.have.length(1);
      expect(p.delivered).to.deep.equal([confirm]);
      expect(p.wire.filter((d) => d[0] === LINK_HELLO), 'no second handshake').to.have.length(1);
      expect(p.client.sessionCount).to.equal(1);
      expect(p.server.sessionCount).to.equal(1);
    });

    it('never sends its key to a server whose key the policy refuses; the next frame begins another handshake', () => {
      const p = prepared(false);
      p.client.prepare(S);
      p.giveKey();
      expect(p.client.outgoing(S, confirm, encodeMessage(confirm))).to.equal(undefined);
      expect(p.asked).to.have.length(1);
      expect(p.wire.filter((d) => d[0] === LINK_FINISH), 'no message 3').to.have.length(0);
      expect(p.server.sessionCount).to.equal(0);
      expect(p.delivered).to.deep.equal([]);
      p.client.outgoing(S, confirm, encodeMessage(confirm));
      expect(p.wire.filter((d) => d[0] === LINK_HELLO)).to.have.length(2);
      expect(p.wire.filter((d) => d[0] === LINK_FINISH)).to.have.length(0);
      expect(p.asked).to.have.length(2);
    });
  });

  it('a client takes a push from an instance it has not heard of when it shows the system\'s key, answers it sealed, and refuses another key there', () => {
    const system = generateStaticKeyPair();
    const impostorKey = generateStaticKeyPair();
    const pins = new InMemoryServerPins();
    pins.pin(S, system.publicKey.toString('base64url'));
    const logger = new RecordingLogger();
    // The client knows only its start server S.
    const policy = clientLinkPolicy({ knows: (peer) => sameAddress(peer, S), startServer: () => S, pins, acceptNew: false, logger });
    const client = new SecureLink({ logger, identity: ownKey(), policy });
    const NEW: Address = { ip: '127.0.0.1', port: 5001 };
    const FAKE: Address = { ip: '127.0.0.1', port: 5002 };
    const instance = new SecureLink({ logger: new RecordingLogger(), identity: () => system, policy: OPEN });
    const impostor = new SecureLink({ logger: new RecordingLogger(), identity: () => impostorKey, policy: OPEN });
    const received: Array<{ from: Address; message: Message; peerKey: string | undefined }> = [];
    const toClientFrom = (from: Address) => (_to: Address, data: Buffer): void => {
      const opened = client.incoming(data, from);
      if (opened) received.push({ from, message: (decodeDatagram(opened.frame) as { message: Message }).message, peerKey: opened.peerKey });
    };
    instance.attach(toClientFrom(NEW));
    impostor.attach(toClientFrom(FAKE));
    const answers: Buffer[] = [];
    client.attach((to, data) => {
      answers.push(data);
      if (sameAddress(to, NEW)) instance.incoming(data, A);
      if (sameAddress(to, FAKE)) impostor.incoming(data, A);
    });
    const push: Message = { t: 'channel', id: 'p1', token: 'tok', from: 'w2', text: 'hello' };
    send(instance, A, push, (data) => toClientFrom(NEW)(A, data));
    send(impostor, A, { ...push, id: 'p2' }, (data) => toClientFrom(FAKE)(A, data));
    expect(received.map((r) => [r.from.port, (r.message as { id: string }).id])).to.deep.equal([[NEW.port, 'p1']]);
    expect(received[0]!.peerKey).to.equal(system.publicKey.toString('base64url'));
    // The ACK back to the new instance goes through the session, sealed.
    const ack: Message = { t: 'ack', re: 'p1' };
    const sealed = client.outgoing(NEW, ack, encodeMessage(ack));
    expect(sealed!.length).to.equal(encodeMessage(ack).length + LINK_OVERHEAD_BYTES);
    expect(pins.pinned(FAKE)).to.equal(undefined);
  });

  it('answers first handshake messages within its limits: per source, and in all across sources', () => {
    let replies = 0;
    const server = new SecureLink({
      logger: new RecordingLogger(),
      identity: ownKey(),
      policy: OPEN,
      now: () => 0,
      handshakeLimits: { perSource: { ratePerSecond: 1, burst: 3, maxSources: 100 }, overall: { ratePerSecond: 1, burst: 10 } },
    });
    server.attach(() => {
      replies += 1;
    });
    for (let i = 0; i < 10; i++) server.incoming(freshHello(), A);
    expect(replies, 'one source').to.equal(3);
    for (let port = 7000; port < 7020; port++) for (let i = 0; i < 3; i++) server.incoming(freshHello(), { ip: '127.0.0.1', port });
    expect(replies, 'many sources').to.equal(10);
  });
});
