import { createHash } from 'node:crypto';
import type { Crypto } from '../../application/ports/crypto';
import { SeededRandom } from './seeded-random';

/** Deterministic ids and tokens for replayable tests (never for production: guessable). */
export class SeededCrypto implements Crypto {
  private readonly random: SeededRandom;
  private counter = 0;

  private readonly prefix: string;

  constructor(seed: number, prefix = 'n') {
    this.random = new SeededRandom(seed);
    // Ids are at most 16 characters: a long prefix (a client's name) is shortened to 5 of its digest.
    this.prefix = prefix.length <= 5 ? prefix : createHash('sha256').update(prefix).digest('base64url').slice(0, 5);
  }

  messageId(): string {
    this.counter += 1;
    // At most 16 characters, as real ids: prefix and counter keep them unique, the random tail is cut first.
    return `${this.prefix}${this.counter.toString(36)}-${this.random.int(2 ** 30).toString(36)}`.slice(0, 16);
  }

  secretToken(): string {
    return `s${this.random.int(2 ** 30).toString(36)}${this.random.int(2 ** 30).toString(36)}${this.random.int(2 ** 30).toString(36)}`.slice(0, 16);
  }

  proofOf(secret: string): string {
    return createHash('sha256').update(secret).digest('base64url');
  }

  matches(secret: string, proof: string): boolean {
    return this.proofOf(secret) === proof;
  }
}
