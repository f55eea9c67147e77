import { identityOf, keyed, sealedChat, sealedChatWith, sealedStored, testE2e, peerKeysKnowing } from '../../support/peer-keys';
import { InMemorySecretStore } from '../../../src/adapters/in-memory/in-memory-secret-store';
import { storedContext } from '../../../src/application/protocol/sealing';
import { keysBeside } from '../../../src/composition/memory-stores-module';
import { expect } from 'chai';
import fc from 'fast-check';
import { ClientInbound } from '../../../src/application/client/client-inbound';
import { ClientSession } from '../../../src/application/client/client-session';
import type { ChatEvent } from '../../../src/application/ports/chat-view';
import type { Clock, TimerHandle } from '../../../src/application/ports/clock';
import { TABLE_ACK_RUN, type Message, type MessageOf } from '../../../src/application/protocol/envelope';
import { ReliableSender } from '../../../src/application/reliable-sender';
import { decodeDatagram, encodeMessage } from '../../../src/adapters/wire/envelope-codec';
import { SeededCrypto } from '../../../src/adapters/in-memory/seeded-crypto';
import { InMemorySeenStore } from '../../../src/adapters/in-memory/in-memory-seen-store';
import { defaultSettings } from '../../../src/composition/config';
import { addressKey, type Address } from '../../../src/domain/address';
import type { TableRow } from '../../../src/domain/client-table';
import { nameKey } from '../../../src/domain/nickname';
import { FakeTransport } from '../../support/fake-transport';
import { RecordingLogger } from '../../support/recording-logger';
import { Scenario, SERVER_PORT } from '../../support/scenario';

const SERVER: Address = { ip: '127.0.0.1', port: SERVER_PORT };
const ME: TableRow = { name: 'me', ip: '127.0.0.1', port: 7000, online: true };
const PEERS: TableRow[] = [
  { name: 'peer1', ip: '127.0.0.1', port: 6001, online: true },
  { name: 'Peer2', ip: '127.0.0.1', port: 6002, online: true },
];
const CHANNEL_SENDERS = ['peer1', 'Peer2', 'zed'];

/** A clock that never fires on its own: requests the client makes (table requests) stay in flight until cancelled. */
class ManualClock implements Clock {
  readonly timers = new Set<object>();
  constructor(private nowMs: number) {}
  now(): number {
    return this.nowMs;
  }
  monotonicMs(): number {
    return this.nowMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
  setTimer(): TimerHandle {
    const handle = {};
    this.timers.add(handle);
    return handle;
  }
  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as object);
  }
}

/** One message a sender made: shown live (chat/channel) and/or via the server's mailbox (stored). */
interface GenMessage {
  readonly kind: 'direct' | 'channel';
  readonly sender: string;
  readonly id: string;
  readonly live: number;
  readonly stored: number;
  /** Spell the sender's name differently in the stored copy (same identity, case-insensitively). */
  readonly storedUpper: boolean;
}

/** A table update from the server in one or two parts, each part delivered 0..3 times. */
interface GenUpdate {
  readonly full: boolean;
  readonly parts: number;
  readonly copies: number[];
}

interface Delivery {
  readonly message: Message;
  readonly from: Address;
  /** Index of the generated message (for chat/channel/stored) or update (for table parts). */
  readonly ref: { kind: 'msg'; index: number; via: 'live' | 'stored' } | { kind: 'table'; index: number; part: number };
}

const messageArb = fc.record({
  kind: fc.constantFrom<'direct' | 'channel'>('direct', 'channel'),
  senderPick: fc.nat(2),
  // A small id pool: the same id from different senders must still be two messages.
  id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
  live: fc.nat(4),
  stored: fc.nat(4),
  storedUpper: fc.boolean(),
}).map((m): GenMessage => ({
  kind: m.kind,
  sender: m.kind === 'direct' ? PEERS[m.senderPick % PEERS.length]!.name : CHANNEL_SENDERS[m.senderPick]!,
  id: m.id,
  live: m.live,
  stored: m.stored,
  storedUpper: m.storedUpper,
}));

const updateArb = fc
  .record({ full: fc.boolean(), parts: fc.integer({ min: 1, max: 2 }), c0: fc.nat(3), c1: fc.nat(3) })
  .map((u): GenUpdate => ({ full: u.full, parts: u.parts, copies: u.parts === 1 ? [u.c0] : [u.c0, u.c1] }));

const caseArb = fc
  .record({
    messages: fc.uniqueArray(messageArb, { minLength: 1, maxLength: 12, selector: (m) => `${nameKey(m.sender)}|${m.id}` }),
    updates: fc.array(updateArb, { maxLength: 4 }),
  })
  .chain((c) => {
    const deliveries = buildDeliveries(c.messages, c.updates);
    return fc.shuffledSubarray(deliveries, { minLength: deliveries.length, maxLength: deliveries.length }).map((order) => ({ ...c, order }));
  });

function textOf(i: number): string {
  return `msg ${i} ✓ 😀 héllo`;
}

function versionOf(updateIndex: number): number {
  // The client starts at version 1; update k brings version k + 2.
  return updateIndex + 2;
}

function rowsOf(updateIndex: number, full: boolean): TableRow[] {
  const extra: TableRow = { name: `extra${updateIndex}`, ip: '127.0.0.1', port: 9000 + updateIndex, online: true };
  return keyed(full ? [ME, ...PEERS, extra] : [extra]);
}

function buildDeliveries(messages: GenMessage[], updates: GenUpdate[]): Delivery[] {
  const out: Delivery[] = [];
  messages.forEach((m, index) => {
    const text = textOf(index);
    const peer = PEERS.find((p) => p.name === m.sender);
    for (let c = 0; c < m.live; c++) {
      if (m.kind === 'direct') {
        out.push({ message: { t: 'chat', id: m.id, from: m.sender, to: ME.name, sealed: sealedChat(m.sender, ME.name, m.id, text) }, from: { ip: peer!.ip, port: peer!.port }, ref: { kind: 'msg', index, via: 'live' } });
      } else {
        out.push({ message: { t: 'channel', id: m.id, token: 'tok', from: m.sender, text }, from: SERVER, ref: { kind: 'msg', index, via: 'live' } });
      }
    }
    for (let c = 0; c < m.stored; c++) {
      const from = m.storedUpper ? m.sender.toUpperCase() : m.sender;
      // Odd copies reuse one envelope (a retransmission), even ones are a new delivery attempt (next log-in).
      const envelope = `st${index}x${c % 2 === 1 ? 1 : c}`;
      out.push({
        message: { t: 'stored', id: envelope, token: 'tok', items: [{ id: m.id, from, kind: m.kind, at: 1_700_000_000_000 + index, text: m.kind === 'direct' ? sealedStored(from, ME.name, m.id, text) : text }] },
        from: SERVER,
        ref: { kind: 'msg', index, via: 'stored' },
      });
    }
  });
  updates.forEach((u, index) => {
    const v = versionOf(index);
    const rows = rowsOf(index, u.full);
    const perPart = Math.ceil(rows.length / u.parts);
    for (let part = 0; part < u.parts; part++) {
      const message: MessageOf<'table'> = {
        t: 'table',
        id: `tb${index}_${part}`,
        token: 'tok',
        from: u.full ? 0 : v - 1,
        to: v,
        part,
        parts: u.parts,
        full: u.full,
        rows: rows.slice(part * perPart, (part + 1) * perPart),
      };
      for (let c = 0; c < u.copies[part]!; c++) out.push({ message, from: SERVER, ref: { kind: 'table', index, part } });
    }
  });
  return out;
}

/** The reference model of what the client's table does with the updates, in arrival order. */
function modelTable(order: Delivery[], updates: GenUpdate[]): { version: number; applied: number; gaps: number } {
  let version = 1;
  let applied = 0;
  let gaps = 0;
  const seenParts = updates.map(() => new Set<number>());
  const done = updates.map(() => false);
  for (const d of order) {
    if (d.ref.kind !== 'table') continue;
    const { index, part } = d.ref;
    if (seenParts[index]!.has(part)) continue;
    seenParts[index]!.add(part);
    if (seenParts[index]!.size < updates[index]!.parts || done[index]) continue;
    done[index] = true;
    const to = versionOf(index);
    const from = updates[index]!.full ? 0 : to - 1;
    if (to <= version) continue;
    if (updates[index]!.full || from === version) {
      version = to;
      applied += 1;
    } else gaps += 1;
  }
  return { version, applied, gaps };
}

/**
 * The ACKs a client sends for the table parts, in arrival order (protocol 9): the parts held in
 * a row from part 0 are ACKed together (`run:<id of the run's last part>`) every TABLE_ACK_RUN
 * parts, at the last part, when a part comes again, and when a part arrives past a gap, which
 * is also ACKed on its own (`<id>`); a run of one part is a plain ACK; a copy of a part of an
 * update already complete is ACKed on its own.
 */
function modelTableAcks(order: Delivery[], updates: GenUpdate[]): string[] {
  const acks: string[] = [];
  const held = updates.map(() => new Set<number>());
  const acked = updates.map(() => 0);
  const complete = updates.map(() => false);
  const idOf = (index: number, part: number): string => `tb${index}_${part}`;
  for (const d of order) {
    if (d.ref.kind !== 'table') continue;
    const { index, part } = d.ref;
    const repeated = held[index]!.has(part);
    if (complete[index]) {
      acks.push(idOf(index, part));
      continue;
    }
    held[index]!.add(part);
    let run = 0;
    while (held[index]!.has(run)) run += 1;
    complete[index] = held[index]!.size === updates[index]!.parts;
    const pastGap = part >= run;
    if (run > 0 && (complete[index] || repeated || (pastGap && run > acked[index]!) || Math.floor(run / TABLE_ACK_RUN) > Math.floor(acked[index]! / TABLE_ACK_RUN))) {
      acks.push(`${run > 1 ? 'run:' : ''}${idOf(index, run - 1)}`);
      acked[index] = run;
    }
    if (pastGap) acks.push(idOf(index, part));
  }
  return acks;
}

async function runCase(c: { messages: GenMessage[]; updates: GenUpdate[]; order: Delivery[] }): Promise<void> {
  const settings = defaultSettings();
  const transport = new FakeTransport({ ip: ME.ip, port: ME.port });
  const clock = new ManualClock(1_800_000_000_000);
  const sender = new ReliableSender(transport, clock);
  const session = new ClientSession({ name: ME.name, server: SERVER }, settings);
  session.identity = identityOf(ME.name);
  session.state = 'online';
  session.token = 'tok';
  session.table.applyFull(1, keyed([ME, ...PEERS]));
  const events: ChatEvent[] = [];
  const inbound = new ClientInbound(session, transport, sender, { show: (e) => events.push(e) }, new SeededCrypto(3, 'me'), settings, new RecordingLogger(), clock, new InMemorySeenStore(), testE2e, peerKeysKnowing(session, sender, clock));

  for (const d of c.order) {
    inbound.handle({ message: d.message, from: d.from, bytes: encodeMessage(d.message).length });
    clock.advance(7);
  }
  // ACKs leave once the shown ids are in the seen store.
  await new Promise((resolve) => setImmediate(resolve));

  // Exactly-once display: each message delivered at least once is shown once, by its first copy's kind.
  const shown = events.filter((e) => e.kind === 'direct-received' || e.kind === 'channel-received' || e.kind === 'stored-received');
  c.messages.forEach((m, index) => {
    const text = textOf(index);
    const mine = shown.filter((e) => 'text' in e && e.text === text);
    const copies = m.live + m.stored;
    expect(mine.length, `message ${index} (${m.kind} ${m.sender}|${m.id}, ${m.live} live + ${m.stored} stored copies)`).to.equal(copies > 0 ? 1 : 0);
    if (copies === 0) return;
    const first = c.order.find((d) => d.ref.kind === 'msg' && d.ref.index === index)!;
    const event = mine[0]!;
    if (first.ref.kind === 'msg' && first.ref.via === 'stored') {
      expect(event).to.deep.include({ kind: 'stored-received', storedKind: m.kind });
      expect(nameKey((event as { from: string }).from)).to.equal(nameKey(m.sender));
    } else {
      expect(event).to.deep.equal(
        m.kind === 'direct' ? { kind: 'direct-received', from: m.sender, text } : { kind: 'channel-received', from: m.sender, text },
      );
    }
  });
  expect(shown.length).to.equal(c.messages.filter((m) => m.live + m.stored > 0).length);

  // "[You have messages]" once, before the first stored line, and only if a stored line is shown.
  const haveIndex = events.findIndex((e) => e.kind === 'have-messages');
  const firstStored = events.findIndex((e) => e.kind === 'stored-received');
  expect(events.filter((e) => e.kind === 'have-messages').length).to.equal(firstStored >= 0 ? 1 : 0);
  if (firstStored >= 0) expect(haveIndex).to.be.lessThan(firstStored);

  // Every copy of every datagram but a table part is ACKed, to the address it came from, naming
  // its id; table parts are ACKed as the model of protocol 9 says (modelTableAcks).
  const expectedAcks = new Map<string, number>();
  const count = (key: string): void => void expectedAcks.set(key, (expectedAcks.get(key) ?? 0) + 1);
  for (const d of c.order) if (d.ref.kind !== 'table') count(`${addressKey(d.from)}|${(d.message as { id: string }).id}`);
  for (const ack of modelTableAcks(c.order, c.updates)) count(`${addressKey(SERVER)}|${ack}`);
  const actualAcks = new Map<string, number>();
  for (const s of transport.sent) {
    if (s.message.t !== 'ack') continue;
    const key = `${addressKey(s.to)}|${s.message.status === 'run' ? 'run:' : ''}${s.message.re}`;
    actualAcks.set(key, (actualAcks.get(key) ?? 0) + 1);
  }
  expect(Object.fromEntries(actualAcks)).to.deep.equal(Object.fromEntries(expectedAcks));

  // The table moves only forward, prints once per applied update, and a gap asks for the whole table.
  const model = modelTable(c.order, c.updates);
  expect(session.table.version).to.equal(model.version);
  expect(events.filter((e) => e.kind === 'table-updated').length).to.equal(model.applied);
  const tableRequests = transport.sentOf('table-request');
  expect(tableRequests.length).to.equal(model.gaps > 0 ? 1 : 0);
  for (const r of tableRequests) expect(addressKey(r.to)).to.equal(addressKey(SERVER));
  // A small table's new names have their keys asked for (PeerKeys), of the server only.
  const keyRequests = transport.sentOf('key-request');
  for (const r of keyRequests) expect(addressKey(r.to)).to.equal(addressKey(SERVER));
  expect(transport.sent.length).to.equal([...expectedAcks.values()].reduce((a, b) => a + b, 0) + tableRequests.length + keyRequests.length);
  for (const p of PEERS) expect(session.table.get(p.name)?.online).to.equal(true);

  sender.cancelAll();
  expect(clock.timers.size).to.equal(0);
}

describe('dedup (property): a client shows each message once and ACKs every copy', () => {
  it('over random delivery multiplicities and orders, interleaved with table parts', async () => {
    const seed = Number(process.env['DEDUP_SEED'] ?? 0x5eed);
    try {
      await fc.assert(fc.asyncProperty(caseArb, (c) => runCase(c)), { seed, numRuns: 200 });
    } catch (error) {
      throw new Error(`dedup property failed with seed=${seed} (replay with DEDUP_SEED=${seed}): ${(error as Error).message}`);
    }
  });

  it('end to end over the in-memory network and wire codec (scenario harness)', async function () {
    this.timeout(15_000);
    const seed = Number(process.env['DEDUP_SEED'] ?? 0xc0de);
    const e2eArb = fc.record({
      // Ids are unique per sender across kinds (one sender's ids all come from one generator).
      messages: fc.uniqueArray(
        fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e'), kind: fc.constantFrom<'direct' | 'channel'>('direct', 'channel'), live: fc.nat(3), stored: fc.nat(3) }),
        { minLength: 1, maxLength: 4, selector: (m) => m.id },
      ),
      delays: fc.array(fc.nat(40), { minLength: 24, maxLength: 24 }),
    });
    try {
      await fc.assert(
        fc.asyncProperty(e2eArb, async ({ messages, delays }) => {
          // Copies are injected in clear as if from the server: the client's dedup is what is checked, not the secure link.
          const s = new Scenario({ seed: 7, secure: false });
          try {
            await s.startServer();
            const x = await s.startClient('x');
            const ySecrets = new InMemorySecretStore();
            const y = await s.startClient('y', { secrets: ySecrets });
            const yKeys = await keysBeside(ySecrets).keysFor('y', () => testE2e.newIdentity());
            await s.run(100);
            const xAddr = addressOfClient(x.client.tableRows(), 'x');
            const xToken = (x.client as unknown as { session: { token: string } }).session.token;
            const yAddr = addressOfClient(x.client.tableRows(), 'y');
            const xKey = x.client.tableRows().find((r) => r.name === 'x')!.key!;
            const acks = new Map<string, number>();
            s.network.onSend = (data, from) => {
              const decoded = decodeDatagram(data);
              if (!decoded.ok) return;
              const msg = decoded.message;
              if (msg.t === 'ack' && addressKey(from) === addressKey(xAddr)) acks.set(msg.re, (acks.get(msg.re) ?? 0) + 1);
            };
            const mark = x.lines.length;
            const yMark = y.lines.length;
            const expectedAcks = new Map<string, number>();
            let k = 0;
            messages.forEach((m, i) => {
              const text = `text-${m.id} ✓ 😀`;
              const envelope = `env${i}`;
              const copies: Array<{ message: Message; from: Address }> = [];
              for (let c = 0; c < m.live; c++) {
                copies.push(
                  m.kind === 'direct'
                    ? { message: { t: 'chat', id: m.id, from: 'y', to: 'x', sealed: sealedChatWith(yKeys, xKey, m.id, text, 'y', 'x') }, from: yAddr }
                    : { message: { t: 'channel', id: m.id, token: xToken, from: 'y', text }, from: SERVER },
                );
              }
              for (let c = 0; c < m.stored; c++) {
                copies.push({ message: { t: 'stored', id: envelope, token: xToken, items: [{ id: m.id, from: 'y', kind: m.kind, at: 1_700_000_000_000, text: m.kind === 'direct' ? testE2e.seal(yKeys, xKey, text, storedContext('y', 'x', m.id))! : text }] }, from: SERVER });
              }
              if (m.live > 0) expectedAcks.set(m.id, m.live);
              if (m.stored > 0) expectedAcks.set(envelope, m.stored);
              for (const copy of copies) {
                const data = encodeMessage(copy.message);
                s.clock.setTimeout(() => s.network.send(data, copy.from, xAddr), delays[k++ % delays.length]!);
              }
            });
            await s.run(200);
            const shown = x.view.since(mark);
            for (const m of messages) {
              const lines = shown.filter((l) => l.includes(`text-${m.id} `));
              expect(lines.length, `${m.kind} ${m.id}: ${m.live} live + ${m.stored} stored copies; x printed ${JSON.stringify(shown)}`).to.equal(m.live + m.stored > 0 ? 1 : 0);
            }
            const ourAcks = Object.fromEntries([...acks].filter(([re]) => expectedAcks.has(re) || /^[a-e]$|^env/.test(re)));
            expect(ourAcks).to.deep.equal(Object.fromEntries(expectedAcks));
            expect(y.view.since(yMark)).to.deep.equal([]);
          } finally {
            await s.stop();
          }
        }),
        { seed, numRuns: 25 },
      );
    } catch (error) {
      throw new Error(`dedup end-to-end property failed with seed=${seed} (replay with DEDUP_SEED=${seed}): ${(error as Error).message}`);
    }
  });
});

function addressOfClient(rows: TableRow[], name: string): Address {
  const row = rows.find((r) => r.name === name);
  if (!row) throw new Error(`no row for ${name}`);
  return { ip: row.ip, port: row.port };
}
