import { expect } from 'chai';
import fc from 'fast-check';
import { decodeDatagram, encodeMessage, encodeRows } from '../../../../src/adapters/wire/envelope-codec';
import { ID_MAX_CHARS, MAX_ROWS, NAME_MAX_CHARS, TOKEN_MAX_CHARS } from '../../../../src/adapters/wire/message-schema';
import { MAX_DATAGRAM_BYTES, type MessageOf } from '../../../../src/application/protocol/envelope';
import { ipFromBytes, ipToBytes, rowWireBytes } from '../../../../src/application/protocol/table-row-wire';
import { paginate, PAGE_ROW_BYTES } from '../../../../src/application/server/table-broadcaster';
import type { TableRow } from '../../../../src/domain/client-table';

const SEED = Number(process.env['CODEC_SEED'] ?? 20261130);
const LONG_ID = 'I'.repeat(ID_MAX_CHARS);
const BIG = Number.MAX_SAFE_INTEGER;

function page(rows: TableRow[], id = LONG_ID, token = 'T'.repeat(TOKEN_MAX_CHARS)): MessageOf<'table'> {
  return { t: 'table', id, token, from: BIG, to: BIG, part: BIG, parts: BIG, full: false, rows };
}

/** A well-formed table datagram whose rows section is replaced by `rows` (the header names its length). */
function withRows(rows: Buffer): Buffer {
  const header = Buffer.from(JSON.stringify(['table', 'i', 't', 0, 1, 0, 1, true, rows.length]));
  return Buffer.concat([Buffer.from([encodeMessage(page([]))[0]!, header.length >> 8, header.length & 0xff]), header, rows]);
}

const name = fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{1,${NAME_MAX_CHARS}}$`));
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();
const literal = fc.oneof(fc.constant('fe80::1%eth0'), fc.constant('0:0:0:0:0:0:0:1'), fc.constant('::FFFF:1.2.3.4'), fc.constant('010.0.0.1'));
const publicKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64url'));
const row = fc.record(
  { name, ip: fc.oneof(ipv4, ipv6, literal, fc.constant('10.0.0.1')), port: fc.integer({ min: 1, max: 65535 }), online: fc.boolean(), key: publicKey },
  { requiredKeys: ['name', 'ip', 'port', 'online'] },
);
/** Rows as a table lists them: names often sharing a prefix, addresses often repeated. */
const similarRows = fc
  .array(fc.tuple(fc.stringMatching(/^[ab]{0,3}$/), fc.constantFrom('10.0.0.1', '10.0.0.2', '::1', 'fe80::1%eth0'), fc.integer({ min: 1, max: 65535 }), fc.boolean()), { maxLength: 30 })
  .map((list) => list.map(([tail, ip, port, online], i): TableRow => ({ name: `c${i % 3}${tail}`, ip, port, online })));

describe('adapters/wire: table rows in their compact form', () => {
  it('round-trips any rows, each taking exactly rowWireBytes', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), (rows) => {
        const encoded = encodeRows(rows);
        expect(encoded.length).to.equal(rows.reduce((n, r, i) => n + rowWireBytes(r, rows[i - 1]), 0));
        const decoded = decodeDatagram(encodeMessage(page(rows)));
        expect(decoded.ok).to.equal(true);
        expect((decoded as { message: MessageOf<'table'> }).message.rows).to.deep.equal(rows);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('round-trips rows with shared name prefixes and repeated addresses', () => {
    fc.assert(
      fc.property(similarRows, (rows) => {
        expect(encodeRows(rows).length).to.equal(rows.reduce((n, r, i) => n + rowWireBytes(r, rows[i - 1]), 0));
        const decoded = decodeDatagram(encodeMessage(page(rows)));
        expect(decoded.ok).to.equal(true);
        expect((decoded as { message: MessageOf<'table'> }).message.rows).to.deep.equal(rows);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('an IPv4 row of a 6-character name takes 15 bytes, 6 after c00000 on the same address (63 as a JSON object)', () => {
    const first: TableRow = { name: 'c00000', ip: '127.0.0.1', port: 40000, online: true };
    const next: TableRow = { name: 'c00001', ip: '127.0.0.1', port: 40001, online: true };
    expect(rowWireBytes(next)).to.equal(15);
    expect(rowWireBytes(next, first)).to.equal(6);
    expect(encodeRows([first, next])).to.have.length(21);
  });

  it('addresses go as bytes only when they read back as the same string', () => {
    expect(ipToBytes('127.0.0.1')).to.have.length(4);
    expect(ipToBytes('2001:db8::1')).to.have.length(16);
    expect(ipToBytes('::ffff:10.0.0.1')).to.have.length(16);
    expect(ipToBytes('::')).to.have.length(16);
    for (const text of ['010.0.0.1', '0:0:0:0:0:0:0:1', '2001:DB8::1', 'fe80::1%eth0', '1.2.3', '1.2.3.256', '1::2::3', ':::', 'x']) {
      expect(ipToBytes(text), text).to.equal(undefined);
    }
    expect(ipFromBytes(Uint8Array.from([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]))).to.equal('2001:db8::1:0:0:1');
  });

  it('the broadcaster fills pages exactly: the longest names with IPv6 addresses never pass 1,200 bytes', () => {
    const longest = Array.from({ length: 500 }, (_, i): TableRow => ({
      name: `${i}`.padStart(NAME_MAX_CHARS, 'N'),
      ip: `2001:db8:1111:2222:3333:4444:5555:${(i + 1).toString(16)}`,
      port: 65535,
      online: true,
      key: Buffer.alloc(32, i).toString('base64url'),
    }));
    const literal = longest.map((r) => ({ ...r, ip: `fe80::1234:5678:9abc:def0%${'x'.repeat(38)}` }));
    for (const rows of [longest, literal]) {
      const pages = paginate(rows);
      expect(pages.flat()).to.deep.equal(rows);
      for (const p of pages) {
        const bytes = encodeMessage(page(p)).length;
        expect(bytes).to.be.at.most(MAX_DATAGRAM_BYTES);
        // Full: one more row would not fit.
        const next = rows[pages.flat().indexOf(p[p.length - 1]!) + 1];
        if (next) expect(encodeRows(p).length + rowWireBytes(next, p[p.length - 1])).to.be.above(PAGE_ROW_BYTES);
      }
    }
  });

  it('typical rows fill a page with over 150 (14 as JSON objects)', () => {
    const rows = Array.from({ length: 11_000 }, (_, i): TableRow => ({ name: `c${String(i).padStart(5, '0')}`, ip: '127.0.0.1', port: 30000 + (i % 30000), online: true }));
    const pages = paginate(rows);
    expect(rows.length / pages.length).to.be.above(150);
    for (const p of pages) expect(encodeMessage(page(p)).length).to.be.at.most(MAX_DATAGRAM_BYTES);
  });

  describe('hostile rows sections make the datagram invalid', () => {
    const good = encodeRows([{ name: 'alice', ip: '10.0.0.1', port: 5000, online: true }]);
    const alice = [1, 0, 5, ...Buffer.from('alice'), 10, 0, 0, 1, 0x13, 0x88];
    expect([...good]).to.deep.equal(alice);
    const cases: Record<string, Buffer> = {
      'cut in the name': good.subarray(0, 5),
      'cut in the address': good.subarray(0, 10),
      'cut in the port': good.subarray(0, good.length - 1),
      'an unused flag bit': Buffer.from([0x81, ...good.subarray(1)]),
      'the same address on the first row': Buffer.from([7, 0, 5, ...Buffer.from('alice'), 0x13, 0x88]),
      'a prefix shared with no row before': Buffer.from([1, 1, 5, ...Buffer.from('alice'), 10, 0, 0, 1, 0x13, 0x88]),
      'a prefix longer than the name before': Buffer.from([...alice, 7, 6, 1, 0x61, 0x13, 0x88]),
      'a shared prefix shorter than the longest': Buffer.from([...alice, 7, 1, 4, ...Buffer.from('lice'), 0x13, 0x88]),
      'a repeated address not written as such': Buffer.from([...alice, 1, 0, 3, ...Buffer.from('bob'), 10, 0, 0, 1, 0x13, 0x88]),
      'an empty name': Buffer.from([1, 0, 0, 10, 0, 0, 1, 0x13, 0x88]),
      'a name too long': Buffer.from([1, 0, 33, ...Buffer.from('a'.repeat(33)), 10, 0, 0, 1, 0x13, 0x88]),
      'a name too long with its shared prefix': Buffer.from([...alice, 7, 5, 28, ...Buffer.from('x'.repeat(28)), 0x13, 0x88]),
      'a name with other characters': Buffer.from([1, 0, 3, ...Buffer.from('a"b'), 10, 0, 0, 1, 0x13, 0x88]),
      'port 0': Buffer.from([...good.subarray(0, good.length - 2), 0, 0]),
      'an address literal of other characters': Buffer.from([5, 0, 1, 0x61, 3, 0x31, 0x20, 0x32, 0x13, 0x88]),
      'an address literal with a byte form': Buffer.from([5, 0, 1, 0x61, 7, ...Buffer.from('1.2.3.4'), 0x13, 0x88]),
      'an address literal of length 0': Buffer.from([5, 0, 1, 0x61, 0, 0x13, 0x88]),
      'an address literal past its end': Buffer.from([5, 0, 1, 0x61, 200, 0x31, 0x13, 0x88]),
    };
    for (const [what, rows] of Object.entries(cases)) {
      it(what, () => {
        const decoded = decodeDatagram(withRows(rows));
        expect(decoded.ok, what).to.equal(false);
      });
    }

    it(`more than MAX_ROWS (${MAX_ROWS}) rows`, () => {
      const rows = (count: number): TableRow[] => Array.from({ length: count }, () => ({ name: 'n', ip: '1.2.3.4', port: 1, online: false }));
      expect(decodeDatagram(withRows(encodeRows(rows(MAX_ROWS)))).ok).to.equal(true);
      expect(decodeDatagram(withRows(encodeRows(rows(MAX_ROWS + 1)))).ok).to.equal(false);
    });

    it('a rows length in the header past the datagram', () => {
      const header = Buffer.from(JSON.stringify(['table', 'i', 't', 0, 1, 0, 1, true, good.length + 1]));
      const data = Buffer.concat([Buffer.from([encodeMessage(page([]))[0]!, 0, header.length]), header, good]);
      expect(decodeDatagram(data).ok).to.equal(false);
    });

    it('random bytes never throw and never decode to a row that does not re-encode the same', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
          const decoded = decodeDatagram(withRows(Buffer.from(bytes)));
          if (decoded.ok) expect(encodeRows((decoded.message as MessageOf<'table'>).rows).equals(Buffer.from(bytes))).to.equal(true);
        }),
        { seed: SEED, numRuns: 2000 },
      );
    });
  });
});
