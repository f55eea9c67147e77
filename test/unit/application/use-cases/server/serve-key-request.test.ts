import { expect } from 'chai';
import { ServeKeyRequest } from '../../../../../src/application/use-cases/server/serve-key-request';
import { KEY_REQUEST_MAX_NAMES } from '../../../../../src/application/protocol/envelope';
import { identityOf } from '../../../../support/peer-keys';
import { A, B, C, inbound, ServerRig } from './server-rig';

describe('use case (server): ServeKeyRequest', () => {
  let rig: ServerRig;
  let serveKeys: ServeKeyRequest;
  beforeEach(() => {
    rig = new ServerRig();
    serveKeys = rig.container.get(ServeKeyRequest);
  });
  afterEach(async () => {
    expect(await rig.stop(), 'timers left').to.equal(0);
  });

  it('answers a confirmed session with the rows of the names asked for, each with its key; unknown names are left out', async () => {
    const token = await rig.online('alice', A);
    await rig.online('Bob', B);
    await rig.online('carol', C);
    const reply = await serveKeys.execute(inbound({ t: 'key-request', id: 'k1', token, names: ['bob', 'nobody', 'CAROL', 'bob'] }, A));
    expect(reply).to.deep.equal({
      t: 'ack',
      re: 'k1',
      status: 'ok',
      rows: [
        { name: 'Bob', ip: B.ip, port: B.port, online: true, key: identityOf('Bob').publicKey },
        { name: 'carol', ip: C.ip, port: C.port, online: true, key: identityOf('carol').publicKey },
      ],
    });
  });

  it('lists no rows when it knows none of the names', async () => {
    const token = await rig.online('alice', A);
    expect(await serveKeys.execute(inbound({ t: 'key-request', id: 'k1', token, names: ['nobody'] }, A))).to.deep.equal({ t: 'ack', re: 'k1', status: 'ok' });
  });

  it(`answers at most ${KEY_REQUEST_MAX_NAMES} names, so the answer fits one datagram`, async () => {
    const token = await rig.online('alice', A);
    const names: string[] = [];
    for (let i = 0; i < KEY_REQUEST_MAX_NAMES + 5; i++) {
      const name = `n${i}`;
      await rig.online(name, { ip: '127.0.0.1', port: 7000 + i });
      names.push(name);
    }
    const reply = await serveKeys.execute(inbound({ t: 'key-request', id: 'k1', token, names }, A));
    expect(reply?.t === 'ack' ? reply.rows?.map((r) => r.name) : undefined).to.deep.equal(names.slice(0, KEY_REQUEST_MAX_NAMES));
  });

  it('drops a request from an unconfirmed session, with a wrong token, or from another address', async () => {
    const confirmed = await rig.online('alice', A);
    const unconfirmed = await rig.register('bob', B);
    const bad = [
      inbound({ t: 'key-request' as const, id: 'k1', token: unconfirmed, names: ['alice'] }, B),
      inbound({ t: 'key-request' as const, id: 'k2', token: 'nope', names: ['alice'] }, A),
      inbound({ t: 'key-request' as const, id: 'k3', token: confirmed, names: ['alice'] }, B),
    ];
    for (const b of bad) expect(await serveKeys.execute(b), b.message.id).to.equal(undefined);
  });
});
