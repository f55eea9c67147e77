import type { TableRow } from '../../domain/client-table';
import { parseAddress } from '../../domain/address';
import { MAX_FULL_NAMES, MAX_MORE_ACKS, MAX_SERVER_ADDRESSES, type Message, type MessageOf, type MessageType, type StoredItem } from '../../application/protocol/envelope';

/**
 * Rules for values carried in a frame's header (compact JSON). Every string rule here is
 * restricted to characters JSON writes as themselves, so the header's size is known from
 * the field lengths alone.
 */
export type HeaderRule = 'id' | 'partid' | 'name' | 'token' | 'secret' | 'uint' | 'bool' | 'items' | 'names' | 'addresses' | 'acks' | 'reason' | 'status' | 'kind';
/**
 * Rules for values carried as raw bytes in a frame's body, named in the header by their
 * length: free text as UTF-8 (`text`), opaque bytes such as a sealed payload as is (`bytes`),
 * table rows in their compact binary form (`rows`, see table-row-wire.ts). None can grow in
 * encoding, whatever the content. Sealed payloads (`sealed`) and public keys (`key`,
 * exactly 32 bytes) are base64url strings in memory, so the application never handles bytes,
 * and their raw bytes on the wire.
 */
export type BodyRule = 'text' | 'bytes' | 'rows' | 'sealed' | 'key';
/** A field's expected shape. */
export type FieldRule = HeaderRule | BodyRule;

type StringRule = 'id' | 'partid' | 'name' | 'token' | 'secret' | 'text' | 'reason' | 'status' | 'kind' | 'sealed' | 'key';

/** The rules a field of type `V` may have: a schema cannot call a number `text`. */
export type RuleFor<V> = [V] extends [boolean]
  ? 'bool'
  : [V] extends [number]
    ? 'uint'
    : [V] extends [string]
      ? StringRule
      : [V] extends [Uint8Array]
        ? 'bytes'
        : [V] extends [readonly string[]]
          ? 'names' | 'addresses' | 'acks'
          : [V] extends [readonly TableRow[]]
            ? 'rows'
            : [V] extends [readonly StoredItem[]]
              ? 'items'
              : never;

type RequiredKeys<M> = { [K in keyof M]-?: object extends Pick<M, K> ? never : K }[keyof M];
type OptionalKeys<M> = { [K in keyof M]-?: object extends Pick<M, K> ? K : never }[keyof M];

/** Exactly the fields of `M`, each with a rule that fits its type. */
export type FieldsOf<M> = { readonly [K in keyof M]-?: RuleFor<Exclude<M[K], undefined>> };

/**
 * The schema of one message type, derived from its declaration: every required field of `M`
 * (but `t`) under `required`, every optional one under `optional`, nothing else. Tying the
 * schema to the types this way makes a field added to, or dropped from, either side fail to
 * compile instead of silently failing to decode.
 */
export type MessageSchemaOf<M> = {
  readonly required: { readonly [K in Exclude<RequiredKeys<M>, 't'>]-?: RuleFor<Exclude<M[K], undefined>> };
} & ([OptionalKeys<M>] extends [never]
  ? { readonly optional?: undefined }
  : { readonly optional: { readonly [K in OptionalKeys<M>]-?: RuleFor<Exclude<M[K], undefined>> } });

/** One schema per message type of the protocol. */
export type MessageSchema = { readonly [T in MessageType]: MessageSchemaOf<MessageOf<T>> };

/**
 * Required and optional fields of each message type; anything else makes the datagram
 * invalid. The order of the fields here is their order on the wire (the header is a JSON
 * array: the type, the required fields, then the optional ones, `null` when absent, and left
 * out when absent at the end), so reordering them changes the protocol and needs a new
 * PROTOCOL_VERSION.
 */
export const MESSAGE_SCHEMA = {
  register: { required: { id: 'id', name: 'text', secret: 'secret', key: 'key' }, optional: { pad: 'text', session: 'token' } },
  welcome: { required: { re: 'id', name: 'name', token: 'token' }, optional: { servers: 'addresses' } },
  refused: { required: { re: 'id', reason: 'reason' } },
  confirm: { required: { id: 'id', token: 'token', have: 'uint' } },
  'table-request': { required: { id: 'id', token: 'token', have: 'uint' } },
  'key-request': { required: { id: 'id', token: 'token', names: 'names' } },
  table: { required: { id: 'partid', token: 'token', from: 'uint', to: 'uint', part: 'uint', parts: 'uint', full: 'bool', rows: 'rows' } },
  chat: { required: { id: 'id', from: 'name', to: 'name', sealed: 'sealed' }, optional: { stream: 'id', seq: 'uint' } },
  save: { required: { id: 'id', token: 'token', from: 'name', to: 'text', sealed: 'sealed' } },
  dereg: { required: { id: 'id', token: 'token', name: 'name' } },
  'send-all': { required: { id: 'id', token: 'token', from: 'name', text: 'text' } },
  channel: { required: { id: 'id', token: 'token', from: 'name', text: 'text' } },
  probe: { required: { id: 'id', token: 'token' } },
  'not-kept': { required: { id: 'id', token: 'token', count: 'uint' } },
  stored: { required: { id: 'id', token: 'token', items: 'items' } },
  ack: { required: { re: 'partid' }, optional: { status: 'status', version: 'uint', full: 'names', fullCount: 'uint', proof: 'id', rows: 'rows', more: 'acks' } },
  servers: { required: { id: 'id', token: 'token', servers: 'addresses' }, optional: { leaving: 'bool' } },
} as const satisfies MessageSchema;

/**
 * A stored item in the header is a JSON array of these fields, in this order. The text of a
 * `direct` item is a sealed payload and travels as such (`sealed`); a `channel` item's is text.
 */
export const STORED_ITEM_SCHEMA = { id: 'id', from: 'name', kind: 'kind', at: 'uint', text: 'text' } as const satisfies FieldsOf<StoredItem>;

/** Longest id; the worst-case frame sizes in `envelope-codec.ts` rely on it (ids made here are 16). */
export const ID_MAX_CHARS = 16;
/**
 * Longest id of a table part (`<id>_<serial>_<part>`, see TableBroadcaster) and so of the `re`
 * of an ACK, which may answer one: neither ever shares a datagram with a text.
 */
export const PART_ID_MAX_CHARS = 32;
/** Longest token or secret (tokens made here are 16: 96 random bits, which only ever travel sealed). */
export const TOKEN_MAX_CHARS = 16;
/** Longest name secret (kept in a client's data directory; those made before tokens shrank are 32). */
export const SECRET_MAX_CHARS = 32;
/** Bytes of a public key. */
export const KEY_BYTES = 32;
/** Longest name (SPEC §5). */
export const NAME_MAX_CHARS = 32;
/** Most items in one `stored` datagram (the server sends one: see envelope-codec.ts). */
export const MAX_STORED_ITEMS = 16;
/** Most rows in one `table` datagram (a row takes at least 5 bytes; the broadcaster fills a page with at most 1026 bytes, 1026 / 5 < 210; a row with a key takes at least 37). */
export const MAX_ROWS = 209;

const ID = new RegExp(`^[A-Za-z0-9_-]{1,${ID_MAX_CHARS}}$`);
const PART_ID = new RegExp(`^[A-Za-z0-9_-]{1,${PART_ID_MAX_CHARS}}$`);
const TOKEN = new RegExp(`^[A-Za-z0-9_-]{1,${TOKEN_MAX_CHARS}}$`);
const SECRET = new RegExp(`^[A-Za-z0-9_-]{1,${SECRET_MAX_CHARS}}$`);
const NAME = new RegExp(`^[A-Za-z0-9_-]{1,${NAME_MAX_CHARS}}$`);
const REASONS = new Set(['name-in-use', 'name-owned', 'invalid-name', 'server-full', 'address-in-use', 'key-changed']);
const STATUSES = new Set(['saved', 'exists', 'full', 'unknown-recipient', 'invalid', 'failed', 'ok', 'unknown-session', 'run']);
const KINDS = new Set(['direct', 'channel']);

export function isBodyRule(rule: FieldRule): rule is BodyRule {
  return rule === 'text' || rule === 'bytes' || rule === 'rows' || rule === 'sealed' || rule === 'key';
}

/** Checks a header value; `items` is checked (and its bodies taken) by the codec. */
export function checkHeaderField(rule: Exclude<HeaderRule, 'items'>, value: unknown): boolean {
  switch (rule) {
    case 'id':
      return typeof value === 'string' && ID.test(value);
    case 'partid':
      return typeof value === 'string' && PART_ID.test(value);
    case 'token':
      return typeof value === 'string' && TOKEN.test(value);
    case 'secret':
      return typeof value === 'string' && SECRET.test(value);
    case 'name':
      return typeof value === 'string' && NAME.test(value);
    case 'uint':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
    case 'bool':
      return typeof value === 'boolean';
    case 'reason':
      return typeof value === 'string' && REASONS.has(value);
    case 'status':
      return typeof value === 'string' && STATUSES.has(value);
    case 'kind':
      return typeof value === 'string' && KINDS.has(value);
    case 'names':
      return Array.isArray(value) && value.length >= 1 && value.length <= MAX_FULL_NAMES && value.every((n) => checkHeaderField('name', n));
    case 'acks':
      // Pairs of an id (one a table part may have) and a proof, '' when the ACK carries none.
      return Array.isArray(value) && value.length >= 2 && value.length <= 2 * MAX_MORE_ACKS && value.length % 2 === 0 && value.every((v, i) => (i % 2 === 0 ? checkHeaderField('partid', v) : v === '' || checkHeaderField('id', v)));
    case 'addresses':
      // `ip:port` / `[ip]:port` only (digits, hex, `.`, `:`, brackets): JSON writes them as themselves.
      return Array.isArray(value) && value.length >= 1 && value.length <= MAX_SERVER_ADDRESSES && value.every((a) => typeof a === 'string' && parseAddress(a) !== undefined);
  }
}

/** True for the name of a message type (an own key of the schema: `__proto__` is not). */
export function isMessageType(type: unknown): type is MessageType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(MESSAGE_SCHEMA, type);
}

/** The schema of `type` as plain records, for the codec's loops. */
export function schemaOf(type: Message['t']): { required: Record<string, FieldRule>; optional: Record<string, FieldRule> } {
  const schema: { required: Record<string, FieldRule>; optional?: Record<string, FieldRule> } = MESSAGE_SCHEMA[type];
  return { required: schema.required, optional: schema.optional ?? {} };
}
