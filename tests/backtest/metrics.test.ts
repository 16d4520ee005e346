/** DESIGN section 5 definitions of the backtest metrics, on series small enough to check by hand. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CurveValues } from '../../src/backtest/curveValues.js';
import { annualisationFactor, computeMetrics, curveRatios, maxDrawdownPct, perCandleReturns, sharpeRatio, sortinoRatio, UnknownIntervalError } from '../../src/backtest/metrics.js';
import { readCandleFile } from '../../src/domain/candleCsv.js';
import { dec } from '../../src/domain/money.js';

describe('annualisation: sqrt(525600 / intervalMinutes), crypto trades 24/7 (never 252 days)', () => {
  it.each([
    [1, 724.9827584], // sqrt(525600)
    [5, 324.2221460], // sqrt(105120)
    [60, 93.5948717], // sqrt(8760): hours in a year
    [1440, 19.1049732], // sqrt(365): days in a year, not sqrt(252) = 15.87
  ])('%i-minute candles → %f', (minutes, factor) => {
    expect(annualisationFactor(minutes)).toBeCloseTo(factor, 6);
  });

  it.each([0, 2, 7, 10080, -1, 1.5, Number.NaN])('an unknown interval (%s) is an error, not a guess', (minutes) => {
    expect(() => annualisationFactor(minutes)).toThrow(UnknownIntervalError);
    expect(() => sharpeRatio([0.01, 0.02, -0.01], minutes)).toThrow(/cannot annualise/);
  });
});

describe('Sharpe and Sortino from per-candle returns', () => {
  // Equity 100 → 101 → 99.99 → 101.9898: returns +1 %, −1 %, +2 %.
  const equity = [100, 101, 99.99, 101.9898];
  const r = perCandleReturns(equity);

  it('returns are E_i / E_(i-1) − 1', () => {
    expect(r.map((x) => Number(x.toFixed(10)))).toEqual([0.01, -0.01, 0.02]);
  });

  it('Sharpe uses the sample standard deviation (n − 1)', () => {
    // mean = 0.02 / 3 = 0.0066667; sample variance = Σ(r − mean)² / 2 = 0.00023333 → sd 0.0152753
    // Sharpe(1h) = 0.0066667 / 0.0152753 × sqrt(8760) = 40.8470
    expect(sharpeRatio(r, 60)).toBeCloseTo(((0.02 / 3) / Math.sqrt(0.00046667 / 2)) * Math.sqrt(8760), 2);
    expect(sharpeRatio(r, 60)).toBeCloseTo(40.847, 2);
  });

  it('Sortino divides by the downside deviation sqrt(Σ min(r,0)² / (n − 1))', () => {
    // downside: only −1 % → sqrt(0.0001 / 2) = 0.0070711; Sortino(1d) = 0.0066667 / 0.0070711 × sqrt(365)
    expect(sortinoRatio(r, 1440)).toBeCloseTo((0.02 / 3 / Math.sqrt(0.0001 / 2)) * Math.sqrt(365), 6);
  });

  it('a flat curve has Sharpe and Sortino 0 rather than NaN', () => {
    expect(sharpeRatio(perCandleReturns([100, 100, 100]), 1)).toBe(0);
    expect(sortinoRatio(perCandleReturns([100, 101, 102]), 1)).toBe(0);
  });
});

describe('max drawdown: the largest peak-to-trough fall, percent of the peak', () => {
  it('finds the deepest fall, not the first or the last', () => {
    // 120 → 90 is 25 %; 130 → 65 is 50 %.
    expect(maxDrawdownPct([100, 120, 90, 130, 65, 140])).toBeCloseTo(50, 10);
    expect(maxDrawdownPct([100, 101, 102])).toBe(0);
  });
});

describe('the report\'s Sharpe and Sortino, worked out over the curve in two passes', () => {
  it('are bit for bit those of sharpeRatio and sortinoRatio over perCandleReturns, for real and awkward curves', () => {
    const real = readCandleFile(fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url))).map((c) => c.close);
    const flatThenMoves = Array.from({ length: 20_000 }, (_, i) => (i < 9_000 ? 1000 : 1000 + Math.sin(i / 50) * 3 + (i % 7) * 1e-8));
    const curves: [string, number[]][] = [
      ['real closes', real],
      ['flat, then moving', flatThenMoves],
      ['through zero and below', [100, 50, 0, 0, -20, 10, 10, 30]],
      ['with NaN and Infinity', [100, 101, NaN, 102, Infinity, 103, 99]],
      ['three points', [100, 90, 120]],
      ['two points', [100, 90]],
      ['one point', [100]],
      // Runs of equal points, read without the curve: across its blocks of 4096, long and short,
      // of 0, −0, NaN, Infinity and negative numbers, and the real closes held for a while each.
      ['the real closes, each held for 1 to 700 candles', real.flatMap((c, i) => Array<number>(i % 9 === 0 ? 1 + (i % 700) : 1).fill(c)).slice(0, 120_000)],
      ['runs across blocks', Array.from({ length: 3 * 4096 + 10 }, (_, i) => (i < 4090 ? 1000 : i < 8200 ? 1000.5 : i < 8193 + 4096 ? 999.25 : 1001))],
      ['runs of 0, −0, NaN, Infinity and below 0', [100, 100, 0, 0, 0, -0, -0, 5, NaN, NaN, NaN, 7, Infinity, Infinity, 8, -3, -3, -3, -4, -4, 2, 2]],
      ['runs that start the curve', [5, 5, 5, 5, 6, 6, 4, 4, 4]],
      ['a run of 0 alone', [100, 0, 0, 0, 100]],
      ['a run of Infinity alone', [100, Infinity, Infinity, 100, 90]],
    ];
    for (const [what, values] of curves) {
      for (const minutes of [1, 5, 60]) {
        const r = perCandleReturns(values);
        const ratios = curveRatios(CurveValues.from(values), minutes);
        expect(Object.is(ratios.sharpe, sharpeRatio(r, minutes)), `${what}, ${minutes}m: Sharpe ${ratios.sharpe}`).toBe(true);
        expect(Object.is(ratios.sortino, sortinoRatio(r, minutes)), `${what}, ${minutes}m: Sortino ${ratios.sortino}`).toBe(true);
        expect(Object.is(maxDrawdownPct(CurveValues.from(values)), maxDrawdownPct(values)), `${what}: the drawdown of the curve read in runs, as of the array`).toBe(true);
        const m = computeMetrics({ equity: CurveValues.from(values), tradePnls: [], startEquity: 1000, netPnl: dec(0), fees: dec(0), exposedCandles: 0, intervalMinutes: minutes });
        const round8 = (x: number): number => Math.round(x * 1e8) / 1e8;
        expect([m.sharpe, m.sortino]).toEqual([round8(ratios.sharpe), round8(ratios.sortino)]);
      }
    }
    expect(() => computeMetrics({ equity: [1, 2, 3], tradePnls: [], startEquity: 1, netPnl: dec(0), fees: dec(0), exposedCandles: 0, intervalMinutes: 7 })).toThrow(/cannot annualise/);
  });
});
