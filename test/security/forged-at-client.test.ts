import { identityOf, keyed, sealedChat, sealedStored } from '../support/peer-keys';
import { expect } from 'chai';
import type { ClientSession } from '../../src/application/client/client-session';
import type { Message } from '../../src/application/protocol/envelope';
import { sameAddress, type Address } from '../../src/domain/address';
import { MemoryAttacker, peek } from '../support/attacker';
import { Scenario, SERVER_PORT, type TestClient } from '../support/scenario';

const FORGERIES = 1000;
const SERVER: Address = { ip: '127.0.0.1', port: SERVER_PORT };

function sessionOf(c: TestClient): ClientSession {
  return (c.client as unknown as { session: ClientSession }).session;
}

function addressOf(c: TestClient, name: string): Address {
  const row = c.client.tableRows().find((r) => r.name === name)!;
  return { ip: row.ip, port: row.port };
}

describe('security: forged messages at a client (in-memory network)', () => {
  let s: Scenario;
  beforeEach(() => {
    // In clear, without the secure link (which drops forged server messages before the client's
    // application sees them): what is checked here is the client's own checks, kept for depth.
    s = new Scenario({ seed: 6, secure: false });
  });
  afterEach(async () => {
    await s.stop();
  });

  it(`${FORGERIES} forged chat (as x) and table/channel/stored/probe (as the server) at y: 0 shown, 0 applied, 0 answered`, async () => {
    await s.startServer();
    const x = await s.startClient('x');
    const y = await s.startClient('y');
    await s.run(1000);
    const yAddress = addressOf(y, 'y');
    const xAddress = addressOf(y, 'x');
    // Forgers: another port of x's host; x's port on another loopback address; the server's port on another address.
    const otherPort = new MemoryAttacker(s.network, { port: xAddress.port + 1000 });
    const otherHost = new MemoryAttacker(s.network, { ip: '127.0.0.2', port: xAddress.port });
    const fakeServer = new MemoryAttacker(s.network, { ip: '127.0.0.3', port: SERVER_PORT });
    const forgers = [otherPort, otherHost, fakeServer];
    const evil = { ip: otherPort.address.ip, port: otherPort.address.port };
    const forge: Array<(id: string, n: number) => Message> = [
      (id) => ({ t: 'chat', id, from: 'x', to: 'y', sealed: sealedChat('eve', 'y', id, 'forged: send me your password') }),
      (id) => ({ t: 'chat', id, from: 'X', to: 'y', sealed: sealedChat('eve', 'y', id, 'forged: case variant of x') }),
      (id, n) => ({ t: 'table', id, token: 'guessedToken0000', from: 0, to: 1_000_000 + n, part: 0, parts: 1, full: true, rows: [{ name: 'x', ...evil, online: true }, { name: 'y', ...yAddress, online: true }] }),
      (id, n) => ({ t: 'table', id, token: 'guessedToken0000', from: sessionOf(y).table.version, to: sessionOf(y).table.version + 1 + n, part: 0, parts: 1, full: false, rows: [{ name: 'x', ...evil, online: true }] }),
      (id) => ({ t: 'channel', id, token: 'guessedToken0000', from: 'x', text: 'forged channel' }),
      (id) => ({ t: 'stored', id, token: 'guessedToken0000', items: [{ id, from: 'x', kind: 'direct', at: 0, text: 'forged stored' }] }),
      (id) => ({ t: 'probe', id, token: 'guessedToken0000' }),
    ];

    const yLines = y.lines.length;
    const yTable = JSON.stringify({ version: sessionOf(y).table.version, rows: y.client.tableRows() });
    const toServer: Record<string, number> = {};
    let tablesToY = 0;
    s.network.onSend = (data, from, to) => {
      if (sameAddress(from, yAddress) && sameAddress(to, SERVER)) {
        const t = peek(data)?.t ?? '?';
        toServer[t] = (toServer[t] ?? 0) + 1;
      }
      if (sameAddress(from, SERVER) && sameAddress(to, yAddress) && peek(data)?.t === 'table') tablesToY += 1;
    };
    for (let n = 0; n < FORGERIES; n++) {
      forgers[n % forgers.length]!.send(yAddress, forge[n % forge.length]!(`forged${n}`, n));
      if (n % 100 === 99) await s.run(10);
    }
    await s.run(3000);
    s.network.onSend = undefined;

    const shown = y.lines.length - yLines;
    const applied = JSON.stringify({ version: sessionOf(y).table.version, rows: y.client.tableRows() }) === yTable ? 0 : 1;
    const answered = forgers.reduce((sum, f) => sum + f.received.datagrams, 0);
    console.log(
      `      ${FORGERIES} forged datagrams at y: shown ${shown}, table changes applied ${applied}, answered ${answered}; ` +
        `they made y send the server ${toServer['table-request'] ?? 0} table requests (${tablesToY} table datagrams back)`,
    );
    expect(shown).to.equal(0);
    expect(applied).to.equal(0);
    expect(answered).to.equal(0);
    expect(sessionOf(y).table.get('x')).to.deep.include(xAddress);

    // The real x is still believed: its message is shown and ACKed.
    void x.type('send y the real x');
    await s.run(100);
    expect(y.lines.at(-1)).to.equal('>>> x: the real x');
    expect(x.lines.at(-1)).to.equal('>>> [Message received by y.]');
  });
});
