/**
 * The scalper's bounds on decimal inputs hold with equality, as written in DESIGN section 5. The
 * proximity cases are real: each close and latest confirmed pivot (pivots 2/1) is a row of a file
 * in data/ where the close sits exactly on the bound for some proximityPct, and plain doubles say
 * it is outside (found by scanning the files with tests/strategies/designOracle.ts).
 */
import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../src/indicators/ringBuffer.js';
import { volumeAtLeast, withinProximity } from '../../src/strategies/decimalRules.js';
import { realCandles } from '../indicators/realData.js';

describe('withinProximity: |close − pivot| ≤ (proximityPct / 100) × pivot', () => {
  it.each([
    // file, row, close, pivot, proximityPct: distance = bound exactly
    ['bybit-BTCUSDT-1m.csv.gz', 18738, 109654.8, 109600, 0.05], // 54.8 = 0.0005 × 109600
    ['bybit-ETHUSDT-1m.csv.gz', 23437, 2534.32, 2528, 0.25], // 6.32 = 0.0025 × 2528
    ['bybit-BTCUSDT-5m.csv.gz', 2984, 84311.4, 84650, 0.4], // 338.6 = 0.004 × 84650
  ] as const)('%s row %i: close %d on the bound around pivot %d at proximityPct %d', (file, row, close, pivot, pct) => {
    expect(realCandles(file)[row]!.close).toBe(close);
    expect(Math.abs(close - pivot) <= (pct / 100) * pivot, 'plain doubles get it wrong').toBe(false);
    expect(withinProximity(close, pivot, pct)).toBe(true);
  });

  it('holds on both sides of the pivot and fails one tick beyond', () => {
    expect(withinProximity(10230.6, 10200, 0.3)).toBe(true);
    expect(withinProximity(10169.4, 10200, 0.3)).toBe(true);
    expect(withinProximity(10230.7, 10200, 0.3)).toBe(false);
    expect(withinProximity(10169.3, 10200, 0.3)).toBe(false);
    expect(withinProximity(10200, 10200, 0.3), 'on the pivot').toBe(true);
  });

  it('reads proximityPct as a percent: 0.3 means 0.3 %, not 30 %', () => {
    expect(withinProximity(106418.1, 106718.8, 0.3)).toBe(true); // 300.7 ≤ 320.1564
    expect(withinProximity(100000, 106718.8, 0.3)).toBe(false);
  });
});

describe('volumeAtLeast: volume ≥ factor × SMA(volume) over the window', () => {
  const windowOf = (xs: readonly number[]) => {
    const w = new RingBuffer(xs.length);
    for (const x of xs) w.push(x);
    return w;
  };

  it('passes at equality: twenty volumes of 0.1, factor 1', () => {
    expect(volumeAtLeast(0.1, 1, windowOf(Array(20).fill(0.1)))).toBe(true);
  });

  it('passes 0.7 at factor 2 when the window sums to exactly 7 (7.000000000000002 in doubles)', () => {
    const w = [0.5, 0.3, 0.5, 0.3, 0.2, 0.5, 0.5, 0.2, 0.5, 0.2, 0.2, 0.2, 0.1, 0.2, 0.5, 0.4, 0.2, 0.4, 0.4, 0.7];
    expect(volumeAtLeast(0.7, 2, windowOf(w))).toBe(true);
    expect(volumeAtLeast(0.69, 2, windowOf([...w.slice(0, 19), 0.69]))).toBe(false);
  });

  it('decides clear cases in doubles, and lets a window of zeros pass (0 ≥ factor × 0)', () => {
    expect(volumeAtLeast(185.451, 1.5, windowOf([...Array(19).fill(80), 185.451]))).toBe(true);
    expect(volumeAtLeast(98.281, 1.5, windowOf([...Array(19).fill(250), 98.281]))).toBe(false);
    expect(volumeAtLeast(0, 1.5, windowOf([0, 0, 0]))).toBe(true);
  });
});
