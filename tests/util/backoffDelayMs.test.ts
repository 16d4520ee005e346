/**
 * The one backoff helper, in both of its shapes: full jitter with a floor (streams and REST retries)
 * and equal jitter (alert channels). Fixed dice make the delays exact.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/util/backoffDelayMs.js';

describe('backoffDelayMs with a floor (full jitter)', () => {
  it('grows exponentially up to the cap, with full jitter between the floor and the ceiling', () => {
    const policy = { baseMs: 500, maxMs: 30_000, minMs: 100 };
    expect([0, 1, 2, 3, 10].map((a) => backoffDelayMs(a, policy, () => 0.999999))).toEqual([
      expect.closeTo(500, 0),
      expect.closeTo(1000, 0),
      expect.closeTo(2000, 0),
      expect.closeTo(4000, 0),
      expect.closeTo(30_000, 0),
    ]);
    expect(backoffDelayMs(5, policy, () => 0), 'the floor, never zero').toBe(100);
    // Jitter: different dice give different delays for the same attempt (no lock-step reconnects).
    expect(new Set([0.1, 0.5, 0.9].map((r) => backoffDelayMs(4, policy, () => r))).size).toBe(3);
  });

  it('counts attempts from 0 and keeps fractions of a millisecond', () => {
    const policy = { baseMs: 250, maxMs: 8000, minMs: 50 };
    expect(backoffDelayMs(0, policy, () => 0.5), 'the first retry waits within [50, 250]').toBe(150);
    expect(backoffDelayMs(1, policy, () => 0.001), 'not rounded').toBeCloseTo(50.45, 10);
  });

  it('never goes below a ceiling smaller than the floor, and survives huge attempt numbers', () => {
    expect(backoffDelayMs(0, { baseMs: 10, maxMs: 1000, minMs: 100 }, () => 0.7), 'floor capped by the step').toBe(10);
    expect(backoffDelayMs(10_000, { baseMs: 500, maxMs: 30_000, minMs: 100 }, () => 1)).toBe(30_000);
  });
});

describe('backoffDelayMs without a floor (equal jitter)', () => {
  it('counts attempts from 1 and randomises half of each step', () => {
    const options = { baseMs: 100, maxMs: 10_000 };
    expect([1, 2, 3].map((a) => backoffDelayMs(a, options, () => 0.5)), '75 % of 100, 200, 400').toEqual([75, 150, 300]);
    expect(backoffDelayMs(1, options, () => 0), 'half the step is fixed').toBe(50);
    expect(backoffDelayMs(0, options, () => 0), 'attempt 0 waits like attempt 1').toBe(50);
  });

  it('is exactly exponential without jitter, capped, in whole milliseconds', () => {
    const options = { baseMs: 15_000, maxMs: 600_000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelayMs(a, options, () => 0.9))).toEqual([15_000, 30_000, 60_000, 120_000, 240_000, 480_000, 600_000]);
    expect(backoffDelayMs(1, { baseMs: 3, maxMs: 100 }, () => 0.5), 'rounded').toBe(2);
  });

  it('clamps the jitter share to [0, 1]', () => {
    expect(backoffDelayMs(1, { baseMs: 100, maxMs: 1000, jitter: 5 }, () => 0)).toBe(50);
    expect(backoffDelayMs(1, { baseMs: 100, maxMs: 1000, jitter: -1 }, () => 0)).toBe(100);
  });
});
