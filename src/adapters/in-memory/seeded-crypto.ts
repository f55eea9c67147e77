import { createHash } from 'node:crypto';
import type { Crypto } from '../../application/ports/crypto';
import { SeededRandom } from './seeded-random';

/** Deterministic ids and tokens for replayable tests (never for production: guessable). */
export class SeededCrypto implements Crypto {
  private readonly random: SeededRandom;
  private counter = 0;

  constructor(seed: number, private readonly prefix = 'n') {
    this.random = new SeededRandom(seed);
  }

  messageId(): string {
    this.counter += 1;
    return `${this.prefix}${this.counter.toString(36)}-${this.random.int(2 ** 30).toString(36)}`;
  }

  secretToken(): string {
    return `s${this.random.int(2 ** 30).toString(36)}${this.random.int(2 ** 30).toString(36)}${this.random.int(2 ** 30).toString(36)}`;
  }

  proofOf(secret: string): string {
    return createHash('sha256').update(secret).digest('base64url');
  }

  matches(secret: string, proof: string): boolean {
    return this.proofOf(secret) === proof;
  }
}
