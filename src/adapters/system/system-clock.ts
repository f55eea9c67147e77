import type { Clock, TimerHandle } from '../../application/ports/clock';

/** Wall-clock time and Node timers (which sinon's fake timers replace in scenario tests). */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  monotonicMs(): number {
    return performance.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    return setTimeout(callback, delayMs);
  }

  clearTimer(handle: TimerHandle): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
}
