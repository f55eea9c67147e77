import { expect } from 'chai';
import fc from 'fast-check';
import { decodeDatagram, encodeMessage, FRAME_PREFIX_BYTES } from '../../../../src/adapters/wire/envelope-codec';
import { DATA_HEADER_BYTES, TAG_BYTES } from '../../../../src/adapters/wire/link/link-frames';
import { ID_MAX_CHARS, PART_ID_MAX_CHARS, NAME_MAX_CHARS, TOKEN_MAX_CHARS } from '../../../../src/adapters/wire/message-schema';
import { KEY_REQUEST_MAX_NAMES, LINK_OVERHEAD_BYTES, MAX_DATAGRAM_BYTES, MAX_FULL_NAMES, MAX_MORE_ACKS, MAX_LINKED_FRAME_BYTES, MAX_SERVER_ADDRESSES, PROTOCOL_VERSION, REGISTER_MIN_BYTES, type Message, type MessageOf } from '../../../../src/application/protocol/envelope';
import { ADDRESS_TEXT_MAX_CHARS } from '../../../../src/domain/address';
import { TABLE_FRAME_MAX_BYTES } from '../../../../src/application/protocol/table-row-wire';
import { MESSAGE_MAX_BYTES } from '../../../../src/domain/message-text';
import { ACK_PROOF_CHARS, chatPlaintext } from '../../../../src/application/protocol/sealing';

const SEED = Number(process.env['CODEC_SEED'] ?? 20261130);
const RUNS = 200;

/** The longest legal values of every non-text field. */
const LONG_ID = 'I'.repeat(ID_MAX_CHARS);
const LONG_TOKEN = 'T'.repeat(TOKEN_MAX_CHARS);
const LONG_NAME = 'N'.repeat(NAME_MAX_CHARS);
const LONG_AT = Number.MAX_SAFE_INTEGER;

/** A text as an end-to-end sealed payload (nonce ‖ ciphertext ‖ tag: 28 bytes more than its UTF-8), as the application holds it. */
const sealedLike = (text: string): string => Buffer.concat([Buffer.alloc(12, 1), Buffer.from(text, 'utf8'), Buffer.alloc(16, 2)]).toString('base64url');

/** Each path that carries a text, as its message with the longest legal other fields (a sealed text counts its 28 bytes in the overhead, a chat's also its ACK proof). */
const PATHS: Record<string, (text: string) => Message> = {
  'direct chat': (text) => ({ t: 'chat', id: LONG_ID, from: LONG_NAME, to: LONG_NAME, sealed: sealedLike(chatPlaintext('P'.repeat(ACK_PROOF_CHARS), text)), stream: LONG_ID, seq: Number.MAX_SAFE_INTEGER }),
  save: (text) => ({ t: 'save', id: LONG_ID, token: LONG_TOKEN, from: LONG_NAME, to: LONG_NAME, sealed: sealedLike(text) }),
  'stored delivery': (text) => ({ t: 'stored', id: LONG_ID, token: LONG_TOKEN, items: [{ id: LONG_ID, from: LONG_NAME, kind: 'channel', at: LONG_AT, text }] }),
  'stored direct delivery': (text) => ({ t: 'stored', id: LONG_ID, token: LONG_TOKEN, items: [{ id: LONG_ID, from: LONG_NAME, kind: 'direct', at: LONG_AT, text: sealedLike(text) }] }),
  'send-all': (text) => ({ t: 'send-all', id: LONG_ID, token: LONG_TOKEN, from: LONG_NAME, text }),
  'channel push': (text) => ({ t: 'channel', id: LONG_ID, token: LONG_TOKEN, from: LONG_NAME, text }),
};

/**
 * The frame sizes worked out in envelope-codec.ts, without the text (save: with its `to` of 32
 * bytes). If the layout changes, this table and that comment change together.
 */
const DOCUMENTED_OVERHEAD: Record<string, number> = { 'direct chat': 185, save: 152, 'stored delivery': 141, 'stored direct delivery': 168, 'send-all': 93, 'channel push': 92 };

/** The paths between two clients travel as plain frames (their text sealed end to end); every other path goes through the secure link, which adds LINK_OVERHEAD_BYTES. */
const limitOf = (path: string): number => (path === 'direct chat' ? MAX_DATAGRAM_BYTES : MAX_LINKED_FRAME_BYTES);

/** Adversarial alphabets: characters JSON escapes (up to 6 bytes each) and the longest UTF-8. */
const ALPHABETS: Record<string, string[]> = {
  quotes: ['"'],
  backslashes: ['\\'],
  tabs: ['\t'],
  'control characters': [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\u007f', '\u0085', '\u2028', '\u2029'],
  '4-byte emoji': ['😀', '👩', '🇫', '𝄞', '\u{10FFFF}', '🧑'],
  mixed: ['"', '\\', '\t', '\n', '\u0000', '\u001b', 'é', '€', '日', '😀', '\u{1F469}\u200D\u{1F467}', 'a', ' ', '\u2028', '\uFEFF'],
};

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Repeat `pattern` until no character of it fits `MESSAGE_MAX_BYTES` any more: a text at the limit. */
function fillToLimit(pattern: readonly string[]): string {
  let text = '';
  let bytes = 0;
  for (let i = 0, misses = 0; misses < pattern.length; i++) {
    const ch = pattern[i % pattern.length]!;
    const size = utf8(ch);
    if (bytes + size > MESSAGE_MAX_BYTES) {
      misses += 1;
      continue;
    }
    misses = 0;
    text += ch;
    bytes += size;
  }
  return text;
}

/** Texts at the limit (within 10 bytes of it: the longest character here, a family emoji, is 11 bytes) from one alphabet. */
const textAtLimit = (alphabet: string[]): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 300 }).map(fillToLimit);

/** A frame with `header` as given (possibly malformed) and no body, encoded by hand. */
function frameOf(header: unknown[]): Buffer {
  const head = Buffer.from(JSON.stringify(header));
  return Buffer.concat([Buffer.from([PROTOCOL_VERSION, head.length >> 8, head.length & 0xff]), head]);
}

function roundTrip(message: Message): { bytes: number; back: Message } {
  const data = encodeMessage(message);
  const decoded = decodeDatagram(data);
  if (!decoded.ok) throw new Error(`did not decode: ${decoded.reason}`);
  return { bytes: data.length, back: decoded.message };
}

describe('adapters/wire/envelope-codec: every text within the limit fits one datagram', () => {
  it('the protocol counts what the secure link adds as the link lays it out: header and tag', () => {
    expect(LINK_OVERHEAD_BYTES).to.equal(DATA_HEADER_BYTES + TAG_BYTES);
  });

  before(() => console.log(`      fast-check seed ${SEED} (set CODEC_SEED to replay)`));

  describe('worst case per path, longest ids, tokens, names and times', () => {
    for (const [path, make] of Object.entries(PATHS)) {
      it(`${path}: the frame without the text is ${DOCUMENTED_OVERHEAD[path]} bytes, so any 1,000-byte text fits in 1,200 (sealed by the link where it goes through one)`, () => {
        const text = 'x'.repeat(MESSAGE_MAX_BYTES);
        const bytes = encodeMessage(make(text)).length;
        expect(bytes - MESSAGE_MAX_BYTES, 'overhead as documented in envelope-codec.ts').to.equal(DOCUMENTED_OVERHEAD[path]);
        expect(bytes).to.be.at.most(limitOf(path));
        for (const [name, alphabet] of Object.entries(ALPHABETS)) {
          const worst = fillToLimit(alphabet);
          const message = make(worst);
          const { bytes: size, back } = roundTrip(message);
          expect(size, `${path}, 1,000 bytes of ${name}`).to.equal(bytes - MESSAGE_MAX_BYTES + utf8(worst)).and.at.most(limitOf(path));
          expect(back, `${path}, ${name}`).to.deep.equal(message);
        }
      });
    }

    it('a table datagram with no rows and the longest fields is within TABLE_FRAME_MAX_BYTES (3 bytes kept for a rows length of 4 digits)', () => {
      const biggest = Number.MAX_SAFE_INTEGER;
      const empty: MessageOf<'table'> = { t: 'table', id: 'P'.repeat(PART_ID_MAX_CHARS), token: LONG_TOKEN, from: biggest, to: biggest, part: biggest, parts: biggest, full: false, rows: [] };
      expect(encodeMessage(empty).length).to.equal(142).and.equal(TABLE_FRAME_MAX_BYTES - 3);
    });
  });

  describe('the longest answer: a send-all ACK naming MAX_FULL_NAMES members of the longest names', () => {
    it('fits one datagram (as the server sends it: status ok, no version)', () => {
      const names = Array.from({ length: MAX_FULL_NAMES }, (_, i) => `${i}`.padStart(NAME_MAX_CHARS, 'N'));
      const ack: Message = { t: 'ack', re: 'P'.repeat(PART_ID_MAX_CHARS), status: 'ok', full: names, fullCount: Number.MAX_SAFE_INTEGER };
      const { bytes, back } = roundTrip(ack);
      expect(bytes).to.be.at.most(MAX_LINKED_FRAME_BYTES);
      expect(back).to.deep.equal(ack);
    });
  });

  describe('the answer to a key request: KEY_REQUEST_MAX_NAMES rows with keys, the longest names on distinct IPv6 addresses', () => {
    it('fits one datagram, and so does the request for as many of the longest names', () => {
      const rows = Array.from({ length: KEY_REQUEST_MAX_NAMES }, (_, i) => ({
        // No two share a first character: no row's name is shortened by the row before it.
        name: String.fromCharCode(65 + i).repeat(NAME_MAX_CHARS),
        ip: `ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff${i.toString(16).padStart(2, '0')}`,
        port: 65535,
        online: true,
        key: Buffer.alloc(32, i).toString('base64url'),
      }));
      const ack: Message = { t: 'ack', re: LONG_ID, status: 'ok', rows };
      const answer = roundTrip(ack);
      expect(answer.bytes + LINK_OVERHEAD_BYTES).to.equal(1108).and.be.at.most(MAX_DATAGRAM_BYTES);
      expect(answer.back).to.deep.equal(ack);
      const request = roundTrip({ t: 'key-request', id: LONG_ID, token: LONG_TOKEN, names: rows.map((r) => r.name) });
      expect(request.bytes).to.be.at.most(MAX_LINKED_FRAME_BYTES);
    });
  });

  describe('instance addresses: welcome.servers and the servers push', () => {
    /** MAX_SERVER_ADDRESSES distinct addresses of the longest form. */
    const LONGEST = Array.from({ length: MAX_SERVER_ADDRESSES }, (_, i) => `[ffff:ffff:ffff:ffff:ffff:fff${i}:255.255.255.255]:65535`);

    /** A welcome or servers message carrying `servers` as given (possibly malformed), encoded by hand. */
    const withServers = (type: 'welcome' | 'servers', servers: unknown): Buffer => {
      const header = type === 'welcome' ? ['welcome', 'r1', 'alice', 'tok', servers] : ['servers', 'p1', 'tok', servers];
      // Left out, as the codec leaves out an absent field at the end.
      if (servers === undefined) header.pop();
      const head = Buffer.from(JSON.stringify(header));
      return Buffer.concat([Buffer.from([PROTOCOL_VERSION, head.length >> 8, head.length & 0xff]), head]);
    };

    it('round-trips a welcome with and without servers, and a servers push (leaving or not), IPv4 and IPv6', () => {
      const servers = ['127.0.0.1:5000', '[::1]:5001', '10.0.0.7:65535'];
      for (const message of [
        { t: 'welcome', re: 'r1', name: 'alice', token: 'tok' },
        { t: 'welcome', re: 'r1', name: 'alice', token: 'tok', servers },
        { t: 'servers', id: 'p1', token: 'tok', servers },
        { t: 'servers', id: 'p1', token: 'tok', servers, leaving: true },
      ] as Message[]) {
        expect(roundTrip(message).back).to.deep.equal(message);
      }
    });

    it('appends servers after the fields of a version-4 welcome (the header is positional)', () => {
      const data = encodeMessage({ t: 'welcome', re: 'r1', name: 'alice', token: 'tok', servers: ['127.0.0.1:5000'] });
      const head = data.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + data.readUInt16BE(1)).toString();
      expect(JSON.parse(head)).to.deep.equal(['welcome', 'r1', 'alice', 'tok', ['127.0.0.1:5000']]);
      expect(PROTOCOL_VERSION).to.equal(13);
    });

    it('a registration carries the session it moves (protocol 11), padded or not, within one datagram', () => {
      const moving = { t: 'register' as const, id: LONG_ID, name: LONG_NAME, secret: LONG_TOKEN, key: 'A'.repeat(43), pad: '.'.repeat(REGISTER_MIN_BYTES), session: LONG_TOKEN };
      const { bytes, back } = roundTrip(moving);
      expect(back).to.deep.equal(moving);
      expect(bytes).to.be.at.most(MAX_DATAGRAM_BYTES - LINK_OVERHEAD_BYTES);
      const { session: _session, ...first } = moving;
      expect(roundTrip(first).back).to.deep.equal(first);
    });

    it('the longest welcome is 537 bytes, below REGISTER_MIN_BYTES (never larger than the registration); the longest push is 507', () => {
      expect(LONGEST.every((a) => a.length === ADDRESS_TEXT_MAX_CHARS)).to.equal(true);
      const welcome = roundTrip({ t: 'welcome', re: LONG_ID, name: LONG_NAME, token: LONG_TOKEN, servers: LONGEST });
      expect(welcome.bytes, 'as documented in envelope-codec.ts').to.equal(537);
      expect(welcome.bytes).to.be.below(REGISTER_MIN_BYTES);
      const push = roundTrip({ t: 'servers', id: LONG_ID, token: LONG_TOKEN, servers: LONGEST, leaving: true });
      expect(push.bytes, 'as documented in envelope-codec.ts').to.equal(507);
      expect(push.bytes).to.be.at.most(MAX_LINKED_FRAME_BYTES);
    });

    it('the longest ACK run (MAX_MORE_ACKS more ACKs of table parts with proofs) is 955 bytes, within a datagram', () => {
      const part = 'P'.repeat(PART_ID_MAX_CHARS);
      const proof = 'Q'.repeat(ID_MAX_CHARS);
      const more = Array.from({ length: MAX_MORE_ACKS }, () => [part, proof]).flat();
      const run = roundTrip({ t: 'ack', re: part, proof, more });
      expect(run.back).to.deep.equal({ t: 'ack', re: part, proof, more });
      expect(run.bytes, 'as documented in envelope-codec.ts').to.equal(955);
      expect(run.bytes).to.be.at.most(MAX_DATAGRAM_BYTES);
      // More than MAX_MORE_ACKS, an odd count, or an id that is not one: not an ACK run.
      for (const bad of [[...more, part, proof], [part], [part, 'no spaces allowed'], ['', proof]]) {
        expect(decodeDatagram(frameOf(['ack', part, null, null, null, null, null, null, bad])).ok, JSON.stringify(bad).slice(0, 60)).to.equal(false);
      }
    });

    it('accepts what it encodes: 1 to MAX_SERVER_ADDRESSES well-formed addresses', () => {
      expect(decodeDatagram(withServers('servers', LONGEST)).ok).to.equal(true);
      expect(decodeDatagram(withServers('servers', ['1.2.3.4:1'])).ok).to.equal(true);
      expect(decodeDatagram(withServers('welcome', undefined)).ok).to.equal(true);
      // One form per message: an absent field at the end is left out, never written as null.
      expect(decodeDatagram(withServers('welcome', null)).ok).to.equal(false);
    });

    it('drops a welcome or push with a malformed, mistyped, empty or too long list', () => {
      const bad: unknown[] = [
        [],
        [...LONGEST, '1.2.3.4:5'],
        ['localhost:5000'],
        ['127.0.0.1'],
        ['127.0.0.1:0'],
        ['127.0.0.1:70000'],
        ['::1:5000'],
        ['[fe80::1%eth0]:5000'],
        ['127.0.0.1:5000', 'x'],
        ['127.0.0.1:5000\u0000'],
        [5000],
        '127.0.0.1:5000',
        { 0: '127.0.0.1:5000' },
      ];
      for (const servers of bad) {
        expect(decodeDatagram(withServers('welcome', servers)), `welcome ${JSON.stringify(servers)}`).to.deep.equal({ ok: false, reason: 'bad-fields' });
        expect(decodeDatagram(withServers('servers', servers)), `servers ${JSON.stringify(servers)}`).to.deep.equal({ ok: false, reason: 'bad-fields' });
      }
      expect(decodeDatagram(withServers('servers', null))).to.deep.equal({ ok: false, reason: 'bad-fields' });
    });
  });

  describe('property: random texts at the limit from adversarial alphabets, through the real codec', () => {
    for (const [name, alphabet] of Object.entries(ALPHABETS)) {
      it(`${name}: every path encodes within 1,200 bytes and decodes to exactly the message sent`, () => {
        fc.assert(
          fc.property(textAtLimit(alphabet), fc.constantFrom(...Object.keys(PATHS)), (text, path) => {
            expect(utf8(text)).to.be.within(MESSAGE_MAX_BYTES - 10, MESSAGE_MAX_BYTES);
            const message = PATHS[path]!(text);
            const { bytes, back } = roundTrip(message);
            expect(bytes, path).to.be.at.most(MAX_DATAGRAM_BYTES);
            expect(back).to.deep.equal(message);
          }),
          { seed: SEED, numRuns: RUNS },
        );
      });
    }

    it('any well-formed string of up to 1,000 bytes: every path fits and round-trips', () => {
      const text = fc.string({ unit: 'grapheme', maxLength: 400 }).filter((t) => t.length > 0 && utf8(t) <= MESSAGE_MAX_BYTES);
      fc.assert(
        fc.property(text, fc.constantFrom(...Object.keys(PATHS)), (t, path) => {
          const message = PATHS[path]!(t);
          const { bytes, back } = roundTrip(message);
          expect(bytes).to.be.at.most(MAX_DATAGRAM_BYTES);
          expect(back).to.deep.equal(message);
        }),
        { seed: SEED + 1, numRuns: RUNS },
      );
    });
  });

  describe('strict decoding', () => {
    const chat: Message = { t: 'channel', id: 'm1', token: 'tok', from: 'alice', text: 'a "b" \\ c' };
    const data = encodeMessage(chat);

    it('writes the version byte, the header length and the header, then the raw text', () => {
      expect(data[0]).to.equal(PROTOCOL_VERSION);
      const headLength = data.readUInt16BE(1);
      expect(JSON.parse(data.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + headLength).toString())).to.deep.equal(['channel', 'm1', 'tok', 'alice', 9]);
      expect(data.subarray(FRAME_PREFIX_BYTES + headLength).toString()).to.equal('a "b" \\ c');
    });

    it('drops a body longer or shorter than the header says, a cut header and a wrong version', () => {
      expect(decodeDatagram(Buffer.concat([data, Buffer.from('x')]))).to.deep.equal({ ok: false, reason: 'bad-body' });
      expect(decodeDatagram(data.subarray(0, data.length - 1))).to.deep.equal({ ok: false, reason: 'bad-body' });
      expect(decodeDatagram(data.subarray(0, 8))).to.deep.equal({ ok: false, reason: 'truncated' });
      expect(decodeDatagram(Buffer.concat([Buffer.from([PROTOCOL_VERSION - 1]), data.subarray(1)]))).to.deep.equal({ ok: false, reason: 'wrong-version' });
      expect(decodeDatagram(Buffer.from(JSON.stringify({ v: 1, ...chat })))).to.deep.equal({ ok: false, reason: 'wrong-version' });
    });

    it('drops a stored datagram whose item lengths do not add up to its body', () => {
      const stored = encodeMessage({ t: 'stored', id: 's1', token: 'tok', items: [{ id: 'a', from: 'x', kind: 'direct', at: 1, text: 'one' }, { id: 'b', from: 'y', kind: 'channel', at: 2, text: 'two!' }] });
      expect(decodeDatagram(stored).ok).to.equal(true);
      const headLength = stored.readUInt16BE(1);
      const header = JSON.parse(stored.subarray(3, 3 + headLength).toString()) as [string, string, string, Array<[string, string, string, number, number]>];
      header[3][0][4] = 4;
      const head = Buffer.from(JSON.stringify(header));
      const forged = Buffer.concat([Buffer.from([PROTOCOL_VERSION, 0, head.length]), head, stored.subarray(3 + headLength)]);
      expect(decodeDatagram(forged)).to.deep.equal({ ok: false, reason: 'bad-body' });
    });
  });
});
