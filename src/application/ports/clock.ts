import type { ServiceIdentifier } from 'inversify';

/** Opaque handle of a scheduled callback. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/**
 * Time for the application: all waits and timestamps go through this port, so scenario
 * tests can run whole retransmission schedules under fake timers.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export const Clock: ServiceIdentifier<Clock> = Symbol('Clock');
