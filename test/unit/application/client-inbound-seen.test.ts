import { identityOf, keyed, sealedChat, sealedStored, testE2e, peerKeysKnowing } from '../../support/peer-keys';
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClientInbound } from '../../../src/application/client/client-inbound';
import { ClientSession } from '../../../src/application/client/client-session';
import type { ChatEvent } from '../../../src/application/ports/chat-view';
import type { SeenStore } from '../../../src/application/ports/seen-store';
import type { Message } from '../../../src/application/protocol/envelope';
import { ReliableSender } from '../../../src/application/reliable-sender';
import { NodeFileSystem } from '../../../src/adapters/fs/file-system';
import { FsSeenStore } from '../../../src/adapters/fs/fs-seen-store';
import { InMemorySeenStore } from '../../../src/adapters/in-memory/in-memory-seen-store';
import { SeededCrypto } from '../../../src/adapters/in-memory/seeded-crypto';
import { SystemClock } from '../../../src/adapters/system/system-clock';
import { encodeMessage } from '../../../src/adapters/wire/envelope-codec';
import { defaultSettings } from '../../../src/composition/config';
import type { Address } from '../../../src/domain/address';
import { FakeTransport } from '../../support/fake-transport';
import { RecordingFileSystem } from '../../support/recording-file-system';
import { RecordingLogger } from '../../support/recording-logger';

const SERVER: Address = { ip: '127.0.0.1', port: 5000 };
const BOB: Address = { ip: '127.0.0.1', port: 6002 };

function inboundWith(seen: SeenStore): { inbound: ClientInbound; events: ChatEvent[]; logger: RecordingLogger; session: ClientSession; transport: FakeTransport } {
  const settings = defaultSettings();
  const transport = new FakeTransport({ ip: '127.0.0.1', port: 7000 });
  const clock = new SystemClock();
  const session = new ClientSession({ name: 'Me', server: SERVER }, settings);
  session.identity = identityOf('Me');
  session.state = 'online';
  session.token = 'tok';
  session.table.applyFull(1, keyed([
    { name: 'Me', ip: '127.0.0.1', port: 7000, online: true },
    { name: 'Bob', ...BOB, online: true },
    { name: 'carol', ip: '127.0.0.1', port: 6003, online: false },
  ]));
  const events: ChatEvent[] = [];
  const logger = new RecordingLogger();
  const inbound = new ClientInbound(session, transport, new ReliableSender(transport, clock), { show: (e) => events.push(e) }, new SeededCrypto(1, 'me'), settings, logger, clock, seen, testE2e, peerKeysKnowing(session, transport, clock));
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
    deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', sealed: sealedChat('Bob', 'Me', 'm1', 'hi') }, BOB);
    deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', sealed: sealedChat('Bob', 'Me', 'm1', 'hi') }, BOB);
    deliver(inbound, { t: 'stored', id: 's1', token: 'tok', items: [{ id: 'm1', from: 'BOB', kind: 'direct', at: 1, text: sealedStored('BOB', 'Me', 'm1', 'hi') }, { id: 'm2', from: 'carol', kind: 'direct', at: 2, text: sealedStored('carol', 'Me', 'm2', 'yo') }] }, SERVER);
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
    deliver(inbound, { t: 'stored', id: 's1', token: 'tok', items: [{ id: 'm1', from: 'Bob', kind: 'direct', at: 1, text: sealedStored('Bob', 'Me', 'm1', 'hi') }] }, SERVER);
    await settle();
    expect(events).to.deep.equal([]);
    expect(transport.sentOf('ack', SERVER).map((s) => s.message.re)).to.deep.equal(['s1']);
  });

  it('shows the message when the store fails, and logs the failure instead of throwing it', async () => {
    const failing: SeenStore = {
      load: async () => [],
      add: () => Promise.reject(new Error('disk full')),
      flush: async () => undefined,
      close: async () => undefined,
    };
    const { inbound, events, logger, transport } = inboundWith(failing);
    deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', sealed: sealedChat('Bob', 'Me', 'm1', 'hi') }, BOB);
    await settle();
    expect(events).to.deep.equal([{ kind: 'direct-received', from: 'Bob', text: 'hi' }]);
    expect(logger.entries.filter((e) => e.level === 'warn').map((e) => e.message)).to.deep.equal(['could not remember a shown message']);
    // The message is never lost over it: the ACK still goes.
    expect(transport.sentOf('ack', BOB).map((s) => s.message.re)).to.deep.equal(['m1']);
  });

  describe('writes the shown id before the ACK leaves, and does not wait for its fsync (a kill -9 after the ACK cannot show it again)', () => {
    let dir: string;
    let spy: RecordingFileSystem;
    let store: FsSeenStore;

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatapp-inbound-seen-'));
      spy = new RecordingFileSystem(new NodeFileSystem());
      store = new FsSeenStore(dir, spy);
    });

    afterEach(async () => {
      spy.releaseSyncs();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The inbound, with every ACK sent noted on the file system's timeline. */
    function rig(): ReturnType<typeof inboundWith> {
      const parts = inboundWith(store);
      const send = parts.transport.send.bind(parts.transport);
      parts.transport.send = (to, message) => {
        if (message.t === 'ack') spy.note(`ack ${message.re}`);
        return send(to, message);
      };
      return parts;
    }

    async function until(condition: () => boolean, what: string): Promise<void> {
      for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
      if (!condition()) throw new Error(`timed out waiting for ${what}`);
    }

    /** The seen log's base name (the only file the store appends to). */
    const seenLog = (): string => spy.events.find((e) => e.startsWith('open append '))!.slice('open append '.length);
    /** How many lines the seen log holds now, as a new process would read them. */
    const linesOnDisk = (): number => fs.readFileSync(path.join(dir, 'seen', seenLog()), 'utf8').split('\n').length - 1;

    const cases: Array<[string, Message, Address, string]> = [
      ['a direct message', { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', sealed: sealedChat('Bob', 'Me', 'm1', 'hi') }, BOB, 'm1'],
      ['a channel message', { t: 'channel', id: 'c1', token: 'tok', from: 'Zed', text: 'all' }, SERVER, 'c1'],
      ['stored messages', { t: 'stored', id: 's1', token: 'tok', items: [{ id: 'm1', from: 'Bob', kind: 'direct', at: 1, text: sealedStored('Bob', 'Me', 'm1', 'hi') }, { id: 'm2', from: 'carol', kind: 'channel', at: 2, text: 'yo' }] }, SERVER, 's1'],
    ];
    for (const [what, message, from, ackId] of cases) {
      it(`for ${what}: shown at once, ACKed after the append of its id while the fsync is still held`, async () => {
        const { inbound, events, transport } = rig();
        await store.load('me');
        const log = seenLog();
        spy.holdSyncs();
        deliver(inbound, message, from);
        await until(() => transport.sentOf('ack').length > 0, 'the ACK');
        expect(events.length, 'shown').to.be.greaterThan(0);
        const e = spy.events;
        const acked = e.indexOf(`ack ${ackId}`);
        const appended = e.findIndex((x) => x.startsWith(`append ${log}`));
        expect(appended, e.join('\n')).to.be.within(0, acked);
        // What a kill -9 right now leaves: the id is in the file, its fsync not done.
        expect(e.slice(appended).some((x) => x.startsWith(`sync-end ${log}`)), e.join('\n')).to.equal(false);
        const reader = new FsSeenStore(dir);
        expect(await reader.load('me')).to.have.length(message.t === 'stored' ? 2 : 1);
        await reader.close();
        // The fsync follows the write on its own, and finishes once released.
        spy.releaseSyncs();
        await store.flush();
        const synced = spy.events.indexOf(`sync-end ${log}`, appended);
        expect(synced, spy.events.join('\n')).to.be.greaterThan(acked);
      });
    }

    it('ACKs a copy that arrives while the first copy is being written only after that write', async () => {
      const { inbound, transport } = rig();
      await store.load('me');
      const log = seenLog();
      const before = linesOnDisk();
      deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', sealed: sealedChat('Bob', 'Me', 'm1', 'hi') }, BOB);
      deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', sealed: sealedChat('Bob', 'Me', 'm1', 'hi') }, BOB);
      await until(() => transport.sentOf('ack').length === 2, 'both ACKs');
      const e = spy.events;
      const appended = e.findIndex((x) => x.startsWith(`append ${log}`));
      expect(appended, e.join('\n')).to.be.at.least(0);
      expect(e.indexOf('ack m1'), e.join('\n')).to.be.greaterThan(appended);
      expect(e.lastIndexOf('ack m1'), e.join('\n')).to.be.greaterThan(appended);
      expect(linesOnDisk() - before, 'written once').to.equal(1);
    });

    it('writes the ids of a burst in a few appends, each ACK after the append holding its id', async () => {
      const { inbound, transport } = rig();
      await store.load('me');
      const log = seenLog();
      spy.holdSyncs();
      for (let i = 0; i < 50; i++) deliver(inbound, { t: 'chat', id: `b${i}`, from: 'Bob', to: 'Me', sealed: sealedChat('Bob', 'Me', `b${i}`, `line ${i}`) }, BOB);
      await until(() => transport.sentOf('ack').length === 50, 'every ACK');
      const e = spy.events;
      const appends = e.flatMap((x, i) => (x.startsWith(`append ${log}`) ? [i] : []));
      expect(appends.length, e.join('\n')).to.be.within(1, 5);
      expect(linesOnDisk()).to.equal(50);
      for (let i = 0; i < 50; i++) expect(e.indexOf(`ack b${i}`), `ack b${i}`).to.be.greaterThan(appends[0]!);
    });
  });

  it('writes the shown id, and ACKs, only once the line is out (a view that gathers lines)', async () => {
    const timeline: string[] = [];
    const seen: SeenStore = {
      load: async () => [],
      add: async (_name, key) => void timeline.push(`seen ${key}`),
      flush: async () => undefined,
      close: async () => undefined,
    };
    const { inbound, transport } = inboundWith(seen);
    let release!: () => void;
    const out = new Promise<void>((resolve) => (release = resolve));
    (inbound as unknown as { view: { show: (e: ChatEvent) => void; shown: () => Promise<void> } }).view = {
      show: (e) => timeline.push(`show ${e.kind}`),
      shown: () => out.then(() => void timeline.push('out')),
    };
    const send = transport.send.bind(transport);
    transport.send = (to, message) => {
      if (message.t === 'ack') timeline.push(`ack ${message.re}`);
      return send(to, message);
    };
    deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', sealed: sealedChat('Bob', 'Me', 'm1', 'hi') }, BOB);
    await settle();
    expect(timeline).to.deep.equal(['show direct-received']);
    release();
    await settle();
    expect(timeline).to.deep.equal(['show direct-received', 'out', 'seen bob|m1', 'ack m1']);
  });

  it('survives a store that throws synchronously', async () => {
    const throwing: SeenStore = {
      load: async () => [],
      add: () => {
        throw new Error('bug');
      },
      flush: async () => undefined,
      close: async () => undefined,
    };
    const { inbound, events, logger } = inboundWith(throwing);
    deliver(inbound, { t: 'chat', id: 'm1', from: 'Bob', to: 'Me', sealed: sealedChat('Bob', 'Me', 'm1', 'hi') }, BOB);
    await settle();
    expect(events).to.have.length(1);
    expect(logger.entries.some((e) => e.level === 'warn')).to.equal(true);
  });
});
