import type { WireSize } from '../../application/ports/wire-size';
import type { Message } from '../../application/protocol/envelope';
import { encodeMessage } from './envelope-codec';

/** The size of a message in the wire codec every transport (UDP, in-memory) sends it in. */
export class CodecWireSize implements WireSize {
  bytesOf(message: Message): number {
    return encodeMessage(message).length;
  }
}
