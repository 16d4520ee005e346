/**
 * Where DESIGN section 5 compares with `≤` / `<` (StochRSI K against D), an equality of the real
 * numbers must stay an equality in doubles, or a flat K becomes a "cross". Each case below broke a
 * signal in data/bybit-BTCUSDT-1m.csv.gz (rows are 0-based indices into the file; the scalper-level
 * effect is in tests/strategies/scalperSignals.test.ts); the independent oracle that found them is
 * tests/strategies/designOracle.ts.
 */
import { describe, expect, it } from 'vitest';
import { RollingStochastic } from '../../src/indicators/rollingStochastic.js';
import { Rsi } from '../../src/indicators/rsi.js';
import { Sma } from '../../src/indicators/sma.js';
import { StochRsi } from '../../src/indicators/stochRsi.js';
import { realCandles } from './realData.js';

const feed = (ind: { update(x: number): number | null }, xs: readonly number[]) => xs.map((x) => ind.update(x));

describe('Sma: the mean of a window, as a real-number mean behaves', () => {
  it('a window of equal values averages to exactly that value', () => {
    // 0.1 summed twenty times is 2.0000000000000004 in doubles; its mean must still be 0.1, or
    // `volume ≥ 1 × SMA(volume)` fails on a run of equal volumes.
    expect(feed(new Sma(20), Array(25).fill(0.1)).slice(19)).toEqual(Array(6).fill(0.1));
    expect(feed(new Sma(3), [100, 100, 100])[2]).toBe(100);
  });

  it('K values that fell to 0 give a D of exactly 0, never a negative one', () => {
    // A K falling to 0 and staying there, as at rows 213–218 of the BTCUSDT 1m file, where a running
    // sum left D = −3.7e-16 < K = 0 and row 218 "crossed up" with K flat at 0. These values leave a
    // running sum at −3.0e-16.
    const d = feed(new Sma(3), [36.04, 17.41, 10.38, 3.96, 0, 0, 0]);
    expect(d[6], 'D of three zeros').toBe(0);
    expect(Object.is(d[6], -0)).toBe(false);
  });

  it('a periodic input keeps the mean bit for bit constant (raw 0, 0, x, 0, 0 gives K, K, K)', () => {
    // StochRSI raw at rows 1614–1621: K is the same real number at rows 1619, 1620 and 1621; a running
    // sum resynced at row 1621 made it 0.23368052277994766 after two 0.23368052277994758, and D = K
    // then read as K > D, a cross.
    const k = feed(new Sma(3), [58.72101452985702, 61.02320322669643, 5.950117318189649, 0, 0, 0.701041568339843, 0, 0]);
    expect(k[6]).toBe(k[5]);
    expect(k[7]).toBe(k[5]);
  });

  it('keeps a tiny mean as precise as its inputs after large values left the window', () => {
    const m = feed(new Sma(3), [97.3, 55.1, 80.2, 1e-14, 2e-14, 3e-14])[5]!;
    expect(Math.abs(m - 2e-14) / 2e-14, 'relative error').toBeLessThan(1e-14);
  });
});

describe('RollingStochastic: both ends of the 0–100 scale are exact', () => {
  it('gives exactly 100 when the input is the window maximum', () => {
    // 100·(x − min)/(max − min) with x = max is 99.99999999999999 or 100.00000000000001 for these.
    expect(feed(new RollingStochastic(2), [90.9154, 142.7184])[1]).toBe(100);
    expect(feed(new RollingStochastic(2), [75.494, 166.6662])[1]).toBe(100);
    expect(feed(new RollingStochastic(2), [166.6662, 75.494])[1]).toBe(0);
  });
});

describe('Rsi: an unchanged close leaves RSI exactly unchanged', () => {
  it('holds RSI through the flat closes of BTCUSDT 1m rows 13612–13617 (105415.8 six times)', () => {
    // Both Wilder averages shrink by 13/14, so their ratio is unchanged; recomputed in doubles, RSI
    // went to 50.83641615431246 at row 13617, one ulp above the others, and StochRSI read that ulp
    // as a new high: K 1.7e-14 > D 5.8e-15, a long on a flat market (2025-06-08 04:02 UTC).
    const candles = realCandles('bybit-BTCUSDT-1m.csv.gz');
    const rsi = new Rsi(14);
    const out: (number | null)[] = [];
    for (let i = 0; i <= 13617; i++) out.push(rsi.update(candles[i]!.close));
    expect(candles.slice(13612, 13618).map((c) => c.close)).toEqual(Array(6).fill(105415.8));
    expect(new Set(out.slice(13612, 13618)).size, 'one RSI value for six flat closes').toBe(1);
  });

  it('so StochRSI K stays exactly 0 and D exactly 0 there', () => {
    const candles = realCandles('bybit-BTCUSDT-1m.csv.gz');
    const s = new StochRsi();
    for (let i = 0; i <= 13617; i++) s.update(candles[i]!.close);
    expect([s.k, s.d]).toEqual([0, 0]);
  });
});
