import { identityOf, sealedStored } from '../support/peer-keys';
import { expect } from 'chai';
import type { ClientSession } from '../../src/application/client/client-session';
import type { Message } from '../../src/application/protocol/envelope';
import type { ServerState } from '../../src/application/server/server-state';
import type { Address } from '../../src/domain/address';
import { decodeDatagram } from '../../src/adapters/wire/envelope-codec';
import { MemoryAttacker, paddedRegister, peek } from '../support/attacker';
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

    // Three kinds of forger: another port on x's host, x's port on another loopback address
    // (both with x's real token, as if it leaked), and x's own address forged with wrong tokens.
    const otherPort = new MemoryAttacker(s.network, { port: xAddress.port + 1000 });
    const otherHost = new MemoryAttacker(s.network, { ip: '127.0.0.2', port: xAddress.port });
    const senders: Array<{ label: string; token: (n: number) => string; send: (m: Message) => void }> = [
      { label: 'another port', token: () => token, send: (m) => otherPort.send(SERVER, m) },
      { label: 'another loopback address', token: () => token, send: (m) => otherHost.send(SERVER, m) },
      { label: "x's address, wrong token", token: (n) => `wrong${n}${token.slice(6)}`, send: (m) => otherPort.spoof(xAddress, SERVER, m) },
    ];
    const forge: Array<(id: string, tok: string) => Message> = [
      (id, tok) => ({ t: 'dereg', id, token: tok, name: 'x' }),
      (id) => paddedRegister(id, 'x', 'NotTheSecretOfX0000000000'),
      (id) => paddedRegister(id, 'X', 'NotTheSecretOfX0000000000'),
      (id, tok) => ({ t: 'save', id, token: tok, from: 'x', to: 'y', sealed: sealedStored('eve', 'y', id, 'forged save') }),
      (id, tok) => ({ t: 'send-all', id, token: tok, from: 'x', text: 'forged channel' }),
      (id, tok) => ({ t: 'confirm', id, token: tok, have: 0 }),
      (id, tok) => ({ t: 'table-request', id, token: tok, have: 0 }),
    ];

    const before = await serverSnapshot(server);
    const xLines = x.lines.length;
    const yLines = y.lines.length;
    const sentByServer: Record<string, number> = {};
    const requestBytes = new Map<string, number>();
    const oversizedAnswers: string[] = [];
    s.network.onSend = (data, from, to) => {
      const decoded = decodeDatagram(data);
      if (to.port === SERVER_PORT && decoded.ok && 'id' in decoded.message) requestBytes.set(decoded.message.id, data.length);
      if (from.port !== SERVER_PORT) return;
      const message = peek(data);
      // An ack saying the session is unknown is the one answer a request without a valid session
      // may get, and only when it is no larger than that request.
      const lost = decoded.ok && decoded.message.t === 'ack' && decoded.message.status === 'unknown-session';
      if (lost && decoded.message.t === 'ack' && data.length > (requestBytes.get(decoded.message.re) ?? 0)) oversizedAnswers.push(decoded.message.re);
      const t = lost ? 'unknown-session' : (message?.t ?? '?');
      sentByServer[t] = (sentByServer[t] ?? 0) + 1;
    };
    for (let n = 0; n < FORGERIES; n++) {
      const sender = senders[n % senders.length]!;
      sender.send(forge[n % forge.length]!(`forged${n}`, sender.token(n)));
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
    // A request without a valid session is told so when the answer is no larger than it (one
    // datagram, to its source); x, at whose address a third were spoofed, ignores those answers.
    expect(sentByServer['unknown-session'] ?? 0).to.be.greaterThan(0).and.at.most(noSession);
    expect(oversizedAnswers).to.deep.equal([]);
    // Every forgery reached the application (not just the rate limiter): 5 of 7 kinds need a session, 2 are registers.
    expect(noSession).to.equal(Math.round((FORGERIES * 5) / 7));
    expect(sentByServer['refused']).to.equal(FORGERIES - noSession);
    expect(x.lines.length).to.equal(xLines);
    expect(y.lines.length).to.equal(yLines);
    expect(x.client.state).to.equal('online');
    // x is still itself: its own dereg works.
    void x.type('dereg x');
    await s.run(200);
    expect(x.lines.at(-1)).to.equal('>>> [You are Offline. Bye.]');
  });
});
