/**
 * Pivot keeps its window as a shift register and counts failed comparisons instead of walking a
 * ring (pivot.ts). Here it is held to the definition of DESIGN section 5, written plainly in this
 * file over whole arrays: candle i is a pivot high when high[i] > high[j] for the `left` candles
 * before and the `right` after it (low: <), reported on candle i + right. On every candle of the
 * three real files in data/ (ties included: equal highs are common), for pivot widths across the
 * config's range, with the warm-up (nothing decided before left + right + 1 candles) checked too.
 */
import { describe, expect, it } from 'vitest';
import { Pivot, type PivotKind } from '../../src/indicators/pivot.js';
import { realCandles, type DataFile } from './realData.js';

/** The confirmed pivot price on each row, or null. */
function reference(xs: readonly number[], kind: PivotKind, left: number, right: number): (number | null)[] {
  const out: (number | null)[] = xs.map(() => null);
  for (let i = left; i + right < xs.length; i++) {
    let pivot = true;
    for (let j = i - left; j <= i + right; j++) {
      if (j === i) continue;
      if (kind === 'high' ? !(xs[i]! > xs[j]!) : !(xs[i]! < xs[j]!)) pivot = false;
    }
    if (pivot) out[i + right] = xs[i]!;
  }
  return out;
}

/** First row where the indicator and the reference differ (return value or `value`), described; or null. */
function firstDifference(xs: readonly number[], kind: PivotKind, left: number, right: number): string | null {
  const ref = reference(xs, kind, left, right);
  const p = new Pivot(kind, left, right);
  for (let t = 0; t < xs.length; t++) {
    const got = p.update(xs[t]!);
    if (!Object.is(got, ref[t]) || !Object.is(p.value, ref[t])) return `row ${t}: ${got} (value ${p.value}) vs ${ref[t]}`;
    if (p.isStable !== t >= left + right) return `row ${t}: isStable ${p.isStable}`;
  }
  return null;
}

const FILES: DataFile[] = ['bybit-BTCUSDT-1m.csv.gz', 'bybit-ETHUSDT-1m.csv.gz', 'bybit-BTCUSDT-5m.csv.gz'];
const WIDTHS: [number, number][] = [
  [2, 1],
  [1, 0],
  [1, 1],
  [3, 2],
  [2, 5],
  [5, 5],
  [50, 0],
  [50, 50],
];

describe('Pivot agrees with the definition on every real candle', () => {
  for (const file of FILES) {
    it(`${file}: highs and lows, ${WIDTHS.length} widths`, () => {
      const candles = realCandles(file);
      const highs = candles.map((c) => c.high);
      const lows = candles.map((c) => c.low);
      for (const [left, right] of WIDTHS) {
        expect(firstDifference(highs, 'high', left, right), `high ${left}/${right}`).toBeNull();
        expect(firstDifference(lows, 'low', left, right), `low ${left}/${right}`).toBeNull();
      }
      // The default widths find pivots at all, so the comparison above is not of two empty runs.
      expect(reference(highs, 'high', 2, 1).filter((x) => x !== null).length).toBeGreaterThan(1000);
    });
  }

  it('ties are not pivots, on either side of the candidate', () => {
    const xs = [1, 2, 3, 3, 1, 0, 2, 2, 5, 1, 5, 0, 7, 6, 7, 1, 9, 8];
    for (const [left, right] of WIDTHS.slice(0, 6)) {
      expect(firstDifference(xs, 'high', left, right), `high ${left}/${right}`).toBeNull();
      expect(firstDifference(xs.map((x) => -x), 'low', left, right), `low ${left}/${right}`).toBeNull();
    }
    const p = new Pivot('high', 2, 1);
    expect([3, 1, 5, 5, 1].map((x) => p.update(x))).toEqual([null, null, null, null, null]);
  });
});
