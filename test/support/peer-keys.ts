import { SeededCrypto } from '../../src/adapters/in-memory/seeded-crypto';
import { NodeEndToEnd } from '../../src/adapters/system/node-end-to-end';
import type { ClientSession } from '../../src/application/client/client-session';
import { PeerKeys } from '../../src/application/client/peer-keys';
import type { Clock } from '../../src/application/ports/clock';
import type { Transport } from '../../src/application/ports/transport';
import { ReliableSender } from '../../src/application/reliable-sender';
import { defaultSettings } from '../../src/composition/config';
import type { IdentityKeys } from '../../src/application/ports/key-store';
import { ACK_PROOF_CHARS, chatContext, chatPlaintext, storedContext } from '../../src/application/protocol/sealing';
import type { TableRow } from '../../src/domain/client-table';
import { nameKey } from '../../src/domain/nickname';

/** One identity per name for hand-made datagrams in tests (made once per run: key generation costs). */
const identities = new Map<string, IdentityKeys>();
export const testE2e = new NodeEndToEnd();

export function identityOf(name: string): IdentityKeys {
  const key = nameKey(name);
  let keys = identities.get(key);
  if (!keys) {
    keys = testE2e.newIdentity();
    identities.set(key, keys);
  }
  return keys;
}

/** The ACK proof hand-made direct messages carry (its ACK must echo it). */
export const TEST_ACK_PROOF = 'P'.repeat(ACK_PROOF_CHARS);

/** A direct message's text sealed by `from` for `to` with TEST_ACK_PROOF, as SendDirectMessage seals it. */
export function sealedChat(from: string, to: string, id: string, text: string, stream?: string, seq?: number): string {
  return sealedChatWith(identityOf(from), identityOf(to).publicKey, id, text, from, to, stream, seq);
}

/** The same under any keys (a forgery sealed with a key that is not the sender's, say). */
export function sealedChatWith(me: IdentityKeys, peerKey: string, id: string, text: string, from: string, to: string, stream?: string, seq?: number): string {
  return testE2e.seal(me, peerKey, chatPlaintext(TEST_ACK_PROOF, text), chatContext(from, to, id, stream, seq))!;
}

/** A stored direct message's text sealed by `from` for `to`, as LeaveOfflineMessage seals it. */
export function sealedStored(from: string, to: string, id: string, text: string): string {
  return testE2e.seal(identityOf(from), identityOf(to).publicKey, text, storedContext(from, to, id))!;
}

/** Rows with each name's test key. */
export function keyed(rows: readonly TableRow[]): TableRow[] {
  return rows.map((row) => ({ ...row, key: identityOf(row.name).publicKey }));
}

/**
 * The texts a server mailbox holds for direct messages, checked against the plain texts sent:
 * one sealed payload per text, in order, each the size of its text sealed, none readable.
 */
export function sealedTextsFor(stored: ReadonlyArray<{ readonly text: string }>, plain: readonly string[]): boolean {
  return (
    stored.length === plain.length &&
    stored.every((m, i) => !m.text.includes(plain[i]!) && Buffer.from(m.text, 'base64url').length === Buffer.byteLength(plain[i]!, 'utf8') + 28)
  );
}

/**
 * The keys a client process knows (PeerKeys), given those of `rows` as if the server had
 * answered a key request for them: for tests that build a ClientInbound by hand.
 */
export function peerKeysKnowing(session: ClientSession, through: Transport | ReliableSender, clock: Clock, rows: readonly TableRow[] = session.table.rows()): PeerKeys {
  const sender = through instanceof ReliableSender ? through : new ReliableSender(through, clock);
  const keys = new PeerKeys(session, sender, new SeededCrypto(9, 'keys'), defaultSettings(), { show: () => undefined }, testE2e, clock);
  keys.learn(keyed(rows));
  return keys;
}
