import type { ServiceIdentifier } from 'inversify';

/**
 * Randomness and secrets. Production uses a CSPRNG; tests use a seeded source so runs
 * replay exactly.
 */
export interface Crypto {
  /** A unique message id (never reused by this node). */
  messageId(): string;
  /** An unguessable token (session tokens, name secrets). */
  secretToken(): string;
  /** The owner proof the server keeps for a name secret (a one-way digest). */
  proofOf(secret: string): string;
  /** Whether `secret` matches `proof`, in constant time where possible. */
  matches(secret: string, proof: string): boolean;
}

export const Crypto: ServiceIdentifier<Crypto> = Symbol('Crypto');
