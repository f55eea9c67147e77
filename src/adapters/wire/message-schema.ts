import { MAX_FULL_NAMES, type MessageType } from '../../application/protocol/envelope';

/** A field's expected shape. */
type FieldRule = 'id' | 'name' | 'token' | 'text' | 'pad' | 'uint' | 'bool' | 'rows' | 'items' | 'reason' | 'status' | 'names';

/** Required and optional fields of each message type; anything else makes the datagram invalid. */
export const MESSAGE_SCHEMA: Record<MessageType, { required: Record<string, FieldRule>; optional?: Record<string, FieldRule> }> = {
  register: { required: { id: 'id', name: 'text', secret: 'token' }, optional: { pad: 'pad' } },
  welcome: { required: { re: 'id', name: 'name', token: 'token' } },
  refused: { required: { re: 'id', reason: 'reason' } },
  confirm: { required: { id: 'id', token: 'token', have: 'uint' } },
  'table-request': { required: { id: 'id', token: 'token', have: 'uint' } },
  table: { required: { id: 'id', token: 'token', from: 'uint', to: 'uint', part: 'uint', parts: 'uint', full: 'bool', rows: 'rows' } },
  chat: { required: { id: 'id', from: 'name', text: 'text' } },
  save: { required: { id: 'id', token: 'token', from: 'name', to: 'text', text: 'text' } },
  dereg: { required: { id: 'id', token: 'token', name: 'name' } },
  'send-all': { required: { id: 'id', token: 'token', from: 'name', text: 'text' } },
  channel: { required: { id: 'id', token: 'token', from: 'name', text: 'text' } },
  probe: { required: { id: 'id', token: 'token' } },
  stored: { required: { id: 'id', token: 'token', items: 'items' } },
  'not-kept': { required: { id: 'id', token: 'token', count: 'uint' } },
  ack: { required: { re: 'id' }, optional: { status: 'status', version: 'uint', full: 'names', fullCount: 'uint' } },
};

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const NAME = /^[A-Za-z0-9_-]{1,32}$/;
const REASONS = new Set(['name-in-use', 'name-owned', 'invalid-name', 'server-full', 'address-in-use']);
const STATUSES = new Set(['saved', 'exists', 'full', 'unknown-recipient', 'invalid', 'ok', 'unknown-session']);
const MAX_TEXT_CHARS = 4000;
const MAX_ROWS = 64;

export function checkField(rule: FieldRule, value: unknown): boolean {
  switch (rule) {
    case 'id':
    case 'token':
      return typeof value === 'string' && ID.test(value);
    case 'name':
      return typeof value === 'string' && NAME.test(value);
    case 'text':
      return typeof value === 'string' && value.length <= MAX_TEXT_CHARS;
    case 'pad':
      return typeof value === 'string' && value.length <= 1200;
    case 'uint':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
    case 'bool':
      return typeof value === 'boolean';
    case 'reason':
      return typeof value === 'string' && REASONS.has(value);
    case 'status':
      return typeof value === 'string' && STATUSES.has(value);
    case 'rows':
      return Array.isArray(value) && value.length <= MAX_ROWS && value.every(isRow);
    case 'names':
      return Array.isArray(value) && value.length >= 1 && value.length <= MAX_FULL_NAMES && value.every((n) => checkField('name', n));
    case 'items':
      return Array.isArray(value) && value.length >= 1 && value.length <= 16 && value.every(isItem);
  }
}

function isRow(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return exactKeys(r, ['name', 'ip', 'port', 'online']) && checkField('name', r['name']) && typeof r['ip'] === 'string' && r['ip'].length <= 64 &&
    typeof r['port'] === 'number' && Number.isInteger(r['port']) && r['port'] > 0 && r['port'] < 65536 && typeof r['online'] === 'boolean';
}

function isItem(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return exactKeys(r, ['id', 'from', 'kind', 'at', 'text']) && checkField('id', r['id']) && checkField('name', r['from']) &&
    (r['kind'] === 'direct' || r['kind'] === 'channel') && checkField('uint', r['at']) && checkField('text', r['text']);
}

function exactKeys(obj: Record<string, unknown>, keys: string[]): boolean {
  const own = Object.keys(obj);
  return own.length === keys.length && keys.every((k) => Object.prototype.hasOwnProperty.call(obj, k));
}
