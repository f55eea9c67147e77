import { expect } from 'chai';
import { InMemoryKeyStore } from '../../src/adapters/in-memory/in-memory-key-store';
import { InMemorySecretStore } from '../../src/adapters/in-memory/in-memory-secret-store';
import { decodeDatagram, encodeMessage } from '../../src/adapters/wire/envelope-codec';
import { MAX_DATAGRAM_BYTES, type Message } from '../../src/application/protocol/envelope';
import { addressKey, type Address } from '../../src/domain/address';
import { sealedChatWith, TEST_ACK_PROOF, testE2e } from '../support/peer-keys';
import { ACK_PROOF_CHARS, chatContext } from '../../src/application/protocol/sealing';
import { Scenario } from '../support/scenario';

const DIRECT = 'TOP-SECRET direct text 🦊 one';
const STORED = 'TOP-SECRET stored text 🦉 two';
const CHANNEL = 'TOP-SECRET channel text 🐝 three';

function addressOf(rows: ReadonlyArray<{ name: string; ip: string; port: number }>, name: string): Address {
  const row = rows.find((r) => r.name === name)!;
  return { ip: row.ip, port: row.port };
}

describe('scenario: keys, not addresses (direct and stored messages end to end)', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  it('register, chats, dereg, saves, reg, send_all: no message text, token or secret is in any datagram (0 occurrences), and no direct or stored text in the server\'s mailbox', async () => {
    s = new Scenario({ seed: 31 });
    const captured: Buffer[] = [];
    // What must never be seen on the wire, collected from the messages as their senders had them.
    const tokens = new Set<string>();
    const secrets = new Set<string>();
    s.network.onSend = (data, _from, _to, message) => {
      expect(data.length).to.be.at.most(MAX_DATAGRAM_BYTES);
      captured.push(Buffer.from(data));
      if (message && 'token' in message) tokens.add(message.token);
      if (message?.t === 'register') secrets.add(message.secret);
    };
    const server = await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    await s.run(200);
    void x.type(`send y ${DIRECT}`);
    await s.run(1000);
    expect(y.lines).to.include(`>>> x: ${DIRECT}`);
    expect(x.lines).to.include('>>> [Message received by y.]');
    void y.type('dereg y');
    await s.run(1000);
    void x.type(`send y ${STORED}`);
    await s.run(3000);
    expect(x.lines).to.include('>>> [Messages received by the server and saved]');
    const kept = await server.mailbox.list('y');
    expect(kept).to.have.length(1);
    expect(kept[0]!.text).to.not.include('TOP-SECRET');
    void y.type('reg y');
    await s.run(3000);
    expect(y.lines).to.include('>>> [You have messages]');
    expect(y.lines.some((l) => l.startsWith('>>> x: ') && l.endsWith(STORED))).to.equal(true);
    void y.type(`send_all ${CHANNEL}`);
    await s.run(1000);
    expect(x.lines).to.include(`>>> [Channel_Message y: ${CHANNEL}]`);
    const all = Buffer.concat(captured);
    for (const secret of [DIRECT, STORED, CHANNEL, 'TOP-SECRET']) expect(all.indexOf(Buffer.from(secret, 'utf8')), secret).to.equal(-1);
    // Two registrations of y and one of x: three sessions, every token and secret kept off the wire.
    expect(tokens.size).to.be.at.least(3);
    expect(secrets.size).to.equal(2);
    for (const value of [...tokens, ...secrets]) expect(all.indexOf(Buffer.from(value, 'utf8')), value).to.equal(-1);
    expect(captured.length).to.be.greaterThan(10);
  });

  it('negative control: with the secure link left out, the same checker finds the channel text and the tokens on the wire', async () => {
    s = new Scenario({ seed: 31, secure: false });
    const captured: Buffer[] = [];
    const tokens = new Set<string>();
    s.network.onSend = (data, _from, _to, message) => {
      captured.push(Buffer.from(data));
      if (message && 'token' in message) tokens.add(message.token);
    };
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    void y.type(`send_all ${CHANNEL}`);
    await s.run(1000);
    expect(x.lines).to.include(`>>> [Channel_Message y: ${CHANNEL}]`);
    const all = Buffer.concat(captured);
    expect(all.indexOf(Buffer.from(CHANNEL, 'utf8'))).to.not.equal(-1);
    expect([...tokens].filter((t) => all.indexOf(Buffer.from(t, 'utf8')) !== -1)).to.have.length(tokens.size).and.be.greaterThan(0);
  });

  it('forgeries from the sender\'s own address (1,000 flipped bytes, 1,000 sealed under a wrong key) show nothing and get no ACK; 1,000 replays show once and are ACKed each', async () => {
    s = new Scenario({ seed: 32 });
    let chat: Buffer | undefined;
    const acksFromY = new Map<string, number>();
    const x = await (async () => {
      await s.startServer();
      return s.startClient('x');
    })();
    const y = await s.startClient('y');
    await s.run(200);
    const xAddr = addressOf(y.client.tableRows(), 'x');
    const yAddr = addressOf(x.client.tableRows(), 'y');
    s.network.onSend = (data, from) => {
      const decoded = decodeDatagram(data);
      if (!decoded.ok) return;
      if (decoded.message.t === 'chat' && chat === undefined) chat = Buffer.from(data);
      if (decoded.message.t === 'ack' && addressKey(from) === addressKey(yAddr)) acksFromY.set(decoded.message.re, (acksFromY.get(decoded.message.re) ?? 0) + 1);
    };
    void x.type('send y the real one');
    await s.run(1000);
    expect(y.lines.filter((l) => l.startsWith('>>> x: '))).to.deep.equal(['>>> x: the real one']);
    const original = chat!;
    const message = decodeDatagram(original);
    if (!message.ok || message.message.t !== 'chat') throw new Error('no chat captured');
    const real = message.message;
    const ackedBefore = acksFromY.get(real.id) ?? 0;
    const linesBefore = y.lines.length;
    const eve = testE2e.newIdentity();
    const yKey = x.client.tableRows().find((r) => r.name === 'y')!.key!;
    for (let i = 0; i < 1000; i++) {
      const flipped = Buffer.from(original);
      // Only the sealed body (the tail of the frame): a flipped header byte is mostly a malformed frame.
      const at = flipped.length - 1 - (i % (flipped.length - 60));
      flipped[at] = flipped[at]! ^ (1 << (i % 8));
      s.network.send(flipped, xAddr, yAddr);
      const id = `forged${i}`;
      const forged = { t: 'chat' as const, id, from: 'x', to: 'y', sealed: sealedChatWith(eve, yKey, id, `forged ${i}`, 'x', 'y') };
      s.network.send(encodeMessage(forged), xAddr, yAddr);
    }
    await s.run(500);
    expect(y.lines.length, 'lines printed by y after the forgeries').to.equal(linesBefore);
    expect([...acksFromY.keys()].filter((id) => id.startsWith('forged')), 'ACKs of forgeries').to.deep.equal([]);
    expect(acksFromY.get(real.id) ?? 0, 'flipped copies of the real id are not ACKed').to.equal(ackedBefore);
    for (let i = 0; i < 1000; i++) s.network.send(original, xAddr, yAddr);
    await s.run(2000);
    expect(y.lines.length, 'replays show nothing more').to.equal(linesBefore);
    expect(acksFromY.get(real.id), 'every replay ACKed (the sender may have lost its ACK)').to.be.at.least(ackedBefore + 1);
  });

  it('an ACK that does not echo the proof sealed inside the message (none, a wrong one, another message\'s; alone or in an ACK run) does not count: the sender retries and falls back to the server', async () => {
    for (const control of [false, true]) {
      s = new Scenario({ seed: 33 });
      await s.startServer();
      const x = await s.startClient('x');
      const yKeys = new InMemoryKeyStore();
      const y = await s.startClient('y', { keys: yKeys });
      await s.run(200);
      const yIdentity = await yKeys.keysFor('y', () => {
        throw new Error('y has no key');
      });
      const xAddr = addressOf(y.client.tableRows(), 'x');
      const yAddr = addressOf(x.client.tableRows(), 'y');
      // y hears nothing; an attacker answers each chat from y's address instead.
      s.network.partitionOneWay(xAddr, yAddr);
      let realProof: string | undefined;
      s.network.onSend = (data, from) => {
        const decoded = decodeDatagram(data);
        if (!decoded.ok || decoded.message.t !== 'chat' || addressKey(from) !== addressKey(xAddr)) return;
        const id = decoded.message.id;
        // The negative control answers with the real proof, read from the message as only y could.
        const plain = testE2e.open(yIdentity, x.client.tableRows().find((r) => r.name === 'x')!.key!, decoded.message.sealed, chatContext('x', 'y', id, decoded.message.stream, decoded.message.seq));
        realProof = plain?.slice(0, ACK_PROOF_CHARS);
        // Alone, and inside an ACK run (protocol 13), where each ACK of the run counts on its own.
        const forged: Message[] = control
          ? [{ t: 'ack', re: 'unrelated', more: [id, realProof!] }]
          : [
              { t: 'ack', re: id },
              { t: 'ack', re: id, proof: 'Q'.repeat(ACK_PROOF_CHARS) },
              { t: 'ack', re: id, proof: TEST_ACK_PROOF },
              { t: 'ack', re: 'unrelated', proof: 'Q'.repeat(ACK_PROOF_CHARS), more: [id, '', id, 'Q'.repeat(ACK_PROOF_CHARS), id, TEST_ACK_PROOF] },
            ];
        for (const ack of forged) s.network.send(encodeMessage(ack), yAddr, xAddr);
      };
      void x.type('send y are you there');
      await s.run(5000);
      expect(realProof, 'the checker read the proof').to.match(/^[A-Za-z0-9_-]{16}$/);
      if (control) {
        expect(x.lines).to.include('>>> [Message received by y.]');
      } else {
        expect(x.lines).to.not.include('>>> [Message received by y.]');
        expect(x.lines.some((l) => l.startsWith('>>> [No ACK from y'))).to.equal(true);
      }
      await s.stop();
    }
  });

  it('a name that comes back with another key is refused with a clear line, and nothing changes', async () => {
    s = new Scenario({ seed: 33 });
    await s.startServer();
    const secrets = new InMemorySecretStore();
    const first = await s.startClient('x', { secrets });
    await s.run(200);
    const before = first.client.tableRows().find((r) => r.name === 'x')!.key;
    void first.type('dereg x');
    await s.run(1000);
    await first.client.stop();
    // The name's secret, but another key pair (say, a data directory restored without its key file).
    const keys = new InMemoryKeyStore();
    await keys.keysFor('x', () => testE2e.newIdentity());
    const thief = await s.startClient('x', { secrets, keys });
    await s.run(1000);
    expect(thief.lines.join('\n')).to.include('[Error: the server knows the name x by another key');
    const other = await s.startClient('w');
    await s.run(500);
    expect(other.client.tableRows().find((r) => r.name === 'x')).to.include({ online: false, key: before });
  });

  it('a key pinned by an earlier process of the same user: a changed key is told after a restart too (pins kept in the data directory)', async () => {
    s = new Scenario({ seed: 35 });
    const first = await s.startServer();
    const secrets = new InMemorySecretStore();
    const keys = new InMemoryKeyStore();
    const x = await s.startClient('x', { secrets, keys });
    const y = await s.startClient('y');
    await s.run(200);
    expect(x.client.tableRows().find((r) => r.name === 'y')?.key).to.be.a('string');
    await x.client.stop();
    await y.client.stop();
    // The server loses its registry (the name is free again) and y comes back with another key.
    await first.server.stop();
    await s.startServer();
    await s.startClient('y', { identitySeed: 'a new machine' });
    // x's next process: same data directory (secrets, keys, pins).
    const again = await s.startClient('x', { secrets, keys });
    await s.run(500);
    const warnings = again.lines.filter((l) => l.startsWith('>>> [Warning: the key of y changed;'));
    expect(warnings, again.lines.join('\n')).to.have.length(1);
  });

  it('while names keep arriving, pins are written at most once a second, and the last write holds every name', async () => {
    s = new Scenario({ seed: 36 });
    await s.startServer();
    const writes: Array<{ atMs: number; names: number }> = [];
    class RecordingKeys extends InMemoryKeyStore {
      override async savePeerPins(nameKey: string, pins: ReadonlyMap<string, string>): Promise<void> {
        writes.push({ atMs: Date.now(), names: pins.size });
        await super.savePeerPins(nameKey, pins);
      }
    }
    const keys = new RecordingKeys();
    const x = await s.startClient('x', { keys });
    const others = 40;
    // A new name every ~200 ms: 40 table updates that each bring a new pin (written on each
    // update, as before the spacing, they made 40 writes 200 ms apart).
    for (let i = 0; i < others; i++) {
      await s.startClient(`p${i}`);
      await s.run(100);
    }
    await s.run(3000);
    expect(x.client.tableRows().length).to.equal(others + 1);
    const gaps = writes.slice(1).map((w, i) => w.atMs - writes[i]!.atMs);
    expect(writes.length, JSON.stringify(writes)).to.be.within(2, others / 4);
    expect(Math.min(...gaps), JSON.stringify(writes)).to.be.at.least(1000);
    expect(writes.at(-1)!.names).to.equal(others);
    expect((await keys.peerPins('x')).size).to.equal(others);
  });
});
