import { expect } from 'chai';
import { ClientTable } from '../../../src/domain/client-table';
import { channelRecipients } from '../../../src/domain/group-channel';

describe('domain/group-channel', () => {
  function table(): ClientTable {
    const t = new ClientTable();
    t.upsert({ name: 'Alice', ip: '127.0.0.1', port: 1, online: true });
    t.upsert({ name: 'bob', ip: '127.0.0.1', port: 2, online: true });
    t.upsert({ name: 'carol', ip: '127.0.0.1', port: 3, online: false });
    t.upsert({ name: 'dave', ip: '127.0.0.1', port: 4, online: false });
    return t;
  }

  it('sends to everyone but the sender, split into online and offline', () => {
    const r = channelRecipients(table(), 'bob');
    expect(r.online.map((x) => x.name)).to.deep.equal(['Alice']);
    expect(r.offline.map((x) => x.name).sort()).to.deep.equal(['carol', 'dave']);
  });

  it('excludes the sender case-insensitively', () => {
    const r = channelRecipients(table(), 'aLICE');
    expect(r.online.map((x) => x.name)).to.deep.equal(['bob']);
    expect(r.offline.map((x) => x.name).sort()).to.deep.equal(['carol', 'dave']);
  });

  it('an offline sender is excluded from the offline list too', () => {
    const r = channelRecipients(table(), 'CAROL');
    expect(r.online.map((x) => x.name).sort()).to.deep.equal(['Alice', 'bob']);
    expect(r.offline.map((x) => x.name)).to.deep.equal(['dave']);
  });

  it('a sender alone in the table has no recipients', () => {
    const t = new ClientTable();
    t.upsert({ name: 'solo', ip: '127.0.0.1', port: 1, online: true });
    expect(channelRecipients(t, 'solo')).to.deep.equal({ online: [], offline: [] });
  });
});
