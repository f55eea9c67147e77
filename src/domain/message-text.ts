import { EmptyMessageError, MessageTooLongError } from './domain-error';
import { err, ok, type Result } from './result';

/** Longest chat text, in UTF-8 bytes (SPEC §5); keeps every datagram under the size limit. */
export const MESSAGE_MAX_BYTES = 1000;

/** UTF-8 length of a string without touching any I/O library. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

export function validateMessageText(
  text: string,
  limitBytes = MESSAGE_MAX_BYTES,
): Result<string, MessageTooLongError | EmptyMessageError> {
  if (text.length === 0) return err(new EmptyMessageError());
  const bytes = utf8Length(text);
  if (bytes > limitBytes) return err(new MessageTooLongError(bytes, limitBytes));
  return ok(text);
}
