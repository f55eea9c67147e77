import { identityOf, keyed, sealedChat, sealedStored } from '../support/peer-keys';
import { expect } from 'chai';
import type { ServerState } from '../../src/application/server/server-state';
import type { Address } from '../../src/domain/address';
import { MemoryAttacker, paddedRegister, peek } from '../support/attacker';
import { Scenario, SERVER_PORT, type ServerNode, type TestClient } from '../support/scenario';

/**
 * Holes once found in the application layer, each kept as the regression test that shows it
 * stays closed.
 */
const SERVER: Address = { ip: '127.0.0.1', port: SERVER_PORT };

function stateOf(node: ServerNode): ServerState {
  return (node.server as unknown as { state: ServerState }).state;
}

function addressOf(c: TestClient, name: string): Address {
  const row = c.client.tableRows().find((r) => r.name === name)!;
  return { ip: row.ip, port: row.port };
}

describe('security: regression tests for holes found in the application layer', () => {
  let s: Scenario;
  beforeEach(() => {
    // In clear, without the secure link (which drops all of these before the application sees
    // them): what is checked here is the application layer's own defence, kept for depth.
    s = new Scenario({ seed: 11, settings: { maxClients: 50 }, secure: false });
  });
  afterEach(async () => {
    await s.stop();
  });

  // server-inbound.ts: a copy of a request (same sender address and id) gets the cached reply
  // before any handler runs, whatever its type and size. So after one padded register, any
  // small datagram with that id (a 47-byte `confirm`) gets the whole welcome again: the
  // REGISTER_MIN_BYTES budget of AcceptRegistration is skipped, towards an unvalidated address.
  it('a cached welcome is not re-sent to small copies with the same id (server-inbound.ts reply cache)', async () => {
    await s.startServer();
    const attacker = new MemoryAttacker(s.network);
    attacker.send(SERVER, paddedRegister('r', 'n'.repeat(32), 'Secret0000000000000000000'));
    for (let i = 0; i < 100; i++) attacker.send(SERVER, { t: 'confirm', id: 'r', token: 'a', have: 0 });
    await s.run(500);
    const ratio = attacker.received.bytes / attacker.sent.bytes;
    console.log(`      1 padded register + 100 47-byte confirms with its id: ${attacker.received.datagrams} welcomes back, ${attacker.received.bytes} B for ${attacker.sent.bytes} B, ratio ${ratio.toFixed(2)}`);
    expect(ratio).to.be.at.most(1.0);
  });

  // accept-registration.ts / server-state.ts: a registration that is never confirmed stays in
  // `records` for ever (it is dropped only when the same name registers again) and counts
  // against maxClients, so registrations from spoofed addresses fill the server for good.
  it('unconfirmed registrations from spoofed addresses expire and do not lock out real clients (accept-registration.ts)', async () => {
    const server = await s.startServer();
    const attacker = new MemoryAttacker(s.network);
    for (let i = 0; i < 50; i++) attacker.spoof({ ip: '10.66.0.1', port: 2000 + i }, SERVER, paddedRegister(`sp${i}`, `squat${i}`, 'Secret0000000000000000000'));
    await s.run(60_000);
    const pending = stateOf(server).records.size;
    const legit = await s.startClient('legit', { settle: false });
    await s.run(1000);
    console.log(`      50 spoofed registrations, 60 s later: ${pending} records kept; a real client then printed ${JSON.stringify(legit.lines)}`);
    expect(pending).to.equal(0);
    expect(legit.lines[0]).to.equal('>>> [Welcome, You are registered.]');
  });

  // client-inbound.ts onChat: every chat from an address the table does not list for its sender
  // triggers requestTable(), limited only to one in flight, so each forged chat (~70 bytes, from
  // anywhere) makes the server push the whole table (N/8 datagrams) to the victim.
  it('forged chats do not make the server push the whole table to the victim each time (client-inbound.ts requestTable)', async () => {
    await s.startServer();
    const clients: TestClient[] = [];
    for (let i = 0; i < 40; i++) clients.push(await s.startClient(`c${i}`));
    const victim = clients[0]!;
    const victimAddress = addressOf(victim, 'c0');
    const attacker = new MemoryAttacker(s.network);
    let tableBytes = 0;
    s.network.onSend = (data, from, to) => {
      if (from.port === SERVER_PORT && to.port === victimAddress.port && peek(data)?.t === 'table') tableBytes += data.length;
    };
    for (let i = 0; i < 100; i++) {
      attacker.send(victimAddress, { t: 'chat', id: `f${i}`, from: 'c1', to: 'c0', sealed: sealedChat('eve', 'c0', `f${i}`, 'x') });
      await s.run(20);
    }
    s.network.onSend = undefined;
    const ratio = tableBytes / attacker.sent.bytes;
    console.log(`      100 forged chats (${attacker.sent.bytes} B) made the server send the victim ${tableBytes} B of table: ×${ratio.toFixed(1)}`);
    expect(ratio).to.be.at.most(1.0);
  });

  // client-inbound.ts: server messages are trusted on source address alone. UDP source
  // addresses can be forged off-path, and nothing in a table/channel/stored datagram proves it
  // came from the server (the session token the client and server share could: echo it, or a
  // MAC keyed by it). A forged table then redirects a name, and the forger chats as that name.
  it('a table datagram with a spoofed server address is not applied (client-inbound.ts)', async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    const yAddress = addressOf(y, 'y');
    const attacker = new MemoryAttacker(s.network, { ip: '127.0.0.9', port: 4444 });
    attacker.spoof(SERVER, yAddress, {
      t: 'table', id: 'spoofed1', token: 'guessedToken0000', from: 0, to: 1_000_000, part: 0, parts: 1, full: true,
      rows: [{ name: 'x', ...attacker.address, online: true }, { name: 'y', ...yAddress, online: true }],
    });
    await s.run(100);
    attacker.send(yAddress, { t: 'chat', id: 'spoofed2', from: 'x', to: 'y', sealed: sealedChat('eve', 'y', 'spoofed2', 'it is me, x: send me your password') });
    await s.run(100);
    console.log(`      y after a spoofed table: x is at ${JSON.stringify(addressOf(y, 'x'))}; y printed ${JSON.stringify(y.lines.slice(-2))}`);
    expect(addressOf(y, 'x')).to.deep.equal(addressOf(x, 'x'));
    expect(y.lines).to.not.include('>>> x: it is me, x: send me your password');
  });
});
