import { expect } from 'chai';
import { ClientTable, type TableRow } from '../../../src/domain/client-table';

const pick = (r: TableRow | undefined): TableRow | undefined => (r ? { name: r.name, ip: r.ip, port: r.port, online: r.online } : undefined);

const row = (name: string, port: number, online = true, ip = '127.0.0.1'): TableRow => ({ name, ip, port, online });

describe('domain/client-table', () => {
  describe('server side', () => {
    it('bumps the version on every real change and not on a repeat', () => {
      const t = new ClientTable();
      expect(t.version).to.equal(0);
      expect(t.upsert(row('x', 1))).to.equal(true);
      expect(t.version).to.equal(1);
      expect(t.upsert(row('x', 1))).to.equal(false);
      expect(t.version).to.equal(1);
      expect(t.upsert(row('x', 1, false))).to.equal(true);
      expect(t.version).to.equal(2);
      expect(t.upsert(row('x', 2, false))).to.equal(true);
      expect(t.upsert(row('x', 2, false, '10.0.0.1'))).to.equal(true);
      expect(t.version).to.equal(4);
      expect(t.size).to.equal(1);
    });

    it('keys rows case-insensitively', () => {
      const t = new ClientTable();
      t.upsert(row('Alice', 1));
      expect(pick(t.get('alice'))).to.deep.equal(row('Alice', 1));
      expect(pick(t.get('ALICE'))).to.deep.equal(row('Alice', 1));
      t.upsert(row('aLiCe', 1));
      expect(t.size).to.equal(1);
      expect(t.namesStartingWith('AL')).to.deep.equal(['aLiCe']);
    });

    it('setOnline changes status (and address when given) and ignores unknown names', () => {
      const t = new ClientTable();
      t.upsert(row('x', 1));
      expect(t.setOnline('nobody', false)).to.equal(false);
      expect(t.version).to.equal(1);
      expect(t.setOnline('X', true)).to.equal(false);
      expect(t.setOnline('x', false)).to.equal(true);
      expect(pick(t.get('x'))).to.deep.equal(row('x', 1, false));
      expect(t.setOnline('x', true, { ip: '10.1.1.1', port: 9 })).to.equal(true);
      expect(pick(t.get('x'))).to.deep.equal(row('x', 9, true, '10.1.1.1'));
      expect(t.version).to.equal(3);
      expect(t.onlineRows().map((r) => r.name)).to.deep.equal(['x']);
    });

    it('changesSince lists exactly the rows changed after a version', () => {
      const t = new ClientTable();
      t.upsert(row('a', 1)); // v1
      t.upsert(row('b', 2)); // v2
      t.upsert(row('c', 3)); // v3
      t.setOnline('a', false); // v4
      expect(t.changesSince(0).map((r) => r.name).sort()).to.deep.equal(['a', 'b', 'c']);
      expect(t.changesSince(1).map((r) => r.name).sort()).to.deep.equal(['a', 'b', 'c']);
      expect(t.changesSince(2).map((r) => r.name).sort()).to.deep.equal(['a', 'c']);
      expect(t.changesSince(3)).to.deep.equal([row('a', 1, false)]);
      expect(t.changesSince(4)).to.deep.equal([]);
      // Rows handed out carry no internal bookkeeping.
      expect(Object.keys(t.changesSince(0)[0]!).sort()).to.deep.equal(['ip', 'name', 'online', 'port']);
    });

    it('a client replaying the server deltas converges to the server table', () => {
      const server = new ClientTable();
      const client = new ClientTable();
      server.upsert(row('a', 1));
      expect(client.applyFull(server.version, server.rows())).to.equal('applied');
      let seen = server.version;
      const changes: Array<() => void> = [
        () => server.upsert(row('b', 2)),
        () => server.setOnline('a', false),
        () => server.upsert(row('c', 3)),
        () => server.setOnline('a', true, { ip: '127.0.0.1', port: 11 }),
      ];
      for (const change of changes) {
        change();
        expect(client.applyDelta(seen, server.version, server.changesSince(seen))).to.equal('applied');
        seen = server.version;
        expect(sortRows(client.rows())).to.deep.equal(sortRows(server.rows()));
        expect(client.version).to.equal(server.version);
      }
    });
  });

  describe('client side', () => {
    it('applyFull applies a newer version and replaces every row', () => {
      const t = new ClientTable();
      expect(t.applyFull(3, [row('a', 1), row('b', 2)])).to.equal('applied');
      expect(t.version).to.equal(3);
      expect(t.applyFull(5, [row('c', 3)])).to.equal('applied');
      expect(t.rows()).to.deep.equal([row('c', 3)]);
      expect(t.version).to.equal(5);
    });

    it('applyFull refuses the same or an older version as stale and changes nothing', () => {
      const t = new ClientTable();
      t.applyFull(5, [row('a', 1)]);
      expect(t.applyFull(5, [row('z', 9)])).to.equal('stale');
      expect(t.applyFull(4, [row('z', 9)])).to.equal('stale');
      expect(t.rows()).to.deep.equal([row('a', 1)]);
      expect(t.version).to.equal(5);
    });

    it('applyDelta applies a delta based on the version held', () => {
      const t = new ClientTable();
      t.applyFull(2, [row('a', 1), row('b', 2)]);
      expect(t.applyDelta(2, 4, [row('b', 2, false), row('c', 3)])).to.equal('applied');
      expect(t.version).to.equal(4);
      expect(sortRows(t.rows())).to.deep.equal([row('a', 1), row('b', 2, false), row('c', 3)]);
    });

    it('applyDelta reports a delta up to a version held as stale and changes nothing', () => {
      const t = new ClientTable();
      t.applyFull(4, [row('a', 1)]);
      expect(t.applyDelta(2, 4, [row('a', 7)])).to.equal('stale');
      expect(t.applyDelta(1, 3, [row('a', 7)])).to.equal('stale');
      expect(t.applyDelta(4, 4, [row('a', 7)])).to.equal('stale');
      expect(t.rows()).to.deep.equal([row('a', 1)]);
      expect(t.version).to.equal(4);
    });

    it('applyDelta reports a delta starting after the version held as a gap and changes nothing', () => {
      const t = new ClientTable();
      t.applyFull(2, [row('a', 1)]);
      expect(t.applyDelta(3, 5, [row('a', 7)])).to.equal('gap');
      expect(t.rows()).to.deep.equal([row('a', 1)]);
      expect(t.version).to.equal(2);
    });

    it('applyDelta whose base is older than the version held but whose end is newer (from < current < to) applies: it holds every row changed since its base', () => {
      const t = new ClientTable();
      t.applyFull(3, [row('a', 1), row('b', 2)]);
      expect(t.applyDelta(1, 5, [row('b', 2, false)])).to.equal('applied');
      expect(t.version).to.equal(5);
      expect(sortRows(t.rows())).to.deep.equal([row('a', 1), row('b', 2, false)]);
    });

    it('a fresh table (version 0) takes a full table of any version', () => {
      const t = new ClientTable();
      expect(t.applyFull(0, [row('a', 1)])).to.equal('applied');
      expect(t.applyFull(1, [row('b', 1)])).to.equal('applied');
      expect(t.rows()).to.deep.equal([row('b', 1)]);
    });

    it('restore rebuilds at a version and later changes continue above it', () => {
      const t = new ClientTable();
      t.restore(10, [row('a', 1, false), row('b', 2)]);
      expect(t.version).to.equal(10);
      expect(t.changesSince(9).length).to.equal(2);
      expect(t.changesSince(10)).to.deep.equal([]);
      t.setOnline('a', true);
      expect(t.version).to.equal(11);
      expect(t.changesSince(10)).to.deep.equal([row('a', 1, true)]);
    });
  });
});

function sortRows(rows: TableRow[]): TableRow[] {
  return [...rows].sort((a, b) => a.name.localeCompare(b.name));
}

describe('ClientTable.holdsAll', () => {
  it('is true only when every row is held exactly so (a delta that changes nothing visible)', () => {
    const t = new ClientTable();
    t.applyFull(3, [{ name: 'alice', ip: '127.0.0.1', port: 6001, online: true }]);
    expect(t.holdsAll([{ name: 'alice', ip: '127.0.0.1', port: 6001, online: true }])).to.equal(true);
    expect(t.holdsAll([{ name: 'alice', ip: '127.0.0.1', port: 6001, online: false }])).to.equal(false);
    expect(t.holdsAll([{ name: 'bob', ip: '127.0.0.1', port: 6002, online: true }])).to.equal(false);
  });
});
