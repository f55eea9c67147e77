import { NodeEndToEnd, SEAL_OVERHEAD_BYTES } from '../../src/adapters/system/node-end-to-end';
import type { IdentityKeys } from '../../src/application/ports/key-store';

/**
 * The bench's yardstick for the cost of sealing: direct messages as they would travel without
 * it. A "sealed" text is the text itself behind SEAL_OVERHEAD_BYTES zero bytes (the same size
 * on the wire), so the clients do every step of a direct message except the cryptography. Never for use outside the bench: it protects nothing.
 */
export class ClearEndToEnd extends NodeEndToEnd {
  override seal(_me: IdentityKeys, _peerKey: string, text: string): string {
    return Buffer.concat([Buffer.alloc(SEAL_OVERHEAD_BYTES), Buffer.from(text, 'utf8')]).toString('base64url');
  }

  override open(_me: IdentityKeys, _peerKey: string, sealed: string): string | undefined {
    return Buffer.from(sealed, 'base64url').subarray(SEAL_OVERHEAD_BYTES).toString('utf8');
  }
}
