import { sealedTextsFor } from '../support/peer-keys';
import { expect } from 'chai';
import type { ClientSession } from '../../src/application/client/client-session';
import type { Address } from '../../src/domain/address';
import { LinkedPeer } from '../support/linked-peer';
import { MemoryAttacker } from '../support/attacker';
import { Scenario, SERVER_PORT, type ServerNode, type TestClient } from '../support/scenario';

const A: Address = { ip: '127.0.0.1', port: SERVER_PORT };
const B: Address = { ip: '127.0.0.1', port: SERVER_PORT + 1 };
const C: Address = { ip: '127.0.0.1', port: SERVER_PORT + 2 };
const SWITCHED_A_TO_B = '>>> [Server 127.0.0.1:5000 not responding; now using 127.0.0.1:5001.]';

function sessionOf(c: TestClient): ClientSession {
  return (c.client as unknown as { session: ClientSession }).session;
}

/**
 * SPEC §7 "Several servers", the client's side: two independent single servers stand for two
 * instances of one system. A client told of both moves to the second when the first stops
 * answering, prints the one line, and runs the request that found the first silent there.
 */
describe('scenario: a client moves to another server instance when its own stops answering', () => {
  let s: Scenario;
  let a: ServerNode;
  let b: ServerNode;
  beforeEach(async () => {
    s = new Scenario({ seed: 71 });
    a = await s.startServer({ port: A.port });
    b = await s.startServer({ port: B.port });
  });
  afterEach(async () => {
    await s.stop();
  });

  it('send_all: after five silent tries the client registers on B, says so once, and B takes the message', async () => {
    const x = await s.startClient('x', { servers: [B] });
    const y = await s.startClient('y');
    await s.run(500);
    expect(x.lines).to.deep.equal(['>>> [Welcome, You are registered.]', '>>> [Client table updated.]', '>>> [Client table updated.]']);
    await a.server.stop();
    const mark = x.lines.length;
    void x.type('send_all hi');
    await s.run(2499);
    expect(x.view.since(mark), 'nothing before the fifth try is unanswered').to.deep.equal([]);
    await s.run(1000);
    // B's table holds only x: a different table, so it is announced; the welcome is not.
    expect(x.view.since(mark)).to.deep.equal([SWITCHED_A_TO_B, '>>> [Client table updated.]', '>>> [Message received by Server.]']);
    expect(b.table().rows.map((r) => `${r.name}:${r.online}`)).to.deep.equal(['x:true']);
    expect(sessionOf(x).server).to.deep.equal(B);
    expect(x.exitCode).to.equal(undefined);
    // y, still told A's table, is not part of B's system here: it saw nothing of this.
    expect(y.lines.filter((l) => l.includes('Channel_Message'))).to.deep.equal([]);
    // The next request goes straight to B.
    const next = x.lines.length;
    void x.type('send_all again');
    await s.run(100);
    expect(x.view.since(next)).to.deep.equal(['>>> [Message received by Server.]']);
  });

  it('dereg: the failover line, then B ACKs the de-registration', async () => {
    const x = await s.startClient('x', { servers: [B] });
    await a.server.stop();
    const mark = x.lines.length;
    void x.type('dereg x');
    await s.run(3500);
    expect(x.view.since(mark)).to.deep.equal([SWITCHED_A_TO_B, '>>> [You are Offline. Bye.]']);
    expect(b.table().rows.map((r) => `${r.name}:${r.online}`)).to.deep.equal(['x:false']);
    expect(x.client.state).to.equal('offline');
    expect(x.exitCode).to.equal(undefined);
  });

  it('save: the message for an offline recipient is kept by B, with the same id', async () => {
    // y has a mailbox on both instances (it registered on each, then left).
    const yOnA = await s.startClient('y');
    const yOnB = await s.startClient('y', { server: B.port });
    await s.say(yOnA, 'dereg y', 200);
    await s.say(yOnB, 'dereg y', 200);
    const x = await s.startClient('x', { servers: [B] });
    await s.run(200);
    await a.server.stop();
    const mark = x.lines.length;
    void x.type('send y hello');
    await s.run(3500);
    expect(x.view.since(mark)).to.deep.equal([
      '>>> [No ACK from y, message sent to server.]',
      SWITCHED_A_TO_B,
      '>>> [Client table updated.]',
      '>>> [Messages received by the server and saved]',
    ]);
    expect(sealedTextsFor(await b.mailbox.list('y'), ['hello']), 'kept sealed, unreadable by the server').to.equal(true);
  });

  it('sends the request again with the same id: an instance of one system that already acted on it answers from its reply cache', async () => {
    const x = await s.startClient('x', { servers: [B] });
    const sent: Array<{ to: number; id: string }> = [];
    let toA = 0;
    s.network.onSend = (_data, from, to, message) => {
      if (from.port !== addressOf(x).port) return;
      // Every transmission to A (a secure link's handshake retries carry the request held behind them).
      if (to.port === A.port) toA += 1;
      if (message?.t === 'send-all') sent.push({ to: to.port, id: message.id });
    };
    await a.server.stop();
    void x.type('send_all once');
    await s.run(3500);
    const ids = new Set(sent.map((m) => m.id));
    expect(ids.size, 'one id for every copy, on both instances').to.equal(1);
    expect(toA, 'transmissions to A').to.equal(5);
    expect(sent.filter((m) => m.to === A.port).length).to.be.greaterThan(0);
    expect(sent.filter((m) => m.to === B.port)).to.have.length(1);
  });

  it('both instances down: send_all says [Server not responding.] and the client keeps running; dereg ends it', async () => {
    const x = await s.startClient('x', { servers: [B] });
    await a.server.stop();
    await b.server.stop();
    const mark = x.lines.length;
    void x.type('send_all hi');
    // Five tries at A, then five registration tries at B.
    await s.run(4999);
    expect(x.view.since(mark)).to.deep.equal([]);
    await s.run(1);
    expect(x.view.since(mark)).to.deep.equal(['>>> [Server not responding.]']);
    expect(x.exitCode).to.equal(undefined);
    expect(sessionOf(x).server, 'still on the instance it had').to.deep.equal(A);
    const later = x.lines.length;
    void x.type('dereg x');
    await s.run(5000);
    expect(x.view.since(later)).to.deep.equal(['>>> [Server not responding]', '>>> [Exiting]']);
    expect(x.exitCode).to.equal(1);
  });

  it('moves past a silent instance to the next one, and names the one it left', async () => {
    const c = await s.startServer({ port: C.port });
    const x = await s.startClient('x', { servers: [B, C] });
    await a.server.stop();
    await b.server.stop();
    const mark = x.lines.length;
    void x.type('send_all hi');
    await s.run(6000);
    // C's table holds the same rows as A's did (x alone): nothing to announce.
    expect(x.view.since(mark)).to.deep.equal(['>>> [Server 127.0.0.1:5000 not responding; now using 127.0.0.1:5002.]', '>>> [Message received by Server.]']);
    expect(c.table().rows.map((r) => r.name)).to.deep.equal(['x']);
  });

  it('saves queued behind a failing one follow it to B: one line, one registration at B, both kept there', async () => {
    const x = await s.startClient('x', { servers: [B] });
    const yOnB = await s.startClient('y', { server: B.port });
    await s.say(yOnB, 'dereg y', 200);
    const yOnA = await s.startClient('y');
    await s.say(yOnA, 'dereg y', 200);
    await s.run(200);
    let registrations = 0;
    s.network.onSend = (_data, _from, to, message) => {
      if (to.port === B.port && message?.t === 'register') registrations += 1;
    };
    await a.server.stop();
    const mark = x.lines.length;
    void x.type('send y one');
    void x.type('send y two');
    await s.run(8000);
    const lines = x.view.since(mark);
    expect(lines.filter((l) => l === SWITCHED_A_TO_B)).to.have.length(1);
    expect(lines.filter((l) => l === '>>> [Messages received by the server and saved]')).to.have.length(2);
    expect(registrations).to.equal(1);
    expect(sealedTextsFor(await b.mailbox.list('y'), ['one', 'two']), 'kept sealed, unreadable by the server').to.equal(true);
  });

  it('takes the servers push of a known instance: the list replaces what was learnt, the start and --servers entries stay', async () => {
    const x = await s.startClient('x', { servers: [B] });
    const instances = sessionOf(x).instances;
    expect(instances.all()).to.deep.equal([A, B]);
    await b.server.stop();
    // Stands for instance B of the system (it holds the system's key) announcing its peers.
    const atB = await LinkedPeer.start(s.network, B.port, s.serverKey);
    const token = sessionOf(x).token;
    atB.send(addressOf(x), { t: 'servers', id: 'p1', token, servers: ['127.0.0.1:5011', '[::1]:5012'] });
    await s.run(10);
    expect(instances.all()).to.deep.equal([A, B, { ip: '127.0.0.1', port: 5011 }, { ip: '::1', port: 5012 }]);
    expect(atB.inbox, 'ACKed to the instance that pushed').to.have.length(1);
    atB.send(addressOf(x), { t: 'servers', id: 'p2', token, servers: ['127.0.0.1:5021'] });
    await s.run(10);
    expect(instances.all()).to.deep.equal([A, B, { ip: '127.0.0.1', port: 5021 }]);
    // A late copy of the first push is ACKed again but does not undo the newer list.
    atB.send(addressOf(x), { t: 'servers', id: 'p1', token, servers: ['127.0.0.1:5011', '[::1]:5012'] });
    await s.run(10);
    expect(instances.all()).to.deep.equal([A, B, { ip: '127.0.0.1', port: 5021 }]);
    expect(atB.inbox).to.have.length(3);
    expect(x.lines.filter((l) => l.includes('Server'))).to.deep.equal([]);
  });

  it('a server that stops between its welcome and the ACK of the confirm: the client moves at start instead of exiting', async () => {
    let stopping: Promise<void> | undefined;
    s.network.onSend = (_data, _from, _to, message) => {
      // A answers the registration, then is gone before it hears the confirm.
      if (!stopping && message?.t === 'welcome') stopping = a.server.stop();
    };
    const x = await s.startClient('x', { servers: [B], settle: false });
    await s.run(4000);
    await stopping;
    expect(x.lines).to.deep.equal(['>>> [Welcome, You are registered.]', SWITCHED_A_TO_B, '>>> [Client table updated.]']);
    expect(sessionOf(x).server).to.deep.equal(B);
    expect(x.exitCode).to.equal(undefined);
    expect(b.table().rows.map((r) => `${r.name}:${r.online}`)).to.deep.equal(['x:true']);
  });
});

describe('scenario: pushes from server instances the client does not know are dropped', () => {
  let s: Scenario;
  afterEach(async () => {
    await s.stop();
  });

  it('a channel push with the right token from an unknown address, or from a listed one without the system\'s key, is neither shown nor ACKed; from a listed instance it is', async () => {
    s = new Scenario({ seed: 72 });
    await s.startServer();
    const x = await s.startClient('x', { servers: [B] });
    const token = sessionOf(x).token;
    const xAddress = addressOf(x);
    const stranger = new MemoryAttacker(s.network, { port: 5999 });
    const mark = x.lines.length;

    // At a listed address but without the system's key: its handshake is refused, so nothing it sends counts.
    const impostor = await LinkedPeer.start(s.network, B.port);
    impostor.send(xAddress, { t: 'channel', id: 'c0', token, from: 'mallory', text: 'an impostor at B' });
    await s.run(50);
    expect(x.view.since(mark)).to.deep.equal([]);
    expect(impostor.inbox, 'not ACKed').to.have.length(0);
    await impostor.close();
    const listed = await LinkedPeer.start(s.network, B.port, s.serverKey);

    stranger.send(xAddress, { t: 'channel', id: 'c1', token, from: 'mallory', text: 'from nowhere' });
    stranger.send(xAddress, { t: 'servers', id: 's1', token, servers: ['127.0.0.1:5999'] });
    await s.run(50);
    expect(x.view.since(mark)).to.deep.equal([]);
    expect(stranger.inbox, 'not ACKed').to.have.length(0);
    expect(sessionOf(x).instances.knows(stranger.address)).to.equal(false);

    listed.send(xAddress, { t: 'channel', id: 'c2', token: 'notTheToken', from: 'mallory', text: 'wrong token' });
    await s.run(50);
    expect(x.view.since(mark), 'a listed instance still needs the token').to.deep.equal([]);

    listed.send(xAddress, { t: 'channel', id: 'c3', token, from: 'z', text: 'fanned out by another instance' });
    await s.run(50);
    expect(x.view.since(mark)).to.deep.equal(['>>> [Channel_Message z: fanned out by another instance]']);
    expect(listed.inbox, 'ACKed to the instance that pushed').to.have.length(1);
  });
});

function addressOf(c: TestClient): Address {
  const row = c.client.tableRows().find((r) => r.name === c.name)!;
  return { ip: row.ip, port: row.port };
}

/** The id of a send-all datagram, else undefined. */
