import type { SendRefusal } from '../../application/ports/transport';
import { MAX_DATAGRAM_BYTES, PROTOCOL_VERSION, type Message } from '../../application/protocol/envelope';
import { ipFromBytes, ipToBytes, ROW_FLAG_KEY, ROW_FORM_IPV4, ROW_FORM_IPV6, ROW_FORM_LITERAL, ROW_FORM_SAME, ROW_IP_MAX_CHARS, ROW_KEY_BYTES, sharedPrefix } from '../../application/protocol/table-row-wire';
import type { TableRow } from '../../domain/client-table';
import { checkHeaderField, isBodyRule, isMessageType, KEY_BYTES, MAX_ROWS, MAX_STORED_ITEMS, NAME_MAX_CHARS, schemaOf, STORED_ITEM_SCHEMA, type FieldRule, type HeaderRule } from './message-schema';

/** Why a datagram was not accepted. */
export type DecodeFailure = 'oversize' | 'wrong-version' | 'truncated' | 'not-json' | 'unknown-type' | 'bad-fields' | 'bad-body';

export type Decoded = { ok: true; message: Message } | { ok: false; reason: DecodeFailure };

/** Version byte and the header's length (16 bits, big-endian). */
export const FRAME_PREFIX_BYTES = 3;

/*
 * The wire format shared by every transport: one binary frame per datagram.
 *
 *   byte 0        PROTOCOL_VERSION
 *   bytes 1-2     H, the header's length in bytes (big-endian)
 *   H bytes       the header: a JSON array [type, required fields…, optional fields… (null
 *                 when absent; left out when absent at the end, never a trailing null)] in
 *                 the order of MESSAGE_SCHEMA; a field carried in the body
 *                 appears here as its length in bytes; a stored item is an array of its
 *                 fields in the order of STORED_ITEM_SCHEMA
 *   the rest      the body: the body fields' raw bytes back to back, in header order (a
 *                 text as UTF-8, opaque bytes as they are); their lengths add up to exactly
 *                 the rest of the datagram
 *
 * Free text never passes through JSON, so a quote, a backslash or a control character costs
 * one byte, not up to six: a datagram is its header plus the text's UTF-8 bytes. The header
 * holds only ids, tokens and names ([A-Za-z0-9_-]), numbers, booleans, fixed words and table
 * rows, all of which JSON writes as themselves. Opaque payloads (sealed messages, keys) go
 * in the body the same way, with no base64.
 *
 * Worst case per path carrying a text of 1000 bytes (MESSAGE_MAX_BYTES), with ids of
 * ID_MAX_CHARS = 16, tokens of TOKEN_MAX_CHARS = 16, names of 32, body lengths as 4 digits and
 * a time of 16 digits (Number.MAX_SAFE_INTEGER); `"x"` counts 2 quotes, `,` 1 byte each. A
 * direct text travels sealed end to end (`sealed`: 12-byte nonce + the text + 16-byte tag =
 * 1028 bytes; a chat's also holds its 16-character ACK proof, 1044 bytes), counted here in
 * the overhead:
 *
 *   chat      ["chat","<id>","<from>","<to>",1044,"<stream>",<seq>]   = 8+19+35+35+5+19+17 = 138
 *   save      ["save","<id>","<token>","<from>",32,1028]              = 8+19+19+35+3+5  = 89
 *             (`to` is a name of at most 32 bytes, carried in the body: +32 body bytes)
 *   send-all  ["send-all","<id>","<token>","<from>",1000]             = 12+19+19+35+5   = 90
 *   channel   ["channel","<id>","<token>","<from>",1000]              = 11+19+19+35+5   = 89
 *   stored    ["stored","<id>","<token>",[["<id>","<from>","channel",<at>,1000]]]
 *             = 10+19+19 + 2+19+35+10+17+4 + 3                                     = 138
 *             (a `direct` item: "direct" is one byte shorter, its sealed text 28 bytes longer)
 *
 * Add the 3-byte prefix (and the 28 sealing bytes): chat 169 + 16 (the proof) = 185, save 92
 * (+32 for `to`, +28 = 152), send-all 93, channel 92, stored channel 141, stored direct 140 +
 * 28 = 168. A chat goes from client to client as it is (1185 bytes at most); every other path goes between a client
 * and a server instance, inside the secure link, which adds LINK_OVERHEAD_BYTES = 29: the
 * largest, a stored direct message, is 168 + 1000 + 29 = 1197 <= MAX_DATAGRAM_BYTES = 1200.
 * Ids and tokens of 16 characters (96 random bits) are what make it fit.
 * The server sends one stored message per `stored` datagram (DeliverOfflineMessages), so no
 * datagram ever holds two texts. The envelope-codec unit test recomputes every bound with
 * the longest legal fields.
 *
 * The longest answer, a send-all ACK naming MAX_FULL_NAMES = 31 members whose mailboxes are
 * full, as the server sends it: ["ack","<re>","ok",null,[31 × "<name>"],<count>] = 7+35+5+5 +
 * (2 + 31×35 - 1) + 16+1 = 1155 (`re` may name a table part: up to 32 characters), plus the
 * prefix = 1158, sealed 1187 <= 1200 (no text in it).
 *
 * The answer to a `key-request` lists at most KEY_REQUEST_MAX_NAMES = 12 rows with their keys:
 * worst, 12 names of 32 characters that share no first character, on distinct IPv6 addresses,
 * 12 × (1+1+1+32+16+2+32 = 85) = 1020 row bytes + ["ack","<re>","ok",null,null,null,null,1020]
 * + the prefix = 1079, sealed 1108 <= 1200 (the codec unit test checks it).
 *
 * Instance addresses (`welcome`'s `servers`, the `servers` push) are at most
 * MAX_SERVER_ADDRESSES = 8 of at most ADDRESS_TEXT_MAX_CHARS = 53 characters
 * (`[<45-character IPv6>]:65535`), all written by JSON as themselves: a list is at most
 * 2 + 8×55 + 7 = 449 bytes. The longest welcome, ["welcome","<re>","<name>","<token>",[…]]
 * = 10+19+35+19+449+2 = 534, plus the prefix = 537 < REGISTER_MIN_BYTES = 600, so it is never
 * larger than the padded registration it answers (no amplification; both are sealed alike).
 * The longest `servers` push, ["servers","<id>","<token>",[…],true] = 10+19+19+449+5+2 = 504
 * (499 when not leaving: the field is left out), plus the prefix = 507.
 *
 * The longest ACK run (protocol 13, only between clients, so outside the link),
 * ["ack","<re>",null,null,null,null,"<proof>",null,[16 × "<re>","<proof>"]] = 7+35+20+19+5 +
 * (2 + 16 × (34+1+18) + 15) + 1 = 952, plus the prefix = 955 <= 1200.
 *
 * `table` rows go in the body in their compact binary form (table-row-wire.ts: flags, the
 * name after the prefix it shares with the row before, the address as 4 or 16 bytes or none
 * when it repeats, the port; 6 bytes for c00001 after c00000 on one address, against 63 as a
 * JSON object), named in the header by their total length. The rest of a table datagram is at most 3 + ["table","<part id>","<token>",<16 digits>
 * ×4,false,<4 digits>] = 3 + 9+35+19+68+6+5 = 145 bytes (a part id is `<id>_<serial>_<part>`, at
 * most PART_ID_MAX_CHARS = 32; TABLE_FRAME_MAX_BYTES in table-row-wire.ts), so the broadcaster
 * fills a page with rows summing to at most 1200 - 29 - 145 = 1026 bytes (the link's 29
 * included), each counted exactly by rowWireBytes.
 */

type FieldList = ReadonlyArray<readonly [string, FieldRule]>;

/**
 * A type's fields in wire order, listed once per type: the codec walks them for every datagram
 * sent or received, and Object.entries would build the same lists again each time.
 */
const FIELD_LISTS = new Map<Message['t'], { readonly required: FieldList; readonly optional: FieldList }>();

function fieldListsOf(type: Message['t']): { readonly required: FieldList; readonly optional: FieldList } {
  let lists = FIELD_LISTS.get(type);
  if (!lists) {
    const schema = schemaOf(type);
    lists = { required: Object.entries(schema.required), optional: Object.entries(schema.optional) };
    FIELD_LISTS.set(type, lists);
  }
  return lists;
}

const STORED_ITEM_FIELDS: FieldList = Object.entries(STORED_ITEM_SCHEMA);

/** Encodes `message` as one frame. Throws RangeError only for a header over 64 KiB (never a valid datagram). */
export function encodeMessage(message: Message): Buffer {
  const lists = fieldListsOf(message.t);
  const fields = message as unknown as Record<string, unknown>;
  const header: unknown[] = [message.t];
  const bodies: Uint8Array[] = [];
  for (const [field, rule] of lists.required) header.push(put(rule, fields[field], bodies));
  for (const [field, rule] of lists.optional) header.push(fields[field] === undefined ? null : put(rule, fields[field], bodies));
  // Absent optional fields at the end are left out (protocol 13): an ACK is ["ack","<re>"].
  while (header.length > 1 + lists.required.length && header[header.length - 1] === null) header.pop();
  // One buffer of the frame's exact size, written in place: no separate prefix, header and
  // concatenation buffers for every datagram.
  const json = JSON.stringify(header);
  const headLength = Buffer.byteLength(json, 'utf8');
  if (headLength > 0xffff) throw new RangeError(`header of ${headLength} bytes`);
  let total = FRAME_PREFIX_BYTES + headLength;
  for (const body of bodies) total += body.length;
  const frame = Buffer.allocUnsafe(total);
  frame[0] = PROTOCOL_VERSION;
  frame[1] = headLength >> 8;
  frame[2] = headLength & 0xff;
  let at = FRAME_PREFIX_BYTES + frame.write(json, FRAME_PREFIX_BYTES, 'utf8');
  for (const body of bodies) {
    frame.set(body, at);
    at += body.length;
  }
  return frame;
}

/** One field's header value; a body field's bytes go to `bodies` and its length to the header. */
function put(rule: FieldRule, value: unknown, bodies: Uint8Array[]): unknown {
  if (!isBodyRule(rule)) return rule === 'items' ? (value as Array<Record<string, unknown>>).map((item) => encodeItem(item, bodies)) : value;
  const bytes = rule === 'rows' ? encodeRows(value as readonly TableRow[]) : rule === 'sealed' || rule === 'key' ? fromBase64url(rule, value) : toBytes(value);
  bodies.push(bytes);
  return bytes.length;
}

function encodeItem(item: Record<string, unknown>, bodies: Uint8Array[]): unknown[] {
  return STORED_ITEM_FIELDS.map(([field, rule]) => put(itemRule(field, rule, item.kind), item[field], bodies));
}

/**
 * The datagram a transport may send for `message`, or the refusal to report: every
 * transport applies the same limit the same way.
 */
export function encodeForSending(message: Message, limitBytes = MAX_DATAGRAM_BYTES): { ok: true; data: Buffer } | { ok: false; refusal: SendRefusal } {
  let data: Buffer;
  try {
    data = encodeMessage(message);
  } catch (error) {
    return { ok: false, refusal: { reason: 'failed', detail: `it cannot be encoded: ${(error as Error).message}` } };
  }
  if (data.length > limitBytes) return { ok: false, refusal: { reason: 'oversize', bytes: data.length, limitBytes } };
  return { ok: true, data };
}

/** A stored direct message's text is its sealed payload. */
function itemRule(field: string, rule: FieldRule, kind: unknown): FieldRule {
  return field === 'text' && kind === 'direct' ? 'sealed' : rule;
}

/** The raw bytes of a sealed payload or key held as base64url; a key must be KEY_BYTES long. */
function fromBase64url(rule: 'sealed' | 'key', value: unknown): Buffer {
  const bytes = Buffer.from(String(value), 'base64url');
  if (rule === 'key' && bytes.length !== KEY_BYTES) throw new RangeError(`a key of ${bytes.length} bytes`);
  return bytes;
}

function toBytes(value: unknown): Uint8Array {
  // A lone surrogate (not valid Unicode) is written as U+FFFD, as every UTF-8 encoder does.
  return value instanceof Uint8Array ? value : Buffer.from(String(value), 'utf8');
}

/** A strict UTF-8 reader: a body text that is not valid UTF-8 makes the datagram invalid. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Invalid extends Error {
  constructor(readonly reason: DecodeFailure) {
    super(reason);
  }
}

/**
 * Decodes one datagram, checking it whole against the schema: the version, the header's
 * length, no missing, extra or mistyped field, and body lengths that account for every byte.
 * The application only ever sees well-formed messages.
 */
export function decodeDatagram(data: Buffer | Uint8Array): Decoded {
  // Oversized datagrams are dropped before any parsing work is spent on them.
  if (data.length > MAX_DATAGRAM_BYTES || data.length === 0) return { ok: false, reason: 'oversize' };
  if (data[0] !== PROTOCOL_VERSION) return { ok: false, reason: 'wrong-version' };
  if (data.length < FRAME_PREFIX_BYTES) return { ok: false, reason: 'truncated' };
  const headLength = (data[1]! << 8) | data[2]!;
  const bodyStart = FRAME_PREFIX_BYTES + headLength;
  if (bodyStart > data.length) return { ok: false, reason: 'truncated' };
  let header: unknown;
  try {
    header = JSON.parse(headerText(data, bodyStart));
  } catch {
    return { ok: false, reason: 'not-json' };
  }
  if (!Array.isArray(header)) return { ok: false, reason: 'not-json' };
  const type = header[0];
  if (!isMessageType(type)) return { ok: false, reason: 'unknown-type' };
  const { required, optional } = fieldListsOf(type);
  // Optional fields absent at the end are left out, never written as null (one form per message).
  if (header.length < 1 + required.length || header.length > 1 + required.length + optional.length) return { ok: false, reason: 'bad-fields' };
  if (header.length > 1 + required.length && header[header.length - 1] === null) return { ok: false, reason: 'bad-fields' };
  const body = new BodyReader(data.subarray(bodyStart));
  try {
    const message: Record<string, unknown> = { t: type };
    let at = 1;
    for (const [field, rule] of required) message[field] = take(rule, header[at++], body);
    for (const [field, rule] of optional) {
      if (at >= header.length) break;
      const value = header[at++];
      if (value !== null) message[field] = take(rule, value, body);
    }
    if (!body.done) return { ok: false, reason: 'bad-body' };
    return { ok: true, message: message as unknown as Message };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, reason: error.reason };
    throw error;
  }
}

/**
 * The header's text. Headers are ASCII but for hostile input: an ASCII header is read as it is
 * (the common case, without the strict decoder's round trip into C++); anything else goes
 * through the strict UTF-8 reader, which throws on invalid bytes as before.
 */
function headerText(data: Buffer | Uint8Array, end: number): string {
  for (let i = FRAME_PREFIX_BYTES; i < end; i++) {
    if (data[i]! >= 0x80) return UTF8.decode(data.subarray(FRAME_PREFIX_BYTES, end));
  }
  return Buffer.prototype.latin1Slice.call(data, FRAME_PREFIX_BYTES, end) as string;
}

/** The value of one field: checked as is from the header, or read from the body by its length. */
function take(rule: FieldRule, value: unknown, body: BodyReader): unknown {
  if (isBodyRule(rule)) {
    if (!checkHeaderField('uint', value)) throw new Invalid('bad-fields');
    const bytes = body.read(value as number);
    if (rule === 'bytes') return bytes;
    if (rule === 'key' && bytes.length !== KEY_BYTES) throw new Invalid('bad-body');
    if (rule === 'sealed' || rule === 'key') return bytes.toString('base64url');
    if (rule === 'rows') return decodeRows(bytes);
    try {
      return UTF8.decode(bytes);
    } catch {
      throw new Invalid('bad-body');
    }
  }
  if (rule === 'items') return takeItems(value, body);
  if (!checkHeaderField(rule as Exclude<HeaderRule, 'items'>, value)) throw new Invalid('bad-fields');
  return value;
}

function takeItems(value: unknown, body: BodyReader): unknown[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_STORED_ITEMS) throw new Invalid('bad-fields');
  const fields = STORED_ITEM_FIELDS;
  return value.map((raw: unknown) => {
    if (!Array.isArray(raw) || raw.length !== fields.length) throw new Invalid('bad-fields');
    const item: Record<string, unknown> = {};
    fields.forEach(([field, rule], i) => {
      item[field] = take(itemRule(field, rule, item.kind), raw[i], body);
    });
    return item;
  });
}

/** Reads the body front to back; a length past its end makes the datagram invalid. */
class BodyReader {
  private offset = 0;

  constructor(private readonly data: Uint8Array) {}

  read(length: number): Buffer {
    if (length > this.data.length - this.offset) throw new Invalid('bad-body');
    const bytes = Buffer.from(this.data.subarray(this.offset, this.offset + length));
    this.offset += length;
    return bytes;
  }

  get done(): boolean {
    return this.offset === this.data.length;
  }
}

/**
 * Pages already encoded: the broadcaster sends one page array to every client at that
 * version (a storm's newcomers all get the same whole table), so its bytes are made once.
 * Page arrays are never changed once built.
 */
const ENCODED_ROWS = new WeakMap<readonly TableRow[], Buffer>();

/** Rows in their compact form (table-row-wire.ts), back to back. */
export function encodeRows(rows: readonly TableRow[]): Buffer {
  let encoded = ENCODED_ROWS.get(rows);
  if (!encoded) {
    encoded = encodeRowsOnce(rows);
    ENCODED_ROWS.set(rows, encoded);
  }
  return encoded;
}

function encodeRowsOnce(rows: readonly TableRow[]): Buffer {
  const chunks: Buffer[] = [];
  let before: TableRow | undefined;
  for (const row of rows) {
    const shared = before ? sharedPrefix(before.name, row.name) : 0;
    const suffix = Buffer.from(row.name.slice(shared), 'utf8');
    const same = before !== undefined && before.ip === row.ip;
    const ip = same ? undefined : ipToBytes(row.ip);
    const literal = same || ip ? undefined : Buffer.from(row.ip, 'utf8');
    if (row.name.length > NAME_MAX_CHARS || (literal && literal.length > ROW_IP_MAX_CHARS)) throw new RangeError(`table row for ${row.name} too long`);
    const form = same ? ROW_FORM_SAME : ip ? (ip.length === 4 ? ROW_FORM_IPV4 : ROW_FORM_IPV6) : ROW_FORM_LITERAL;
    const key = row.key === undefined ? undefined : Buffer.from(row.key, 'base64url');
    if (key && key.length !== ROW_KEY_BYTES) throw new RangeError(`table row for ${row.name} has a key of ${key.length} bytes`);
    const out = Buffer.allocUnsafe(5 + suffix.length + (ip ? ip.length : literal ? 1 + literal.length : 0) + (key ? ROW_KEY_BYTES : 0));
    let at = 0;
    out[at++] = (row.online ? 1 : 0) | (form << 1) | (key ? ROW_FLAG_KEY : 0);
    out[at++] = shared;
    out[at++] = suffix.length;
    at += suffix.copy(out, at);
    if (ip) {
      out.set(ip, at);
      at += ip.length;
    } else if (literal) {
      out[at++] = literal.length;
      at += literal.copy(out, at);
    }
    out.writeUInt16BE(row.port, at);
    if (key) key.copy(out, at + 2);
    chunks.push(out);
    before = row;
  }
  return Buffer.concat(chunks);
}

/** Bytes a name may hold ([A-Za-z0-9_-]), and those of an IP literal (also `.`, `:` and `%` for a zone). */
const NAME_BYTE = byteSet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-');
const IP_LITERAL_BYTE = byteSet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.:%');

function byteSet(chars: string): Uint8Array {
  const set = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1;
  return set;
}

/** The ASCII string of data[at, at+length), or undefined if a byte is not in `allowed`. */
function asciiOf(data: Uint8Array, at: number, length: number, allowed: Uint8Array): string | undefined {
  let text = '';
  for (let i = at; i < at + length; i++) {
    const b = data[i]!;
    if (allowed[b] !== 1) return undefined;
    text += String.fromCharCode(b);
  }
  return text;
}

/**
 * Reads rows back, checking every field: a name as names are, an address form that exists
 * (a literal of address characters), a port of 1-65535, no unused flag bit, no byte left
 * over and at most MAX_ROWS rows. Anything else makes the datagram invalid. Clients read
 * thousands of rows per whole table, so this works on the bytes directly.
 */
function decodeRows(data: Uint8Array): TableRow[] {
  const rows: TableRow[] = [];
  let at = 0;
  const need = (n: number): void => {
    if (at + n > data.length) throw new Invalid('bad-body');
  };
  let before: TableRow | undefined;
  while (at < data.length) {
    if (rows.length === MAX_ROWS) throw new Invalid('bad-body');
    need(3);
    const flags = data[at++]!;
    const shared = data[at++]!;
    const suffixLength = data[at++]!;
    const form = (flags >> 1) & 3;
    if (flags > 15 || shared > (before?.name.length ?? 0) || shared + suffixLength < 1 || shared + suffixLength > NAME_MAX_CHARS) throw new Invalid('bad-body');
    if (form === ROW_FORM_SAME && !before) throw new Invalid('bad-body');
    need(suffixLength);
    const suffix = asciiOf(data, at, suffixLength, NAME_BYTE);
    if (suffix === undefined) throw new Invalid('bad-body');
    at += suffixLength;
    const name = shared > 0 ? before!.name.slice(0, shared) + suffix : suffix;
    // One encoding per page: the longest shared prefix, always.
    if (before && sharedPrefix(before.name, name) !== shared) throw new Invalid('bad-body');
    let ip: string | undefined;
    if (form === ROW_FORM_SAME) {
      ip = before!.ip;
    } else if (form === ROW_FORM_LITERAL) {
      need(1);
      const length = data[at++]!;
      if (length < 1 || length > ROW_IP_MAX_CHARS) throw new Invalid('bad-body');
      need(length);
      ip = asciiOf(data, at, length, IP_LITERAL_BYTE);
      at += length;
      // An address that has a byte form must use it.
      if (ip === undefined || ipToBytes(ip) !== undefined) throw new Invalid('bad-body');
    } else {
      const length = form === ROW_FORM_IPV4 ? 4 : 16;
      need(length);
      ip = length === 4 ? `${data[at]}.${data[at + 1]}.${data[at + 2]}.${data[at + 3]}` : ipFromBytes(data.subarray(at, at + length));
      at += length;
    }
    // A repeated address must be written as such.
    if (form !== ROW_FORM_SAME && before?.ip === ip) throw new Invalid('bad-body');
    need(2);
    const port = (data[at]! << 8) | data[at + 1]!;
    at += 2;
    if (port === 0) throw new Invalid('bad-body');
    let key: string | undefined;
    if ((flags & ROW_FLAG_KEY) !== 0) {
      need(ROW_KEY_BYTES);
      key = Buffer.from(data.subarray(at, at + ROW_KEY_BYTES)).toString('base64url');
      at += ROW_KEY_BYTES;
    }
    before = key === undefined ? { name, ip, port, online: (flags & 1) === 1 } : { name, ip, port, online: (flags & 1) === 1, key };
    rows.push(before);
  }
  return rows;
}
