import { expect } from 'chai';
import type { ServerState } from '../../src/application/server/server-state';
import type { Address } from '../../src/domain/address';
import { DATA_HEADER_BYTES, LINK_DATA } from '../../src/adapters/wire/link/link-frames';
import { Scenario, SERVER_PORT, type ServerNode, type TestClient } from '../support/scenario';

const SERVER: Address = { ip: '127.0.0.1', port: SERVER_PORT };

async function snapshot(node: ServerNode): Promise<string> {
  const state = (node.server as unknown as { state: ServerState }).state;
  return JSON.stringify({ version: state.table.version, rows: state.table.rows(), records: [...state.records.entries()], mailboxes: [await node.mailbox.list('x'), await node.mailbox.list('y')] });
}

function addressOf(c: TestClient): Address {
  const row = c.client.tableRows().find((r) => r.name === c.name)!;
  return { ip: row.ip, port: row.port };
}

/**
 * Issue 12: what travels between a client and a server is authenticated, so a datagram from
 * the right source address that fails authentication (a flipped byte, a wrong key) or repeats
 * one already received changes nothing, shows nothing and is answered by nothing.
 */
describe('security: forged and replayed datagrams on the secure link (in-memory network)', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  it('1,000 forgeries from the right addresses (flipped bytes, data sealed under a wrong key) and 1,000 replays of captured datagrams: 0 shown, 0 state changes, 0 replies', async () => {
    s = new Scenario({ seed: 44 });
    const server = await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    const xAt = addressOf(x);
    const yAt = addressOf(y);
    // A scripted session, every sealed datagram between the clients and the server captured.
    const captured: Array<{ data: Buffer; from: Address; to: Address }> = [];
    s.network.onSend = (data, from, to) => {
      if (data[0] === LINK_DATA) captured.push({ data: Buffer.from(data), from, to });
    };
    await s.say(x, 'send_all hello everyone', 500);
    await s.say(y, 'dereg y', 500);
    await s.say(x, 'send y kept for you', 2000);
    await s.say(y, 'reg y', 2000);
    await s.say(x, 'send_all once more', 500);
    expect(y.lines).to.include('>>> [Channel_Message x: once more]');
    expect(captured.length).to.be.greaterThan(20);

    const before = await snapshot(server);
    const lines = { x: x.lines.length, y: y.lines.length };
    // Every datagram a node sends from now on is an answer to the forgeries (the clients are idle).
    let replies = 0;
    let injecting = false;
    s.network.onSend = () => {
      if (!injecting) replies += 1;
    };
    const toServer = captured.filter((c) => c.to.port === SERVER.port);
    const toClients = captured.filter((c) => c.from.port === SERVER.port);
    for (let i = 0; i < 1000; i++) {
      const original = (i % 2 === 0 ? toServer : toClients)[i % (i % 2 === 0 ? toServer.length : toClients.length)]!;
      const forged = Buffer.from(original.data);
      if (i % 4 < 2) {
        // A flipped byte anywhere after the type: the index, the counter, the ciphertext or the tag.
        const at = 1 + ((i * 7919) % (forged.length - 1));
        forged[at] = forged[at]! ^ (1 << (i % 8));
      } else {
        // The same header (a live session, a fresh counter) over bytes sealed under no key it knows.
        forged.writeBigUInt64BE(BigInt(1_000_000 + i), 5);
        for (let b = DATA_HEADER_BYTES; b < forged.length; b++) forged[b] = (i * 31 + b) & 0xff;
      }
      injecting = true;
      s.network.send(forged, original.from, original.to);
      // A replay of a captured datagram, byte for byte, from its own source.
      s.network.send(original.data, original.from, original.to);
      injecting = false;
      if (i % 100 === 99) await s.run(20);
    }
    await s.run(3000);
    expect(replies, 'datagrams anyone sent in answer').to.equal(0);
    expect(await snapshot(server)).to.equal(before);
    expect(x.lines.length, 'lines shown at x').to.equal(lines.x);
    expect(y.lines.length, 'lines shown at y').to.equal(lines.y);
    // The sessions still work.
    s.network.onSend = undefined;
    expect(await s.say(x, 'send_all still here', 500)).to.deep.equal(['>>> [Message received by Server.]']);
    expect(y.lines.at(-1)).to.equal('>>> [Channel_Message x: still here]');
    expect([xAt.port, yAt.port]).to.not.include(SERVER.port);
  });
});
