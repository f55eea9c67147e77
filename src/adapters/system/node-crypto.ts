import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Crypto } from '../../application/ports/crypto';

/** Ids and secrets from the operating system's CSPRNG; owner proofs are SHA-256 digests. */
export class NodeCrypto implements Crypto {
  messageId(): string {
    return randomBytes(12).toString('base64url');
  }

  secretToken(): string {
    return randomBytes(24).toString('base64url');
  }

  proofOf(secret: string): string {
    return createHash('sha256').update(secret, 'utf8').digest('base64url');
  }

  matches(secret: string, proof: string): boolean {
    const a = Buffer.from(this.proofOf(secret));
    const b = Buffer.from(proof);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
