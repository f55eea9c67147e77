import type { ServiceIdentifier } from 'inversify';
import type { Address } from '../../domain/address';

/** How often a live instance renews its membership. */
export const HEARTBEAT_PERIOD_MS = 1_000;
/**
 * How long a membership lasts without renewal: three periods, so one or two late heartbeats
 * (a busy machine) do not get a live instance declared dead.
 */
export const MEMBER_TTL_MS = 3_000;

/** A live server instance: its id and the address clients reach it at. */
export interface Member {
  readonly id: string;
  readonly address: Address;
}

/** Clients a survivor took over from an instance that stopped renewing its membership. */
export interface Takeover {
  readonly instance: string;
  /** Name keys of the clients that were homed on it, now homed on the caller. */
  readonly names: readonly string[];
}

/**
 * The server instances of one system, each with a lease renewed by heartbeats (expiry on the
 * store's clock, so instance clocks never decide who is dead), and the home instance of each
 * client (the one that pushes the table and stored messages to it).
 *
 * - `join` makes the caller a member under a new id; `heartbeat` renews it, and answers false
 *   once the caller was declared dead (its lease ran out and a survivor took its clients):
 *   it is fenced, its home writes are refused, and it must join again under a new id.
 * - `reapDead` takes over every instance whose lease ran out: for each exactly one caller
 *   wins, and the clients homed there become the winner's.
 *
 * One server alone uses the single adapter (always alone, never reaps); several use Redis.
 */
export interface Membership {
  /** Join under a new id; resolves with it. */
  join(address: Address): Promise<string>;
  /** Renew this instance's lease; false when it was fenced (it must `join` again). */
  heartbeat(): Promise<boolean>;
  /** The live instances, this one included, oldest first. */
  peers(): Promise<Member[]>;
  /** Make this instance the home of `nameKey`; false (nothing written) when it is fenced. */
  home(nameKey: string): Promise<boolean>;
  /** Take over the instances whose lease ran out (none when this instance is fenced). */
  reapDead(): Promise<Takeover[]>;
  /** Leave (a clean stop): the others see it gone at once; its clients are taken over like a dead one's. */
  leave(): Promise<void>;
}

export const Membership: ServiceIdentifier<Membership> = Symbol('Membership');
