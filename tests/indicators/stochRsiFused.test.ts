/**
 * StochRsi is one object doing the arithmetic of Rsi → RollingStochastic → Sma(K) → Sma(D) inline
 * (stochRsi.ts). Here it is held, bit for bit (Object.is, so also the sign of a zero), to a plain
 * reference written in this file from the definitions (DESIGN section 5 and the rules of rsi.ts and
 * sma.ts: an unchanged close keeps RSI; a mean is summed in ring-slot order and clamped to the
 * window's [min, max]; min/max by rescanning the window), and to the chain of the indicator classes
 * it replaced. On every candle of the three real files in data/ (warm-up nulls included, windows
 * wrapping thousands of times), for the default lengths and lengths that move the edges.
 */
import { describe, expect, it } from 'vitest';
import { RollingStochastic } from '../../src/indicators/rollingStochastic.js';
import { Rsi } from '../../src/indicators/rsi.js';
import { Sma } from '../../src/indicators/sma.js';
import { StochRsi, type StochRsiLengths } from '../../src/indicators/stochRsi.js';
import { IndicatorInputError } from '../../src/indicators/indicator.js';
import { realCandles, type DataFile } from './realData.js';

interface Row {
  rsi: number | null;
  raw: number | null;
  k: number | null;
  d: number | null;
}

/** The definitions, plainly: arrays, windows rescanned, the SMA's slot order kept by a ring index. */
function reference(closes: readonly number[], l: StochRsiLengths): Row[] {
  const rows: Row[] = [];
  const rsis: number[] = [];
  const raws: number[] = [];
  const ks: number[] = [];
  let avgGain = 0;
  let avgLoss = 0;
  let rsi: number | null = null;
  let lastK: number | null = null;
  let lastD: number | null = null;
  /** SMA of the last `n` of xs as sma.ts takes it: the value of xs[j] sits in slot j mod n (slots filled from 0). */
  const slotMean = (xs: readonly number[], n: number): number => {
    const m = xs.length;
    let sum = 0;
    let hi = -Infinity;
    let lo = Infinity;
    for (let slot = 0; slot < n; slot++) {
      // The newest n values fill the slots j mod n for j = m−n..m−1.
      let j = m - n + ((((slot - (m - n)) % n) + n) % n);
      if (j >= m) j -= n;
      const v = xs[j]!;
      sum += v;
      if (v > hi) hi = v;
      if (v < lo) lo = v;
    }
    const mean = sum / n;
    return mean > hi ? hi : mean < lo ? lo : mean;
  };
  for (let t = 0; t < closes.length; t++) {
    let raw: number | null = null;
    if (t >= 1) {
      const change = closes[t]! - closes[t - 1]!;
      const gain = change > 0 ? change : 0;
      const loss = change < 0 ? -change : 0;
      if (t < l.rsiLength) {
        avgGain += gain;
        avgLoss += loss;
      } else {
        if (t === l.rsiLength) {
          avgGain = (avgGain + gain) / l.rsiLength;
          avgLoss = (avgLoss + loss) / l.rsiLength;
        } else {
          avgGain = (avgGain * (l.rsiLength - 1) + gain) / l.rsiLength;
          avgLoss = (avgLoss * (l.rsiLength - 1) + loss) / l.rsiLength;
        }
        if (t === l.rsiLength || change !== 0) rsi = avgLoss === 0 ? (avgGain === 0 ? 50 : 100) : 100 - 100 / (1 + avgGain / avgLoss);
        rsis.push(rsi!);
        if (rsis.length >= l.stochLength) {
          const window = rsis.slice(-l.stochLength);
          const hi = Math.max(...window);
          const lo = Math.min(...window);
          raw = hi - lo > 0 ? 100 * ((rsi! - lo) / (hi - lo)) : 0;
          raws.push(raw);
          if (raws.length >= l.kSmoothing) {
            lastK = slotMean(raws, l.kSmoothing);
            ks.push(lastK);
            if (ks.length >= l.dSmoothing) lastD = slotMean(ks, l.dSmoothing);
          }
        }
      }
    }
    rows.push({ rsi, raw: raw ?? (raws.length > 0 ? raws.at(-1)! : null), k: lastK, d: lastD });
  }
  return rows;
}

/** The chain of indicator classes StochRsi used to be. */
function chain(closes: readonly number[], l: StochRsiLengths): Row[] {
  const rsi = new Rsi(l.rsiLength);
  const stoch = new RollingStochastic(l.stochLength);
  const k = new Sma(l.kSmoothing);
  const d = new Sma(l.dSmoothing);
  return closes.map((c) => {
    const r = rsi.update(c);
    if (r !== null) {
      const raw = stoch.update(r);
      if (raw !== null) {
        const kv = k.update(raw);
        if (kv !== null) d.update(kv);
      }
    }
    return { rsi: rsi.value, raw: stoch.value, k: k.value, d: d.value };
  });
}

function fused(closes: readonly number[], l: StochRsiLengths): { rows: Row[]; returned: (number | null)[] } {
  const s = new StochRsi(l);
  const returned: (number | null)[] = [];
  let getterMismatches = 0;
  const rows = closes.map((c) => {
    returned.push(s.update(c));
    if (!(Object.is(s.kOrNaN, s.k ?? NaN) && Object.is(s.dOrNaN, s.d ?? NaN) && s.value === s.k && s.isStable === (s.k !== null))) getterMismatches++;
    return { rsi: s.rsi, raw: s.raw, k: s.k, d: s.d };
  });
  expect(getterMismatches, 'kOrNaN/dOrNaN/value/isStable agree with k and d').toBe(0);
  return { rows, returned };
}

/** First row where two runs differ in any value or in the sign of a zero, described; or null. */
function firstDifference(a: readonly Row[], b: readonly Row[]): string | null {
  for (let t = 0; t < a.length; t++) {
    const x = a[t]!;
    const y = b[t]!;
    for (const key of ['rsi', 'raw', 'k', 'd'] as const) {
      if (!Object.is(x[key], y[key])) return `row ${t} ${key}: ${x[key]} vs ${y[key]}`;
    }
  }
  return null;
}

const FILES: DataFile[] = ['bybit-BTCUSDT-1m.csv.gz', 'bybit-ETHUSDT-1m.csv.gz', 'bybit-BTCUSDT-5m.csv.gz'];
const LENGTHS: StochRsiLengths[] = [
  { rsiLength: 14, stochLength: 14, kSmoothing: 3, dSmoothing: 3 },
  { rsiLength: 2, stochLength: 1, kSmoothing: 1, dSmoothing: 1 },
  { rsiLength: 5, stochLength: 9, kSmoothing: 4, dSmoothing: 2 },
  { rsiLength: 14, stochLength: 3, kSmoothing: 1, dSmoothing: 5 },
  { rsiLength: 30, stochLength: 50, kSmoothing: 7, dSmoothing: 6 },
];

describe('StochRsi (one object) gives the bits of the definition and of the class chain it replaced', () => {
  for (const file of FILES) {
    it(`${file}: every candle, ${LENGTHS.length} sets of lengths`, () => {
      const closes = realCandles(file).map((c) => c.close);
      for (const l of LENGTHS) {
        const ref = reference(closes, l);
        const { rows, returned } = fused(closes, l);
        const label = JSON.stringify(l);
        expect(firstDifference(ref, rows), `${label} against the definition`).toBeNull();
        expect(firstDifference(chain(closes, l), rows), `${label} against the class chain`).toBeNull();
        // update() returns K, null until K exists: the warm-up is rsiLength + stochLength + kSmoothing − 1 inputs.
        const s = new StochRsi(l);
        expect(returned.findIndex((k) => k !== null), label).toBe(s.requiredInputs - 1);
        expect(ref.findIndex((r) => r.d !== null), label).toBe(s.requiredInputsD - 1);
        expect(returned.findIndex((k, t) => !Object.is(k, rows[t]!.k)), `${label}: update() returns K`).toBe(-1);
      }
    });
  }

  it('long flat stretches (K and D pinned at 0 and 100, RSI 50) and a zero range', () => {
    const closes: number[] = [];
    for (let i = 0; i < 60; i++) closes.push(100);
    for (let i = 0; i < 40; i++) closes.push(100 + i * 0.1);
    for (let i = 0; i < 40; i++) closes.push(104);
    for (let i = 0; i < 40; i++) closes.push(104 - i * 0.3);
    for (let i = 0; i < 30; i++) closes.push(i % 3 === 0 ? 92.5 : 92.4);
    for (const l of LENGTHS) {
      const rows = fused(closes, l).rows;
      expect(firstDifference(reference(closes, l), rows), JSON.stringify(l)).toBeNull();
      expect(firstDifference(chain(closes, l), rows), JSON.stringify(l)).toBeNull();
    }
    // A flat start: RSI 50 throughout, max = min, so raw, K and D are exactly 0.
    const rows = fused(closes, LENGTHS[0]!).rows;
    expect(rows.slice(40, 60).map((r) => [r.rsi, r.raw, r.k, r.d])).toEqual(Array(20).fill([50, 0, 0, 0]));
  });

  it('refuses a non-finite close and keeps its state, as Rsi did', () => {
    const closes = realCandles('bybit-BTCUSDT-1m.csv.gz').slice(0, 200).map((c) => c.close);
    const s = new StochRsi();
    for (let t = 0; t < 100; t++) s.update(closes[t]!);
    expect(() => s.update(Number.NaN)).toThrow(IndicatorInputError);
    expect(() => s.update(Infinity)).toThrow(IndicatorInputError);
    for (let t = 100; t < 200; t++) s.update(closes[t]!);
    const ref = reference(closes, LENGTHS[0]!)[199]!;
    expect([s.rsi, s.raw, s.k, s.d]).toEqual([ref.rsi, ref.raw, ref.k, ref.d]);
  });
});
