import { identityOf, sealedStored } from '../support/peer-keys';
import { expect } from 'chai';
import type { ClientSession } from '../../src/application/client/client-session';
import type { Message } from '../../src/application/protocol/envelope';
import type { ServerState } from '../../src/application/server/server-state';
import type { Address } from '../../src/domain/address';
import { MemoryAttacker, paddedRegister } from '../support/attacker';
import { LinkedPeer } from '../support/linked-peer';
import { Scenario, SERVER_PORT, type ServerNode, type TestClient } from '../support/scenario';

const SERVER: Address = { ip: '127.0.0.1', port: SERVER_PORT };
const FORGERIES = 1000;

/** The server's whole state: table (with version), per-name records (tokens, addresses, pending), stores. */
async function serverSnapshot(node: ServerNode): Promise<string> {
  const state = (node.server as unknown as { state: ServerState }).state;
  return JSON.stringify({
    version: state.table.version,
    rows: state.table.rows(),
    records: [...state.records.entries()],
    registry: await node.registry.load(),
    mailboxes: { x: await node.mailbox.list('x'), y: await node.mailbox.list('y') },
  });
}

function sessionOf(c: TestClient): ClientSession {
  return (c.client as unknown as { session: ClientSession }).session;
}

describe('security: forged requests at the server (in-memory network)', () => {
  let s: Scenario;
  beforeEach(() => {
    s = new Scenario({ seed: 5 });
  });
  afterEach(async () => {
    await s.stop();
  });

  it(`${FORGERIES} forged dereg/register/save/send_all/confirm/table-request change nothing and broadcast nothing`, async () => {
    const server = await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    await s.run(1000);
    const xAddress = (({ ip, port }) => ({ ip, port }))(x.client.tableRows().find((r) => r.name === 'x')!);
    const token = sessionOf(x).token;
    expect(token).to.be.a('string').and.not.equal('');

    // Three kinds of forger. Two talk to the server through secure sessions of their own, under
    // keys of their own: another port on x's host and x's port on another loopback address, both
    // with x's real token (as if it leaked). The third forges x's own address in clear, with wrong
    // tokens: it cannot complete a handshake there (it does not receive at x's address), so the
    // server's link drops what it sends before the application sees it.
    const otherPort = await LinkedPeer.start(s.network, xAddress.port + 1000);
    const otherHost = await LinkedPeer.start(s.network, xAddress.port, undefined, '127.0.0.2');
    const spoofer = new MemoryAttacker(s.network, { port: xAddress.port + 2000 });
    const senders: Array<{ label: string; linked?: LinkedPeer; token: (n: number) => string; send: (m: Message) => void }> = [
      { label: 'another port', linked: otherPort, token: () => token, send: (m) => otherPort.send(SERVER, m) },
      { label: 'another loopback address', linked: otherHost, token: () => token, send: (m) => otherHost.send(SERVER, m) },
      { label: "x's address, wrong token", token: (n) => `wrong${n}${token.slice(6)}`, send: (m) => spoofer.spoof(xAddress, SERVER, m) },
    ];
    const forge: Array<(id: string, tok: string, key: string) => Message> = [
      (id, tok) => ({ t: 'dereg', id, token: tok, name: 'x' }),
      // x's name under the forger's own key (the key its handshake proved).
      (id, _tok, key) => ({ ...paddedRegister(id, 'X', 'NotTheSecretOfX0000000000'), key }),
      (id, tok) => ({ t: 'save', id, token: tok, from: 'x', to: 'y', sealed: sealedStored('eve', 'y', id, 'forged save') }),
      (id, tok) => ({ t: 'send-all', id, token: tok, from: 'x', text: 'forged channel' }),
      (id, tok) => ({ t: 'confirm', id, token: tok, have: 0 }),
      (id, tok) => ({ t: 'table-request', id, token: tok, have: 0 }),
    ];

    const before = await serverSnapshot(server);
    const xLines = x.lines.length;
    const yLines = y.lines.length;
    const sentByServer: Record<string, number> = {};
    const answersToX: string[] = [];
    // An ack saying the session is unknown is the one answer a request without a valid session
    // may get, and only to an address that proved itself (a secure session's handshake reached
    // it): never to x's address, which the third forger spoofed.
    s.network.onSend = (_data, from, to, message) => {
      if (from.port !== SERVER_PORT) return;
      const lost = message?.t === 'ack' && message.status === 'unknown-session';
      if (lost && message.t === 'ack' && to.port === xAddress.port && to.ip === xAddress.ip) answersToX.push(message.re);
      const t = lost ? 'unknown-session' : (message?.t ?? 'handshake');
      sentByServer[t] = (sentByServer[t] ?? 0) + 1;
    };
    let linkedRegisters = 0;
    let linkedOthers = 0;
    for (let n = 0; n < FORGERIES; n++) {
      const sender = senders[n % senders.length]!;
      const forged = forge[n % forge.length]!(`forged${n}`, sender.token(n), sender.linked?.publicKey ?? identityOf('eve').publicKey);
      if (sender.linked && forged.t === 'register') linkedRegisters += 1;
      else if (sender.linked) linkedOthers += 1;
      sender.send(forged);
      if (n % 100 === 99) await s.run(10);
    }
    await s.run(3000);
    s.network.onSend = undefined;

    const after = await serverSnapshot(server);
    const noSession = server.logger.entries.filter((e) => e.message === 'dropped a request without a valid session').length;
    const stateChanges = before === after ? 0 : 1;
    const broadcasts = sentByServer['table'] ?? 0;
    console.log(
      `      ${FORGERIES} forged requests from 3 kinds of forger: state changes ${stateChanges}, table datagrams ${broadcasts}, ` +
        `channel datagrams ${sentByServer['channel'] ?? 0}, probes ${sentByServer['probe'] ?? 0}, dropped for no session ${noSession}, ` +
        `registers refused ${sentByServer['refused'] ?? 0}, lines printed at x ${x.lines.length - xLines} and y ${y.lines.length - yLines}`,
    );
    expect(after).to.equal(before);
    expect(broadcasts).to.equal(0);
    expect(sentByServer['channel'] ?? 0).to.equal(0);
    expect(sentByServer['welcome'] ?? 0).to.equal(0);
    expect(sentByServer['ack'] ?? 0).to.equal(0);
    // A request without a valid session is told so (one datagram, to its source, through the
    // forger's own secure session); nothing goes to the spoofed address.
    expect(sentByServer['unknown-session'] ?? 0).to.be.greaterThan(0).and.at.most(noSession);
    expect(answersToX).to.deep.equal([]);
    // Every forgery through a link reached the application; none spoofed in clear did.
    expect(noSession).to.equal(linkedOthers);
    expect(sentByServer['refused']).to.equal(linkedRegisters);
    expect(x.lines.length).to.equal(xLines);
    expect(y.lines.length).to.equal(yLines);
    expect(x.client.state).to.equal('online');
    // x is still itself: its own dereg works.
    void x.type('dereg x');
    await s.run(200);
    expect(x.lines.at(-1)).to.equal('>>> [You are Offline. Bye.]');
  });
});
