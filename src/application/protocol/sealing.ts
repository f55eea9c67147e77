import { nameKey } from '../../domain/nickname';

/*
 * What an end-to-end payload is bound to (its associated data), one field a line.
 * Names and ids hold no line break, so no two different fields lists give one context. A
 * label per use keeps a payload of one kind from passing for another.
 */

/** A direct message: both names, its id, and its place in its sender's stream. */
export function chatContext(from: string, to: string, id: string, stream?: string, seq?: number): string {
  return ['chatapp chat v1', nameKey(from), nameKey(to), id, stream ?? '', seq === undefined ? '' : String(seq)].join('\n');
}

/** A stored direct message: both names and its id (the server keeps and hands it over as is). */
export function storedContext(from: string, to: string, id: string): string {
  return ['chatapp stored v1', nameKey(from), nameKey(to), id].join('\n');
}

/**
 * Characters of the ACK proof at the head of a direct message's sealed text: a fresh
 * unguessable token (96 random bits) that only the sender and whoever can open the message
 * know. The recipient's ACK echoes it, so an ACK counts only if its sender opened the message;
 * the proof costs a string comparison where a MAC over the ACK cost two HMACs.
 */
export const ACK_PROOF_CHARS = 16;

/** What a direct message seals: its ACK proof, then its text. */
export function chatPlaintext(proof: string, text: string): string {
  if (proof.length !== ACK_PROOF_CHARS) throw new RangeError(`an ACK proof has ${ACK_PROOF_CHARS} characters, not ${proof.length}`);
  return proof + text;
}

/** The ACK proof and the text of an opened direct message, or undefined if it has no proof. */
export function splitChatPlaintext(plain: string): { proof: string; text: string } | undefined {
  if (plain.length < ACK_PROOF_CHARS || !/^[A-Za-z0-9_-]+$/.test(plain.slice(0, ACK_PROOF_CHARS))) return undefined;
  return { proof: plain.slice(0, ACK_PROOF_CHARS), text: plain.slice(ACK_PROOF_CHARS) };
}
