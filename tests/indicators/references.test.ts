/**
 * Reference values from independent published sources, transcribed (numbers only) and named per
 * test, plus the edge rules of DESIGN section 5 that the references do not cover.
 */
import { describe, expect, it } from 'vitest';
import { Atr } from '../../src/indicators/atr.js';
import { Ema } from '../../src/indicators/ema.js';
import { IndicatorInputError } from '../../src/indicators/indicator.js';
import { LogReturnStdev } from '../../src/indicators/logReturnStdev.js';
import { Pivot } from '../../src/indicators/pivot.js';
import { RollingStochastic } from '../../src/indicators/rollingStochastic.js';
import { Rsi } from '../../src/indicators/rsi.js';
import { Sma } from '../../src/indicators/sma.js';
import { StochRsi } from '../../src/indicators/stochRsi.js';

/** Expects `actual` to equal a value published with `decimals` decimals. */
function expectRounded(actual: number | null, published: number, decimals: number, what: string): void {
  expect(actual, what).not.toBeNull();
  expect(Math.abs(actual! - published), `${what}: ${actual} vs published ${published}`).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-12);
}

describe('SMA and EMA: StockCharts ChartSchool "Moving Averages - Simple and Exponential" (cs-movavg.xls, Intel, 24-Mar-2010 to 5-May-2010)', () => {
  const closes = [
    22.2734, 22.194, 22.0847, 22.1741, 22.184, 22.1344, 22.2337, 22.4323, 22.2436, 22.2933, 22.1542, 22.3926, 22.3816, 22.6109, 23.3558,
    24.0519, 23.753, 23.8324, 23.9516, 23.6338, 23.8225, 23.8722, 23.6537, 23.187, 23.0976, 23.326, 22.6805, 23.0976, 22.4025, 22.1725,
  ];
  // 10-day SMA from the 10th close on (exact arithmetic of the sheet, 5 decimals).
  const sma10 = [
    22.22475, 22.21283, 22.23269, 22.26238, 22.30606, 22.42324, 22.61499, 22.76692, 22.90693, 23.07773, 23.21178, 23.37861, 23.52657,
    23.65378, 23.71139, 23.68557, 23.61298, 23.50573, 23.43225, 23.27734, 23.13121,
  ];
  // 10-day EMA (multiplier 0.1818, seeded with the first SMA), as printed in the sheet (2 decimals).
  const ema10 = [22.22, 22.21, 22.24, 22.27, 22.33, 22.52, 22.8, 22.97, 23.13, 23.28, 23.34, 23.43, 23.51, 23.54, 23.47, 23.4, 23.39, 23.26, 23.23, 23.08, 22.92];

  it('matches the published 10-day SMA column', () => {
    const sma = new Sma(10);
    const out = closes.map((c) => sma.update(c));
    expect(out.slice(0, 9).every((x) => x === null)).toBe(true);
    sma10.forEach((v, i) => expectRounded(out[9 + i]!, v, 5, `SMA row ${10 + i}`));
  });

  it('matches the published 10-day EMA column', () => {
    const ema = new Ema(10);
    const out = closes.map((c) => ema.update(c));
    expect(out.slice(0, 9).every((x) => x === null)).toBe(true);
    ema10.forEach((v, i) => expectRounded(out[9 + i]!, v, 2, `EMA row ${10 + i}`));
  });
});

describe('RSI: StockCharts ChartSchool "Relative Strength Index (RSI)" worked example (cs-rsi.xls, QQQQ, 14-Dec-2009 to 1-Feb-2010)', () => {
  const closes = [
    44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826, 45.8931, 46.0328, 45.614, 46.282, 46.282,
    46.0028, 46.0328, 46.4116, 46.2222, 45.6439, 46.2122, 46.2521, 45.7137, 46.4515, 45.7835, 45.3548, 44.0288, 44.1783, 44.2181,
    44.5672, 43.4205, 42.6628, 43.1314,
  ];
  // 14-day RSI as printed (2 decimals), first on 5-Jan-2010, the 15th close.
  const rsi14 = [70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99, 41.46, 41.87, 45.46, 37.3, 33.08, 37.77];

  it('matches the published 14-day RSI column, first value at the 15th close', () => {
    const rsi = new Rsi(14);
    const out = closes.map((c) => rsi.update(c));
    expect(out.slice(0, 14).every((x) => x === null)).toBe(true);
    rsi14.forEach((v, i) => expectRounded(out[14 + i]!, v, 2, `RSI row ${15 + i}`));
  });

  it('follows DESIGN section 5 when the average loss is zero: 100 on gains, 50 when flat', () => {
    const up = new Rsi(3);
    expect([1, 2, 3, 4, 5].map((x) => up.update(x))).toEqual([null, null, null, 100, 100]);
    const flat = new Rsi(3);
    expect([7, 7, 7, 7, 7].map((x) => flat.update(x))).toEqual([null, null, null, 50, 50]);
    const down = new Rsi(3);
    expect([5, 4, 3, 2].map((x) => down.update(x))).toEqual([null, null, null, 0]);
  });
});

describe('StochRSI: StockCharts ChartSchool "StochRSI" worked example (cs-stochrsi.xls, as transcribed in bukosabino/ta test/data/cs-stochrsi.csv)', () => {
  // The sheet's own 14-day RSI column (its seeding differs from cs-rsi.xls), fed to the stochastic
  // stage: StochRSI = (RSI − lowest RSI(14)) / (highest RSI(14) − lowest RSI(14)); we scale by 100.
  const rsiColumn = [
    71.862114, 65.248473, 65.614661, 69.924117, 65.503639, 54.230524, 61.282282, 61.728124, 52.879504, 61.107227, 52.217151, 47.446488,
    36.376226, 38.12899, 38.613833, 42.844631, 34.446517, 30.229985, 35.489326,
  ];
  const published = [0.0493933, 0.0666989, 0.1928111, 0, 0, 0.1669731];

  it('matches the published StochRSI(14) column from the 14th RSI value on', () => {
    const stoch = new RollingStochastic(14);
    const out = rsiColumn.map((r) => stoch.update(r));
    expect(out.slice(0, 13).every((x) => x === null)).toBe(true);
    published.forEach((v, i) => expectRounded(out[13 + i]! / 100, v, 7, `StochRSI row ${14 + i}`));
  });

  it('treats a real 0 as a value, not as "not ready" (STYLE point 2)', () => {
    // A flat market: RSI is 50 throughout, max = min, so raw = 0, K = 0, D = 0 (DESIGN section 5).
    const s = new StochRsi({ rsiLength: 3, stochLength: 3, kSmoothing: 2, dSmoothing: 2 });
    const out = Array.from({ length: 10 }, () => s.update(100));
    expect(s.requiredInputs).toBe(3 + 3 + 2 - 1);
    expect(out.slice(0, 6).every((x) => x === null)).toBe(true);
    expect(out[6], 'K at the 7th input is a real 0').toBe(0);
    expect(s.isStable).toBe(true);
    expect(s.d).toBe(0);
    expect(s.rsi).toBe(50);
  });

  it('K is the SMA of raw and D the SMA of K, on the 0–100 scale', () => {
    const s = new StochRsi({ rsiLength: 2, stochLength: 2, kSmoothing: 2, dSmoothing: 2 });
    const raws: number[] = [];
    const ks: number[] = [];
    for (const x of [10, 11, 10.5, 12, 11, 11.5, 13, 12.2, 12.9, 11.1]) {
      const k = s.update(x);
      if (s.raw !== null) raws.push(s.raw);
      if (k !== null) {
        ks.push(k);
        expect(k).toBeCloseTo((raws.at(-1)! + raws.at(-2)!) / 2, 12);
        expect(k).toBeGreaterThanOrEqual(0);
        expect(k).toBeLessThanOrEqual(100);
      }
      if (s.d !== null) expect(s.d).toBeCloseTo((ks.at(-1)! + ks.at(-2)!) / 2, 12);
    }
    expect(ks.length).toBeGreaterThan(3);
  });
});

describe('ATR: StockCharts ChartSchool "Average True Range (ATR)" worked example (cs-atr.xls, QQQ, 1-Apr-2010 to 13-May-2010)', () => {
  const hlc: [number, number, number][] = [
    [48.7, 47.79, 48.16], [48.72, 48.14, 48.61], [48.9, 48.39, 48.75], [48.87, 48.37, 48.63], [48.82, 48.24, 48.74], [49.05, 48.635, 49.03],
    [49.2, 48.94, 49.07], [49.35, 48.86, 49.32], [49.92, 49.5, 49.91], [50.19, 49.87, 50.13], [50.12, 49.2, 49.53], [49.66, 48.9, 49.5],
    [49.88, 49.43, 49.75], [50.19, 49.725, 50.03], [50.36, 49.26, 50.31], [50.57, 50.09, 50.52], [50.65, 50.3, 50.41], [50.43, 49.21, 49.34],
    [49.63, 48.98, 49.37], [50.33, 49.61, 50.23], [50.29, 49.2, 49.2375], [50.17, 49.43, 49.93], [49.32, 48.08, 48.43], [48.5, 47.64, 48.18],
    [48.3201, 41.55, 46.57], [46.8, 44.2833, 45.41], [47.8, 47.31, 47.77], [48.39, 47.2, 47.72], [48.66, 47.9, 48.62], [48.79, 47.7301, 47.85],
  ];
  // 14-day ATR as published, first on 21-Apr-2010 (the mean of the first 14 true ranges).
  const atr14 = [0.555, 0.5939285714, 0.5857908163, 0.5689486152, 0.6154522855, 0.6179199794, 0.6423542666, 0.6743289618, 0.6927697503, 0.7754290538, 0.7814698357, 1.209229133, 1.302619909, 1.380289916, 1.366697779, 1.336219366, 1.316482269];

  it('matches the published 14-day ATR column', () => {
    const atr = new Atr(14);
    const out = hlc.map(([high, low, close]) => atr.update({ high, low, close }));
    expect(out.slice(0, 13).every((x) => x === null)).toBe(true);
    atr14.forEach((v, i) => expectRounded(out[13 + i]!, v, 8, `ATR row ${14 + i}`));
  });
});

describe('Realised volatility: Hull, "Options, Futures, and Other Derivatives", table "Computation of volatility"', () => {
  // 21 daily closes; Hull finds sum(u) = 0.09531, sum(u²) = 0.00326 and s = 0.01216 per day
  // (sample standard deviation, n − 1), 19.3 % a year over 252 days.
  const closes = [20.0, 20.1, 19.9, 20.0, 20.5, 20.25, 20.9, 20.9, 20.9, 20.75, 20.75, 21.0, 21.1, 20.9, 20.9, 21.25, 21.4, 21.4, 21.25, 21.75, 22.0];

  it('gives the published daily volatility 0.01216 from 20 log returns', () => {
    const s = new LogReturnStdev(20);
    const out = closes.map((c) => s.update(c));
    expect(out.slice(0, 20).every((x) => x === null)).toBe(true);
    expectRounded(out[20]!, 0.01216, 5, 'daily volatility');
    expectRounded(out[20]! * Math.sqrt(252), 0.193, 3, 'annualised volatility');
  });

  it('is 0, not negative or NaN, for a flat price', () => {
    const s = new LogReturnStdev(3);
    for (let i = 0; i < 10; i++) s.update(100);
    expect(s.value).toBe(0);
  });
});

describe('Pivots: DESIGN section 5, hand-worked (left 2, right 1)', () => {
  it('reports a pivot high on the candle that confirms it, with its price, and only strict ones', () => {
    // highs:     10  11  13  12  12  14  14  13  15  11
    // index:      0   1   2   3   4   5   6   7   8   9
    // Index 2 (13) beats 10, 11 on the left and 12 on the right: confirmed at index 3.
    // Index 5 (14) ties with index 6 (14): not a pivot. Index 8 (15) beats 14, 13 and 11: confirmed at 9.
    const p = new Pivot('high', 2, 1);
    const out = [10, 11, 13, 12, 12, 14, 14, 13, 15, 11].map((h) => p.update(h));
    expect(out).toEqual([null, null, null, 13, null, null, null, null, null, 15]);
  });

  it('mirrors for pivot lows, and needs the right-hand candles before it says anything', () => {
    // lows: 5, 4, 3, 4 → index 2 (3) is a pivot low, known only at index 3.
    const p = new Pivot('low', 2, 1);
    expect(p.update(5)).toBeNull();
    expect(p.update(4)).toBeNull();
    expect(p.update(3)).toBeNull();
    expect(p.isStable).toBe(false);
    expect(p.update(4)).toBe(3);
    expect(p.isStable).toBe(true);
    expect(p.update(2)).toBeNull();
  });
});

describe('bad input', () => {
  it('refuses NaN/Infinity with an IndicatorInputError and keeps its state', () => {
    const clean = new Rsi(5);
    const dirty = new Rsi(5);
    const xs = [1, 2, 1.5, 3, 2.5, 2.7, 3.1, 2.9];
    xs.forEach((x, i) => {
      clean.update(x);
      if (i === 4) {
        expect(() => dirty.update(NaN)).toThrow(IndicatorInputError);
        expect(() => dirty.update(Infinity)).toThrow(/finite/);
      }
      dirty.update(x);
    });
    expect(dirty.value).toBe(clean.value);
  });

  it('refuses a length that is not a positive whole number', () => {
    expect(() => new Sma(0)).toThrow(/length must be an integer/);
    expect(() => new Rsi(2.5)).toThrow(RangeError);
    expect(() => new LogReturnStdev(1)).toThrow(/>= 2/);
  });
});
