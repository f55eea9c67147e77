import { nameKey } from '../../domain/nickname';

/*
 * What an end-to-end payload or tag is bound to (its associated data), one field a line.
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

/** The ACK of direct message `id` by `acker`. */
export function ackContext(acker: string, id: string): string {
  return ['chatapp ack v1', nameKey(acker), id].join('\n');
}
