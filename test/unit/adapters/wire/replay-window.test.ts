import { expect } from 'chai';
import fc from 'fast-check';
import { ReplayWindow } from '../../../../src/adapters/wire/noise/replay-window';

const MAX_COUNTER = (1n << 64n) - 1n;

/** The obvious model: every counter ever accepted, and the highest; new means unseen and less than `size` below the highest. */
class NaiveWindow {
  private readonly seen = new Set<bigint>();
  top = -1n;
  constructor(private readonly size: bigint) {}
  check(n: bigint): boolean {
    if (n < 0n || n > MAX_COUNTER || this.seen.has(n)) return false;
    return n > this.top || this.top - n < this.size;
  }
  mark(n: bigint): void {
    if (!this.check(n)) return;
    this.seen.add(n);
    if (n > this.top) this.top = n;
  }
}

/** Accepts `n` the way a receiver does: check, (decrypt,) mark. */
function accept(window: ReplayWindow, n: bigint): boolean {
  if (!window.check(n)) return false;
  window.mark(n);
  return true;
}

describe('adapters/system/noise/replay-window: RFC 6479 sliding window', () => {
  it('a duplicate is refused, and check alone marks nothing', () => {
    const window = new ReplayWindow();
    expect(window.check(0n)).to.equal(true);
    expect(window.check(0n)).to.equal(true);
    expect(accept(window, 0n)).to.equal(true);
    expect(accept(window, 0n)).to.equal(false);
    expect(accept(window, 1n)).to.equal(true);
    expect(accept(window, 1n)).to.equal(false);
  });

  it('too old is refused: exactly `size` counters up to the highest are remembered', () => {
    const window = new ReplayWindow(1024);
    expect(accept(window, 2000n)).to.equal(true);
    expect(window.check(2000n - 1024n)).to.equal(false);
    expect(window.check(0n)).to.equal(false);
    expect(accept(window, 2000n - 1023n)).to.equal(true);
    expect(accept(window, 2000n - 1023n)).to.equal(false);
  });

  it('out of order within the window is accepted, each once', () => {
    const window = new ReplayWindow(64);
    expect(accept(window, 10n)).to.equal(true);
    for (const n of [5n, 9n, 0n, 7n, 11n, 8n]) expect(accept(window, n), String(n)).to.equal(true);
    for (const n of [5n, 9n, 0n, 7n, 11n, 8n, 10n]) expect(accept(window, n), String(n)).to.equal(false);
    expect(accept(window, 6n)).to.equal(true);
  });

  it('a mark lasts as long as its counter is in the window, across block boundaries', () => {
    const window = new ReplayWindow(32);
    expect(accept(window, 31n)).to.equal(true);
    expect(accept(window, 5n)).to.equal(true);
    expect(accept(window, 32n)).to.equal(true);
    expect(accept(window, 36n)).to.equal(true);
    expect(window.check(5n)).to.equal(false);
    expect(window.check(31n)).to.equal(false);
    expect(accept(window, 6n)).to.equal(true);
    expect(accept(window, 63n)).to.equal(true);
    expect(window.check(31n)).to.equal(false);
    expect(window.check(32n)).to.equal(false);
    expect(accept(window, 33n)).to.equal(true);
  });

  it('a counter just above the highest is new, even where the ring of blocks still holds marks from a lap ago', () => {
    const window = new ReplayWindow(32); // 5 blocks of 32: the ring holds 160 counters
    for (let n = 0n; n < 160n; n++) expect(accept(window, n)).to.equal(true);
    expect(accept(window, 160n)).to.equal(true);
    expect(accept(window, 162n)).to.equal(true);
    expect(accept(window, 161n)).to.equal(true);
  });

  it('big jumps forward clear the old marks, up to the last 64-bit counter; negative or wider counters are refused', () => {
    const window = new ReplayWindow(128);
    for (let n = 0n; n < 100n; n++) expect(accept(window, n)).to.equal(true);
    expect(accept(window, 1_000_000n)).to.equal(true);
    expect(window.check(99n)).to.equal(false);
    expect(accept(window, 1_000_000n - 1n)).to.equal(true);
    expect(accept(window, 1_000_000n - 127n)).to.equal(true);
    expect(window.check(1_000_000n - 128n)).to.equal(false);
    // A jump by a whole number of rings lands on the same blocks: they must read as clear.
    expect(accept(window, 1_000_000n + 160n)).to.equal(true);
    expect(accept(window, 1_000_000n + 160n - 127n)).to.equal(true);
    expect(accept(window, 2n ** 60n)).to.equal(true);
    expect(accept(window, 2n ** 60n - 5n)).to.equal(true);
    expect(accept(window, MAX_COUNTER)).to.equal(true);
    expect(accept(window, MAX_COUNTER)).to.equal(false);
    expect(accept(window, MAX_COUNTER - 1n)).to.equal(true);
    expect(window.check(MAX_COUNTER + 1n)).to.equal(false);
    expect(window.check(-1n)).to.equal(false);
  });

  it('marking a refused counter changes nothing', () => {
    const window = new ReplayWindow(32);
    accept(window, 100n);
    window.mark(10n);
    window.mark(-1n);
    window.mark(MAX_COUNTER + 1n);
    expect(window.check(99n)).to.equal(true);
    expect(window.check(101n)).to.equal(true);
  });

  it('the size must be a positive multiple of 32', () => {
    for (const size of [0, 16, 33, 1.5, -32, Number.NaN]) expect(() => new ReplayWindow(size), String(size)).to.throw(RangeError);
    expect(() => new ReplayWindow(32)).to.not.throw();
  });

  it('seeded random sequences: agrees with a Set-based model on every check', () => {
    // Each counter is drawn relative to the highest so far: mostly inside the window and around
    // its edges (revisits, steps over block boundaries), sometimes a long jump; any 64-bit value
    // and beyond is only checked, so the window is not pushed to the end of the range at once.
    const step = fc.oneof(
      { arbitrary: fc.bigInt({ min: -1100n, max: 300n }).map((d) => ({ kind: 'around' as const, d })), weight: 8 },
      { arbitrary: fc.bigInt({ min: 0n, max: 5000n }).map((d) => ({ kind: 'jump' as const, d })), weight: 1 },
      { arbitrary: fc.bigInt({ min: -2n, max: MAX_COUNTER + 2n }).map((d) => ({ kind: 'anywhere' as const, d })), weight: 1 },
    );
    fc.assert(
      fc.property(fc.constantFrom(32, 64, 96, 1024), fc.array(step, { minLength: 300, maxLength: 600 }), (size, steps) => {
        const window = new ReplayWindow(size);
        const model = new NaiveWindow(BigInt(size));
        for (const { kind, d } of steps) {
          const scaled = kind === 'around' ? (d * BigInt(size)) / 1024n : d;
          const n = kind === 'anywhere' ? d : model.top + scaled;
          expect(window.check(n), `check ${n}`).to.equal(model.check(n));
          if (kind === 'anywhere') continue;
          window.mark(n);
          model.mark(n);
        }
      }),
      { seed: 6479, numRuns: 300 },
    );
  });
});
