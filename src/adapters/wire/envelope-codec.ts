import { MAX_DATAGRAM_BYTES, PROTOCOL_VERSION, type Message } from '../../application/protocol/envelope';
import { checkField, MESSAGE_SCHEMA } from './message-schema';

/** Why a datagram was not accepted. */
export type DecodeFailure = 'oversize' | 'not-json' | 'wrong-version' | 'unknown-type' | 'bad-fields';

export type Decoded = { ok: true; message: Message } | { ok: false; reason: DecodeFailure };

/**
 * The wire format shared by every transport: one JSON object per datagram with the
 * protocol version `v` and the message type `t`. Decoding checks the whole object against
 * the schema (no missing, extra or mistyped field), so the application only ever sees
 * well-formed messages.
 */
export function encodeMessage(message: Message): Buffer {
  return Buffer.from(JSON.stringify({ v: PROTOCOL_VERSION, ...message }), 'utf8');
}

export function decodeDatagram(data: Buffer | Uint8Array): Decoded {
  // Oversized datagrams are dropped before any parsing work is spent on them.
  if (data.length > MAX_DATAGRAM_BYTES || data.length === 0) return { ok: false, reason: 'oversize' };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8'));
  } catch {
    return { ok: false, reason: 'not-json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not-json' };
  const obj = value as Record<string, unknown>;
  if (obj['v'] !== PROTOCOL_VERSION) return { ok: false, reason: 'wrong-version' };
  const type = obj['t'];
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(MESSAGE_SCHEMA, type)) return { ok: false, reason: 'unknown-type' };
  const schema = MESSAGE_SCHEMA[type as Message['t']];
  const message: Record<string, unknown> = { t: type };
  for (const [field, rule] of Object.entries(schema.required)) {
    if (!Object.prototype.hasOwnProperty.call(obj, field) || !checkField(rule, obj[field])) return { ok: false, reason: 'bad-fields' };
    message[field] = obj[field];
  }
  let known = 2 + Object.keys(schema.required).length;
  for (const [field, rule] of Object.entries(schema.optional ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(obj, field)) continue;
    if (!checkField(rule, obj[field])) return { ok: false, reason: 'bad-fields' };
    message[field] = obj[field];
    known += 1;
  }
  if (Object.keys(obj).length !== known) return { ok: false, reason: 'bad-fields' };
  return { ok: true, message: message as unknown as Message };
}
