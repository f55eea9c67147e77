import type { ServiceIdentifier } from 'inversify';

/** Opaque handle of a scheduled callback. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/**
 * Time for the application: all waits and timestamps go through this port, so scenario
 * tests can run whole retransmission schedules under fake timers.
 */
export interface Clock {
  /** Epoch milliseconds: for timestamps people read; it may step back or forward. */
  now(): number;
  /** Milliseconds from an arbitrary origin that never steps: for every duration and expiry. */
  monotonicMs(): number;
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export const Clock: ServiceIdentifier<Clock> = Symbol('Clock');
