import type { TableRow } from '../../domain/client-table';
import type { StoredKind } from '../../domain/offline-mailbox';

/**
 * Bumped when a datagram's meaning or layout changes; receivers drop other versions.
 * 2: binary frames (raw UTF-8 bodies instead of JSON strings), and `chat` names its recipient.
 * 3: `chat` carries its sender's stream and sequence number (several may be in flight).
 * 5: `welcome` may list the live instances of a system of servers (`servers`), and the
 *    `servers` push tells a client when they change.
 */
/* 6: keys, not addresses (first part): `register` carries the client's X25519 public key, table
 *    rows carry each client's key, `chat` and `save` carry the text sealed end to end
 *    (`sealed`) instead of in clear, a stored direct message is delivered sealed, a chat's ACK
 *    carries a tag proving who ACKed, and ids are at most 24 characters (tokens stay 32) so
 *    a sealed 1,000-byte text still fits one datagram. */
/* 7: keys, not addresses (second part): every datagram between a client and a server instance
 *    travels inside a Noise XX session (the transports' secure link); a
 *    registration's key must be the one its session's handshake proved, which makes the key the
 *    owner proof. Frames inside the link are these same frames. */
/* 8: a chat's ACK echoes a proof sealed at the head of the chat's text (`proof`) instead of
 *    carrying a MAC over the ACK (`tag`). */
/* 9: a table part's ACK may say `status: 'run'`: it then stands for every part of its update
 *    before it too. A client ACKs the parts it holds in a row from part 0 on that way, every
 *    TABLE_ACK_RUN parts and at the last, and a part past a gap on its own at once: a whole
 *    table costs about an eighth of the ACKs it did. */
/* 10: table rows no longer carry keys (a newcomer's whole table was mostly keys: 32 of a row's
 *    38 bytes); a client asks for the keys it needs with `key-request`, and the ACK answering it
 *    lists the rows of those names with their keys (`rows`), at most KEY_REQUEST_MAX_NAMES. */
/* 11: `register` may carry the session token the client holds (`session`): an instance takes
 *    the name's live session over from another address when the token is that session's,
 *    without probing the old address (which the moving client itself would answer). */
/* 12: `servers` may say the sending instance is stopping (`leaving`, its list then the other
 *    instances only): its clients move to one of them at once, not at their next request. */
/* 13: an `ack` may carry further ACKs to the same peer (`more`: id, proof, id, proof, …), so a
 *    client that showed a run of direct messages in one turn answers them in one datagram; a
 *    header leaves out the optional fields absent at its end (a plain ACK is ["ack","<id>"]). */
export const PROTOCOL_VERSION = 13;
/**
 * Names one `key-request` asks for at most: the answer's rows with keys (at most 85 bytes each:
 * a 32-character name, an IPv6 address, the port and the 32-byte key) then fit one datagram.
 */
export const KEY_REQUEST_MAX_NAMES = 12;
/** A client ACKs the parts of a table update it holds in a row once every this many (TableAssembler). */
export const TABLE_ACK_RUN = 8;
/** No datagram larger than this is ever sent (fits any path MTU, SPEC §5). */
export const MAX_DATAGRAM_BYTES = 1200;
/**
 * What the secure link between a client and a server instance adds to each frame it carries:
 * a 13-byte header (type, receiver index, counter) and a 16-byte Poly1305 tag. A frame between
 * a client and a server is at most MAX_LINKED_FRAME_BYTES, so the sealed datagram still fits.
 */
export const LINK_OVERHEAD_BYTES = 29;
export const MAX_LINKED_FRAME_BYTES = MAX_DATAGRAM_BYTES - LINK_OVERHEAD_BYTES;
/** Names listed in a `send-all` answer at most: 31 of 32 characters stay inside one sealed datagram. */
export const MAX_FULL_NAMES = 31;
/** Most further ACKs one `ack` carries in `more` (see envelope-codec.ts for the size). */
export const MAX_MORE_ACKS = 16;
/**
 * Most instance addresses one `welcome` or `servers` datagram lists. Eight of the longest
 * (`[<45-character IPv6>]:65535`) keep the welcome below REGISTER_MIN_BYTES (see
 * envelope-codec.ts), so listing them never makes the answer larger than the request.
 */
export const MAX_SERVER_ADDRESSES = 8;
/** What sealing adds to a text end to end: a 12-byte nonce and a 16-byte tag. */
export const SEAL_OVERHEAD_BYTES = 28;
/** The longest sealed payload (of a 1,000-byte text, MESSAGE_MAX_BYTES) as base64url characters, as the application holds it. */
export const SEALED_MAX_CHARS = Math.ceil(((1000 + SEAL_OVERHEAD_BYTES) * 4) / 3);
/** The shortest (of an empty text). */
export const SEALED_MIN_CHARS = Math.ceil((SEAL_OVERHEAD_BYTES * 4) / 3);
/** A registration is padded to at least this size so the reply is never larger (no amplification). */
export const REGISTER_MIN_BYTES = 600;

/** Why the server refused a registration. */
export type RefusalReason = 'name-in-use' | 'name-owned' | 'invalid-name' | 'server-full' | 'address-in-use' | 'key-changed';

/** What the server answered to a save request. */
/** `failed`: the server could not store it (its disk failed or is full); the message is not kept. */
export type SaveStatus = 'saved' | 'exists' | 'full' | 'unknown-recipient' | 'invalid' | 'failed';

/** A stored message as it travels to its recipient. */
export interface StoredItem {
  readonly id: string;
  readonly from: string;
  readonly kind: StoredKind;
  readonly at: number;
  /** A channel message's text; a direct message's sealed payload (only its recipient can open it). */
  readonly text: string;
}

/**
 * Every datagram of the protocol. Requests that need an answer carry an `id` that stays the
 * same on retransmission; answers name it in `re`. Requests that speak for a registered
 * name carry the session `token` the server gave at registration, and the server's own
 * pushes (table, channel, stored, not-kept, probe, servers) carry the recipient's token too: a source address
 * can be forged, the token cannot be guessed off-path.
 */
export type Message =
  /** Client → server: register (first time, or again from a new process with the name's secret). */
  | { t: 'register'; id: string; name: string; secret: string; key: string; pad?: string; session?: string }
  /**
   * Server → client: registration accepted; `token` proves the session from now on. An
   * instance of a system of servers lists the live instances (itself included) as `ip:port`
   * (`[ip]:port` for IPv6), so the client can move to another when this one stops answering.
   */
  | { t: 'welcome'; re: string; name: string; token: string; servers?: string[] }
  /** Server → client: registration refused. */
  | { t: 'refused'; re: string; reason: RefusalReason }
  /** Client → server: proves the client receives at its address; completes registration. */
  | { t: 'confirm'; id: string; token: string; have: number }
  /** Client → server: the keys of these names, please (at most KEY_REQUEST_MAX_NAMES); answered by an `ack` listing their `rows`. */
  | { t: 'key-request'; id: string; token: string; names: string[] }
  /** Client → server: send me the whole table (a gap was detected). */
  | { t: 'table-request'; id: string; token: string; have: number }
  /** Server → client: part of a table update (`full`: the whole table, else rows changed since `from`). */
  | { t: 'table'; id: string; token: string; from: number; to: number; part: number; parts: number; full: boolean; rows: TableRow[] }
  /**
   * Client → client: a direct message to the client registered as `to`. `seq` grows with each
   * message the sender's process (`stream`, fixed for its life) sends, so a receiver can keep
   * one sender's messages in the order they were typed while several are in flight. `sealed`
   * is the text sealed under the pair key of `from` and `to`, bound to both names, the id, the
   * stream and seq (see SendDirectMessage); the ACK answering it echoes the proof sealed inside (sealing.ts).
   */
  | { t: 'chat'; id: string; from: string; to: string; sealed: string; stream?: string; seq?: number }
  /** Client → server: store a message for an offline recipient, sealed for it (the server cannot read it). */
  | { t: 'save'; id: string; token: string; from: string; to: string; sealed: string }
  /** Client → server: notified leave. */
  | { t: 'dereg'; id: string; token: string; name: string }
  /** Client → server: a channel message. */
  | { t: 'send-all'; id: string; token: string; from: string; text: string }
  /** Server → client: a channel message from another client. */
  | { t: 'channel'; id: string; token: string; from: string; text: string }
  /** Server → client: are you there? */
  | { t: 'probe'; id: string; token: string }
  /** Server → client, after its stored messages: how many messages could not be kept for it (its mailbox was full). */
  | { t: 'not-kept'; id: string; token: string; count: number }
  /**
   * Server → client: the live instances of the system changed; the list replaces the one the
   * client learnt. `leaving`: the sending instance is stopping and lists the others only.
   */
  | { t: 'servers'; id: string; token: string; servers: string[]; leaving?: boolean }
  /** Server → client: messages stored while the client was offline, oldest first. */
  | { t: 'stored'; id: string; token: string; items: StoredItem[] }
  /**
   * The answer to any request with an id; `status` refines it where the request needs one. The
   * answer to a `send-all` names the members it could not be kept for (`full`, at most
   * MAX_FULL_NAMES of them) and how many there were in all (`fullCount`); the answer to a
   * `key-request` lists the rows of the names asked for that have a key, with it (`rows`).
   * `more`: further plain ACKs to the same peer in the same datagram, as id, proof ('' for
   * none), id, proof, … (at most MAX_MORE_ACKS of them); each counts as an `ack` of its own.
   */
  | { t: 'ack'; re: string; status?: SaveStatus | 'ok' | 'unknown-session' | 'run'; version?: number; full?: string[]; fullCount?: number; proof?: string; rows?: TableRow[]; more?: string[] };

export type MessageType = Message['t'];
export type MessageOf<T extends MessageType> = Extract<Message, { t: T }>;

/** Messages that are answers to a request. */
export type Reply = MessageOf<'welcome'> | MessageOf<'refused'> | MessageOf<'ack'>;

export function isReply(m: Message): m is Reply {
  return m.t === 'ack' || m.t === 'welcome' || m.t === 'refused';
}
