import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import type { IdentityKeys } from '../../application/ports/key-store';
import { NodeEndToEnd, X25519_SPKI_PREFIX } from './node-end-to-end';

/** The DER header of an X25519 PKCS#8 private key (RFC 8410): the raw 32 bytes follow it. */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * The real construction with identity keys drawn from a seed, so a scenario replays with the
 * same keys (never for production: the keys are guessable from the seed). Nonces stay random.
 */
export class SeededEndToEnd extends NodeEndToEnd {
  private counter = 0;

  constructor(private readonly seed: string) {
    super();
  }

  override newIdentity(): IdentityKeys {
    this.counter += 1;
    const raw = createHash('sha256').update(`${this.seed}|${this.counter}`).digest();
    const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    return { publicKey: spki.subarray(X25519_SPKI_PREFIX.length).toString('base64url'), privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
  }
}
