import { identityOf, sealedStored } from '../support/peer-keys';
import { expect } from 'chai';
import dgram from 'node:dgram';
import type { Inbound, Transport } from '../../src/application/ports/transport';
import { PROTOCOL_VERSION, type Message } from '../../src/application/protocol/envelope';
import { InMemoryNetwork } from '../../src/adapters/in-memory/in-memory-network';
import { InMemoryTransport } from '../../src/adapters/in-memory/in-memory-transport';
import { UdpTransport } from '../../src/adapters/udp/udp-transport';
import { encodeMessage } from '../../src/adapters/wire/envelope-codec';
import type { Address } from '../../src/domain/address';
import { RecordingLogger } from '../support/recording-logger';

/** What a contract run needs from one transport technology. */
interface TransportFactory {
  /** A transport bound to `port` (0: any free port). */
  create(port?: number): Transport;
  /** Put raw bytes on the wire from a foreign endpoint to `to`. */
  sendRaw(data: Buffer, to: Address): Promise<void>;
  /** Release what the factory itself holds. */
  dispose(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll until `done()` holds, failing after `timeoutMs` (real timers: UDP delivery is asynchronous). */
async function until(done: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A quiet pause long enough for a datagram on loopback (or the in-memory network) to land. */
const SETTLE_MS = 60;

function transportContract(name: string, makeFactory: () => TransportFactory): void {
  describe(`Transport contract: ${name}`, () => {
    let factory: TransportFactory;
    const open: Transport[] = [];

    beforeEach(() => {
      factory = makeFactory();
    });
    afterEach(async () => {
      for (const t of open.splice(0)) await t.close();
      await factory.dispose();
    });

    async function started(port = 0): Promise<{ transport: Transport; address: Address; received: Inbound[] }> {
      const transport = factory.create(port);
      const received: Inbound[] = [];
      transport.onReceive((i) => received.push(i));
      open.push(transport);
      const address = await transport.start();
      return { transport, address, received };
    }

    const marker = (id: string): Message => ({ t: 'probe', id, token: 'tok' });

    it('start resolves with the bound address: an IP and a real port', async () => {
      const { address } = await started();
      expect(address.ip).to.be.a('string').and.not.equal('');
      expect(address.port).to.be.a('number');
      expect(address.port).to.be.greaterThan(0).and.lessThan(65536);
    });

    it('delivers a message from A to B with from = A and bytes = the encoded length; send returns that count', async () => {
      const a = await started();
      const b = await started();
      const message: Message = { t: 'channel', id: 'm1', token: 'tok', from: 'alice', text: 'hello' };
      const outcome = await a.transport.send(b.address, message);
      expect(outcome).to.deep.equal({ sent: true, bytes: encodeMessage(message).length });
      const bytes = encodeMessage(message).length;
      await until(() => b.received.length === 1, 'the message at B');
      const got = b.received[0]!;
      expect(got.message).to.deep.equal(message);
      expect(got.from).to.deep.equal(a.address);
      expect(got.bytes).to.equal(bytes);
      expect(a.received).to.deep.equal([]);
    });

    it('round-trips every message shape of the protocol', async () => {
      const a = await started();
      const b = await started();
      const messages: Message[] = [
        { t: 'register', id: 'r1', name: 'alice', secret: 'sec_1', key: 'A'.repeat(42) + 'E', pad: '.'.repeat(600) },
        { t: 'welcome', re: 'r1', name: 'alice', token: 'tok' },
        { t: 'refused', re: 'r1', reason: 'name-in-use' },
        { t: 'confirm', id: 'c1', token: 'tok', have: 0 },
        { t: 'table-request', id: 'q1', token: 'tok', have: 7 },
        { t: 'channel', id: 'm1', token: 'tok', from: 'alice', text: 'hi "there" \\ \t' },
        { t: 'table', id: 't1', token: 'tok', from: 0, to: 3, part: 0, parts: 1, full: true, rows: [{ name: 'alice', ip: '127.0.0.1', port: 6000, online: true }] },
        { t: 'save', id: 's1', token: 'tok', from: 'alice', to: 'bob', sealed: 'bGF0ZXIgc2VhbGVkIGZvciBib2IgYnkgYWxpY2UgKG9wYXF1ZSk' },
        { t: 'dereg', id: 'd1', token: 'tok', name: 'alice' },
        { t: 'send-all', id: 'a1', token: 'tok', from: 'alice', text: 'all' },
        { t: 'channel', id: 'a1', token: 'tok', from: 'alice', text: 'all' },
        { t: 'stored', id: 'st1', token: 'tok', items: [{ id: 'm1', from: 'bob', kind: 'direct', at: 1_700_000_000_000, text: 'eA' }] },
        { t: 'ack', re: 's1', status: 'saved', version: 4 },
        { t: 'ack', re: 's2' },
      ];
      for (const m of messages) expect((await a.transport.send(b.address, m)).sent, m.t).to.equal(true);
      await until(() => b.received.length === messages.length, 'every message');
      expect(b.received.map((i) => i.message)).to.have.deep.members(messages);
    });

    it('round-trips Unicode text intact', async () => {
      const a = await started();
      const b = await started();
      const texts = ['héllo wörld', '日本語のテキスト', '😀👩‍👩‍👧‍👦🇫🇷', 'e\u0301 combining', 'עברית RTL', '\u0000\u001b[31m control', 'quote " backslash \\ newline \n'];
      for (const [i, text] of texts.entries()) await a.transport.send(b.address, { t: 'channel', id: `u${i}`, token: 'tok', from: 'alice', text });
      await until(() => b.received.length === texts.length, 'the Unicode messages');
      const got = new Map(b.received.map((r) => [(r.message as { id: string }).id, (r.message as { text: string }).text]));
      texts.forEach((text, i) => expect(got.get(`u${i}`)).to.equal(text));
    });

    it('never delivers invalid datagrams to the handler', async () => {
      const b = await started();
      const valid = encodeMessage({ t: 'chat', id: 'ok1', from: 'alice', to: 'bob', sealed: 'aGk' });
      const header = ['chat', 'ok1', 'alice', 'bob', 2];
      const frame = (head: unknown, body: string | Buffer = 'hi', version = PROTOCOL_VERSION): Buffer => {
        const h = Buffer.from(JSON.stringify(head));
        return Buffer.concat([Buffer.from([version, h.length >> 8, h.length & 0xff]), h, Buffer.from(body)]);
      };
      expect(frame(header).equals(valid), 'the frame helper writes what the codec writes').to.equal(true);
      const invalid: Array<[string, Buffer]> = [
        ['garbage bytes', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x7f])],
        ['text that is not a frame', Buffer.from('hello there')],
        ['a JSON datagram of protocol 1', Buffer.from(JSON.stringify({ v: 1, t: 'chat', id: 'x', from: 'alice', text: 'hi' }))],
        ['a truncated prefix', valid.subarray(0, 2)],
        ['a truncated header', valid.subarray(0, 10)],
        ['a truncated body', valid.subarray(0, valid.length - 1)],
        ['a body longer than its length says', Buffer.concat([valid, Buffer.from('!')])],
        ['a header that is not JSON', Buffer.concat([Buffer.from([PROTOCOL_VERSION, 0, 3]), Buffer.from('[1,hi')])],
        ['a header that is an object', frame({ t: 'channel', id: 'x', token: 'tok', from: 'alice', text: 2 })],
        ['a header that is null', frame(null)],
        ['an unknown type', frame(['launch-missiles', 'ok1', 'alice', 'bob', 2])],
        ['a __proto__ type', frame(['__proto__', 'ok1', 'alice', 'bob', 2])],
        ['no type', frame(['ok1', 'alice', 'bob', 2])],
        ['an extra field', frame([...header, 'stream1', 1, true])],
        ['an absent optional field written as a trailing null', frame([...header, null])],
        ['a missing field', frame(['chat', 'ok1', 'alice', 2])],
        ['a mistyped field', frame(['chat', 'ok1', 'alice', 'bob', '2'])],
        ['a negative body length', frame(['chat', 'ok1', 'alice', 'bob', -1])],
        ['a body length past the end', frame(['chat', 'ok1', 'alice', 'bob', 3])],
        ['a text body that is not UTF-8', frame(['channel', 'ok1', 'tok', 'alice', 2], Buffer.from([0xff, 0xfe]))],
        ['a hostile name', frame(['chat', 'ok1', '../etc/passwd', 'bob', 2])],
        ['an id over 24 characters', frame(['chat', 'x'.repeat(25), 'alice', 'bob', 2])],
        ['a wrong protocol version', frame(header, 'hi', PROTOCOL_VERSION + 1)],
        ['more than 1200 bytes', frame(['chat', 'ok1', 'alice', 'bob', 1200], 'x'.repeat(1200))],
        ['an empty datagram', Buffer.alloc(0)],
      ];
      for (const [, data] of invalid) await factory.sendRaw(data, b.address);
      // A valid datagram sent after them marks the point by which they would have arrived.
      await factory.sendRaw(encodeMessage(marker('after')), b.address);
      await until(() => b.received.some((r) => (r.message as { id?: string }).id === 'after'), 'the marker');
      await sleep(SETTLE_MS);
      expect(b.received.map((r) => r.message)).to.deep.equal([marker('after')]);
    });

    it('accepts a datagram of exactly 1200 bytes', async () => {
      const b = await started();
      // The header names the text's length, so a text of 1,000+ bytes adds 3 digits to it.
      const base = encodeMessage({ t: 'channel', id: 'big', token: 'tok', from: 'alice', text: 'x'.repeat(1000) }).length - 1000;
      const message: Message = { t: 'channel', id: 'big', token: 'tok', from: 'alice', text: 'x'.repeat(1200 - base) };
      expect(encodeMessage(message).length).to.equal(1200);
      await factory.sendRaw(encodeMessage(message), b.address);
      await until(() => b.received.length === 1, 'the 1200-byte datagram');
      expect(b.received[0]!.bytes).to.equal(1200);
    });

    it('refuses to send a datagram over 1200 bytes: says so, and nothing arrives', async () => {
      const a = await started();
      const b = await started();
      const huge: Message = { t: 'channel', id: 'huge', token: 'tok', from: 'alice', text: 'x'.repeat(1300) };
      expect(await a.transport.send(b.address, huge)).to.deep.equal({ sent: false, refusal: { reason: 'oversize', bytes: encodeMessage(huge).length, limitBytes: 1200 } });
      await a.transport.send(b.address, marker('after'));
      await until(() => b.received.length >= 1, 'the marker');
      await sleep(SETTLE_MS);
      expect(b.received.map((r) => r.message)).to.deep.equal([marker('after')]);
    });

    it('send before start resolves as refused: closed', async () => {
      const b = await started();
      const idle = factory.create(0);
      open.push(idle);
      expect(await idle.send(b.address, marker('early'))).to.deep.equal({ sent: false, refusal: { reason: 'closed' } });
    });

    it('close stops delivery and frees the port for a new transport', async () => {
      const a = await started();
      const b = await started();
      await b.transport.close();
      await a.transport.send(b.address, marker('into-the-void'));
      await sleep(SETTLE_MS);
      expect(b.received).to.deep.equal([]);
      expect(await b.transport.send(a.address, marker('from-closed'))).to.deep.equal({ sent: false, refusal: { reason: 'closed' } });

      const again = await started(b.address.port);
      expect(again.address.port).to.equal(b.address.port);
      await a.transport.send(again.address, marker('to-the-new-one'));
      await until(() => again.received.length === 1, 'delivery to the rebound port');
      expect(b.received).to.deep.equal([]);
      await b.transport.close(); // closing twice is harmless
    });

    it('refuses to bind a port already in use', async () => {
      const a = await started();
      const clash = factory.create(a.address.port);
      let error: unknown;
      try {
        await clash.start();
        open.push(clash);
      } catch (e) {
        error = e;
      }
      expect(error, 'second bind on the same port').to.be.instanceOf(Error);
      expect((error as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
    });

    it('a handler that throws does not stop the transport', async () => {
      const a = await started();
      const b = factory.create(0);
      open.push(b);
      const received: string[] = [];
      b.onReceive((i) => {
        const id = (i.message as { id: string }).id;
        received.push(id);
        if (id === 'boom') throw new Error('handler bug');
      });
      const bAddress = await b.start();
      await a.transport.send(bAddress, marker('boom'));
      await until(() => received.length === 1, 'the first message');
      await a.transport.send(bAddress, marker('still-alive'));
      await until(() => received.length === 2, 'a message after the throw');
      expect(received).to.deep.equal(['boom', 'still-alive']);
    });
  });
}

transportContract('UdpTransport on 127.0.0.1', () => {
  // A plain socket of our own for raw bytes, opened on first use and closed after each test.
  let raw: Promise<dgram.Socket> | undefined;
  return {
    create: (port = 0) => new UdpTransport({ port, host: '127.0.0.1' }, new RecordingLogger()),
    async sendRaw(data, to) {
      raw ??= new Promise((resolve) => {
        const socket = dgram.createSocket('udp4');
        socket.bind(0, '127.0.0.1', () => resolve(socket));
      });
      const socket = await raw;
      await new Promise<void>((resolve, reject) => socket.send(data, to.port, to.ip, (e) => (e ? reject(e) : resolve())));
    },
    async dispose() {
      if (!raw) return;
      const socket = await raw;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
});

transportContract('InMemoryTransport on an InMemoryNetwork', () => {
  const network = new InMemoryNetwork({ seed: 1 });
  const foreign: Address = { ip: '127.0.0.1', port: 39999 };
  return {
    create: (port = 0) => new InMemoryTransport(network, port, new RecordingLogger()),
    async sendRaw(data, to) {
      network.send(data, foreign, to);
    },
    async dispose() {
      network.close();
    },
  };
});
