/**
 * The indicator set of DESIGN section 5b (issue 24 item 1) keeps the contract of the existing
 * indicators (contract.test.ts): first output after exactly `requiredInputs` inputs, equality on the
 * real candles of data/ with an independent full recomputation (scoreOracle.ts, which imports
 * nothing from src/), and no look-ahead. Then values worked by hand from the definitions, and the
 * edge rules (flat windows, zero volume, the UTC day boundary).
 */
import { describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/types.js';
import { Bollinger } from '../../src/indicators/bollinger.js';
import { Cci } from '../../src/indicators/cci.js';
import { EhlersFisher } from '../../src/indicators/ehlersFisher.js';
import { Fibonacci } from '../../src/indicators/fibonacci.js';
import type { Indicator } from '../../src/indicators/indicator.js';
import { Mfi } from '../../src/indicators/mfi.js';
import { Momentum } from '../../src/indicators/momentum.js';
import { orderBookImbalance } from '../../src/indicators/orderBookImbalance.js';
import { ParabolicSar } from '../../src/indicators/parabolicSar.js';
import { VolumeRatio } from '../../src/indicators/volumeRatio.js';
import { Vwap } from '../../src/indicators/vwap.js';
import { WilliamsR } from '../../src/indicators/williamsR.js';
import { realCandles, type DataFile } from './realData.js';
import { oBollinger, oCci, oFib, oFisher, oMfi, oMomentum, oPsar, oVolRatio, oVwap, oWillr, type Bar } from './scoreOracle.js';

type Out = (number | null)[];

interface Case {
  readonly name: string;
  /** Index of the first defined output on real data (DESIGN's "first value at t = …"). */
  readonly firstAt: number;
  /** Relative tolerance against the oracle; default 1e-9. */
  readonly tolerance?: number;
  make(): { ind: Pick<Indicator, 'value' | 'isStable' | 'requiredInputs'>; step(c: Candle): number | null };
  oracle(bars: readonly Bar[]): Out;
}

const on = <In,>(ind: Indicator<In>, pick: (c: Candle) => In) => ({ ind, step: (c: Candle) => ind.update(pick(c)) });
const self = (c: Candle) => c;

const cases: Case[] = [
  { name: 'Momentum(10)', firstAt: 10, make: () => on(new Momentum(10), (c) => c.close), oracle: (b) => oMomentum(b, 10) },
  // TP − SMA(TP) cancels ~1e5-sized prices down to a few dollars and is then divided by a mean
  // deviation of a few dollars: summing the same window in another order moves it by ~1e-8.
  { name: 'Cci(20)', firstAt: 19, tolerance: 1e-6, make: () => on(new Cci(20), self), oracle: (b) => oCci(b, 20) },
  { name: 'WilliamsR(14)', firstAt: 13, make: () => on(new WilliamsR(14), self), oracle: (b) => oWillr(b, 14) },
  { name: 'Mfi(14)', firstAt: 14, make: () => on(new Mfi(14), self), oracle: (b) => oMfi(b, 14) },
  { name: 'ParabolicSar(0.02, 0.2)', firstAt: 1, make: () => on(new ParabolicSar(0.02, 0.2), self), oracle: (b) => oPsar(b, 0.02, 0.2) },
  { name: 'Vwap', firstAt: 0, make: () => on(new Vwap(), self), oracle: (b) => oVwap(b) },
  { name: 'EhlersFisher(10)', firstAt: 9, make: () => on(new EhlersFisher(10), self), oracle: (b) => oFisher(b, 10) },
  { name: 'VolumeRatio(20)', firstAt: 19, make: () => on(new VolumeRatio(20), (c) => c.volume), oracle: (b) => oVolRatio(b, 20) },
  { name: 'Bollinger(20, 2) middle', firstAt: 19, make: () => on(new Bollinger(20, 2), (c) => c.close), oracle: (b) => oBollinger(b, 20, 2).middle },
  {
    name: 'Bollinger(20, 2) upper',
    firstAt: 19,
    make: () => {
      const bb = new Bollinger(20, 2);
      return { ind: { get value() { return bb.upper; }, get isStable() { return bb.isStable; }, requiredInputs: bb.requiredInputs }, step: (c: Candle) => (bb.update(c.close), bb.upper) };
    },
    oracle: (b) => oBollinger(b, 20, 2).upper,
  },
  {
    name: 'Bollinger(20, 2) lower',
    firstAt: 19,
    make: () => {
      const bb = new Bollinger(20, 2);
      return { ind: { get value() { return bb.lower; }, get isStable() { return bb.isStable; }, requiredInputs: bb.requiredInputs }, step: (c: Candle) => (bb.update(c.close), bb.lower) };
    },
    oracle: (b) => oBollinger(b, 20, 2).lower,
  },
  { name: 'Fibonacci(100) 0.5', firstAt: 99, make: () => on(new Fibonacci(100), self), oracle: (b) => oFib(b, 100, 0.5) },
  {
    name: 'Fibonacci(100) 0.382',
    firstAt: 99,
    make: () => {
      const f = new Fibonacci(100);
      return { ind: { get value() { return f.level382; }, get isStable() { return f.isStable; }, requiredInputs: f.requiredInputs }, step: (c: Candle) => (f.update(c), f.level382) };
    },
    oracle: (b) => oFib(b, 100, 0.382),
  },
];

const FILES: DataFile[] = ['bybit-BTCUSDT-1m.csv.gz', 'bybit-ETHUSDT-1m.csv.gz', 'bybit-BTCUSDT-5m.csv.gz'];
const run = (c: Case, candles: readonly Candle[]): Out => {
  const r = c.make();
  return candles.map((x) => r.step(x));
};

describe.each(cases)('DESIGN 5b indicator contract: $name', (c) => {
  const candles = realCandles();

  it('first output at DESIGN\'s index, after exactly requiredInputs inputs; value and isStable agree', () => {
    const r = c.make();
    expect(r.ind.requiredInputs).toBe(c.firstAt + 1);
    for (let i = 0; i < 300; i++) {
      const out = r.step(candles[i]!);
      expect(r.ind.value, 'value is the last output').toBe(out);
      expect(out === null, `output at input ${i + 1}`).toBe(i < c.firstAt);
      expect(r.ind.isStable).toBe(i >= c.firstAt);
    }
  });

  it.each(FILES)('equals the independent full recomputation (scoreOracle.ts) on %s', (file) => {
    const cs = realCandles(file);
    const inc = run(c, cs);
    const ref = c.oracle(cs);
    let defined = 0;
    for (let i = 0; i < cs.length; i++) {
      const a = inc[i]!;
      const b = ref[i]!;
      if (a === null || b === null) {
        if (a !== b) expect.fail(`${c.name} at candle ${i}: incremental ${a}, oracle ${b}`);
        continue;
      }
      defined++;
      // Relative to the scale of the series: a price-level series carries ~1e-16 × price of rounding.
      if (Math.abs(a - b) > (c.tolerance ?? 1e-9) * Math.max(1, Math.abs(b))) expect.fail(`${c.name} at candle ${i}: incremental ${a}, oracle ${b}`);
    }
    expect(defined).toBeGreaterThan(cs.length - 200);
  });

  it('never looks ahead: a prefix gives the same outputs as the whole file', () => {
    const full = run(c, candles);
    for (const n of [1, 2, 15, 21, 101, 1440, 1441, 9999]) {
      const prefix = run(c, candles.slice(0, n));
      prefix.forEach((x, i) => expect(Object.is(x, full[i]), `${c.name} output ${i} with ${n} candles`).toBe(true));
    }
  });
});

const bar = (ts: number, high: number, low: number, close: number, volume = 1): Candle => ({ ts, open: close, high, low, close, volume });

describe('values worked by hand from DESIGN 5b', () => {
  it('Williams %R(3): −100 × (HH − close)/(HH − LL); 0 on a flat window', () => {
    const w = new WilliamsR(3);
    w.update(bar(0, 10, 8, 9));
    w.update(bar(1, 12, 9, 11));
    // HH 12, LL 7, close 8: −100 × 4/5 = −80 exactly.
    expect(w.update(bar(2, 11, 7, 8))).toBe(-80);
    const flat = new WilliamsR(2);
    flat.update(bar(0, 5, 5, 5));
    expect(flat.update(bar(1, 5, 5, 5)), 'HH = LL').toBe(0);
  });

  it('CCI(3): (TP − SMA)/(0.015 × mean deviation); 0 when the window is flat', () => {
    const c = new Cci(3);
    // TPs 3, 6, 9: SMA 6, mean deviation 2, CCI = 3/(0.015 × 2) = 100.
    c.update(bar(0, 3, 3, 3));
    c.update(bar(1, 6, 6, 6));
    expect(c.update(bar(2, 9, 9, 9))).toBeCloseTo(100, 10);
    const flat = new Cci(2);
    flat.update(bar(0, 4, 2, 3));
    expect(flat.update(bar(1, 4, 2, 3))).toBe(0);
  });

  it('MFI(2): 100 when no flow fell, 50 when no TP moved, else 100 − 100/(1 + pos/neg)', () => {
    const up = new Mfi(2);
    [1, 2, 3].forEach((p, i) => up.update(bar(i, p, p, p, 10)));
    expect(up.value).toBe(100);
    const still = new Mfi(2);
    [1, 1, 1].forEach((p, i) => still.update(bar(i, p, p, p, 10)));
    expect(still.value).toBe(50);
    const mixed = new Mfi(2);
    // TP 10 → 12 (flow +12×1) → 11 (flow −11×2): 100 − 100/(1 + 12/22) = 35.294117…
    mixed.update(bar(0, 10, 10, 10, 5));
    mixed.update(bar(1, 12, 12, 12, 1));
    expect(mixed.update(bar(2, 11, 11, 11, 2))).toBeCloseTo(100 - 100 / (1 + 12 / 22), 12);
    expect(mixed.requiredInputs, 'first value at t = n').toBe(3);
  });

  it('Bollinger(2, 2): middle ± 2 population deviations; a flat window closes the bands on the price', () => {
    const b = new Bollinger(2, 2);
    b.update(1);
    expect(b.update(3)).toBe(2);
    expect(b.upper).toBe(4);
    expect(b.lower).toBe(0);
    const flat = new Bollinger(20, 2);
    for (let i = 0; i < 20; i++) flat.update(0.1);
    expect([flat.lower, flat.value, flat.upper]).toEqual([0.1, 0.1, 0.1]);
  });

  it('VWAP restarts at UTC midnight and is empty while the day has no volume', () => {
    const v = new Vwap();
    const day = 86_400_000;
    expect(v.update(bar(day - 60_000, 12, 9, 9, 2))).toBe(10);
    expect(v.update(bar(day, 30, 30, 30, 0)), 'new day, no volume yet').toBeNull();
    expect(v.update(bar(day + 60_000, 21, 21, 21, 1))).toBe(21);
    expect(v.update(bar(day + 120_000, 24, 24, 24, 2))).toBe(23);
    const one = new Vwap();
    for (let i = 0; i < 30; i++) one.update(bar(i * 60_000, 0.3, 0.1, 0.2, 0.1 * (i + 1)));
    expect(one.value, 'a day of one typical price has exactly that VWAP').toBe((0.3 + 0.1 + 0.2) / 3);
  });

  it('Parabolic SAR: starts long at low[0], steps af by 0.02 on new highs, reverses to the extreme point', () => {
    const p = new ParabolicSar(0.02, 0.2);
    expect(p.update({ high: 10, low: 9 })).toBeNull();
    expect(p.update({ high: 11, low: 9.5 }), 't = 1, long: sar = low[0]').toBe(9);
    // c = 9 + 0.02 × (11 − 9) = 9.04, below low[t−1] 9.5 and low[t−2] 9; new high 12: ep 12, af 0.04.
    expect(p.update({ high: 12, low: 10 })).toBeCloseTo(9, 12);
    expect(p.isLong).toBe(true);
    // c = 9 + 0.04 × 3 = 9.12 ≤ 9.5, 10 → 9.12; low 8 < 9.12 reverses: sar = ep 12, now short.
    expect(p.update({ high: 11, low: 8 })).toBe(12);
    expect(p.isLong).toBe(false);
    const short = new ParabolicSar();
    short.update({ high: 10, low: 9 });
    // low[0] − low[1] = 2 > high[1] − high[0] = −1 and > 0: short, sar = high[0], ep = min lows.
    expect(short.update({ high: 9, low: 7 })).toBe(10);
    expect(short.isLong).toBe(false);
  });

  it('Ehlers Fisher(2): the first value from v = 0.66·x, then the recursion; previous is fisher[t−1]', () => {
    const f = new EhlersFisher(2);
    expect(f.update({ high: 2, low: 0 })).toBeNull();
    // m 1 then 3: x = (3 − 1)/2 − 0.5 = 0.5, v = 0.33, fisher = 0.5 ln(1.33/0.67).
    const first = f.update({ high: 4, low: 2 })!;
    expect(first).toBeCloseTo(0.5 * Math.log(1.33 / 0.67), 12);
    expect(f.previous).toBeNull();
    // m 2: x = (2 − 2)/(3 − 2) − 0.5 = −0.5; v = −0.33 + 0.67 × 0.33.
    const v = -0.33 + 0.67 * 0.33;
    expect(f.update({ high: 3, low: 1 })).toBeCloseTo(0.5 * Math.log((1 + v) / (1 - v)) + 0.5 * first, 12);
    expect(f.previous).toBe(first);
  });

  it('Fibonacci(2): HH − R × (HH − LL) for 0.382, 0.5, 0.618; Momentum(2): close[t] − close[t−2]', () => {
    const f = new Fibonacci(2);
    f.update({ high: 110, low: 100 });
    f.update({ high: 105, low: 90 });
    expect([f.level382, f.level500, f.level618]).toEqual([110 - 0.382 * 20, 100, 110 - 0.618 * 20]);
    const m = new Momentum(2);
    expect([5, 7, 4, 9].map((x) => m.update(x))).toEqual([null, null, -1, 2]);
  });

  it('volRatio is empty while the mean volume is 0; order-book imbalance over the top 5 levels', () => {
    const v = new VolumeRatio(2);
    v.update(0);
    expect(v.update(0)).toBeNull();
    expect(v.update(3)).toBe(2);
    const lv = (qty: number) => ({ price: 1, qty });
    expect(orderBookImbalance([lv(3), lv(1)], [lv(1)])).toBe(0.6);
    expect(orderBookImbalance([1, 1, 1, 1, 1, 100].map(lv), [lv(5)]), 'only 5 levels count').toBe(0);
    expect(orderBookImbalance([], [])).toBe(0);
  });
});
