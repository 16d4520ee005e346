/**
 * meanOfSlots (ringBuffer.ts) counts whether the mean lies beyond every value before it scans for
 * the window's max and min; Sma, windowMean (CCI, Bollinger, volume ratio) and StochRsi's K and D
 * take their means from it. Held here, bit for bit (Object.is: the sign of a zero too), to the
 * straightforward definition the SMA had: the sum in slot order, max and min scanned in slot order,
 * the mean clamped to them. On windows built to hit the clamp (equal values, values an ulp apart,
 * zeros of both signs), on random windows of mixed sign and scale, and on every window of the real
 * closes and volumes in data/ (Sma and RingBuffer wrapping around thousands of times).
 */
import { describe, expect, it } from 'vitest';
import { meanOfSlots, RingBuffer } from '../../src/indicators/ringBuffer.js';
import { Sma } from '../../src/indicators/sma.js';
import { windowMean } from '../../src/indicators/windowMean.js';
import { realCandles, type DataFile } from './realData.js';

/** The SMA's mean as it was written: one pass for the sum, max and min, then the clamp. */
function reference(xs: ArrayLike<number>, n: number): number {
  let sum = 0;
  let hi = NaN;
  let lo = NaN;
  for (let i = 0; i < n; i++) {
    const v = xs[i]!;
    sum += v;
    if (!(v <= hi)) hi = v;
    if (!(v >= lo)) lo = v;
  }
  const mean = sum / n;
  return mean > hi ? hi : mean < lo ? lo : mean;
}

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const nextUp = (x: number): number => {
  const b = new Float64Array([x]);
  const i = new BigInt64Array(b.buffer);
  i[0] = x >= 0 ? i[0]! + 1n : i[0]! - 1n;
  return b[0]!;
};

describe('meanOfSlots gives the bits of the clamped slot-order mean', () => {
  it('where rounding oversteps the values and the clamp decides', () => {
    const windows: number[][] = [
      [0.1, 0.1, 0.1],
      Array(20).fill(0.1),
      [100, 100, 100],
      [33.33333333333333, 33.33333333333333, 33.33333333333333],
      [0, 0, 0],
      [-0, 0, -0],
      [0, -0, 0],
      [-0, -0, -0],
      [1e-300, 1e-300, 1e-300],
      [-0.7, -0.7, -0.7, -0.7],
      [0.3, nextUp(0.3), 0.3],
      [nextUp(0.1), 0.1, 0.1],
      [97.3, 55.1, 80.2],
      [5],
      [2.5, -2.5],
    ];
    let clamped = 0;
    for (const w of windows) {
      const data = Float64Array.from(w);
      const want = reference(data, w.length);
      expect(Object.is(meanOfSlots(data, w.length), want), `${w}`).toBe(true);
      let sum = 0;
      for (const v of w) sum += v;
      if (!Object.is(sum / w.length, want)) clamped++;
    }
    expect(clamped, 'windows where the clamp changed the mean').toBeGreaterThanOrEqual(2);
  });

  it('on 200,000 random windows of lengths 1 to 25, mixed signs, scales and repeats', () => {
    const r = random(18);
    const data = new Float64Array(25);
    let bad = 0;
    let clamped = 0;
    for (let k = 0; k < 200_000; k++) {
      const n = 1 + Math.floor(r() * 25);
      const scale = 10 ** Math.floor(r() * 12 - 6);
      const repeat = r() < 0.3;
      const base = (r() - 0.3) * scale;
      for (let i = 0; i < n; i++) data[i] = repeat && r() < 0.8 ? base : r() < 0.05 ? 0 : (r() - 0.3) * scale;
      const want = reference(data, n);
      if (!Object.is(meanOfSlots(data, n), want)) bad++;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += data[i]!;
      if (!Object.is(sum / n, want)) clamped++;
    }
    expect(bad).toBe(0);
    expect(clamped, 'random windows where the clamp mattered').toBeGreaterThan(100);
  });

  const FILES: DataFile[] = ['bybit-BTCUSDT-1m.csv.gz', 'bybit-ETHUSDT-1m.csv.gz', 'bybit-BTCUSDT-5m.csv.gz'];
  for (const file of FILES) {
    it(`${file}: Sma and RingBuffer.mean/windowMean over every window of closes and volumes`, () => {
      const candles = realCandles(file);
      for (const [series, n] of [
        [candles.map((c) => c.close), 20],
        [candles.map((c) => c.close), 3],
        [candles.map((c) => c.volume), 20],
        [candles.map((c) => c.volume), 7],
      ] as const) {
        const sma = new Sma(n);
        const ring = new RingBuffer(n);
        const slots = new Float64Array(n);
        let bad = 0;
        series.forEach((x, t) => {
          slots[t % n] = x;
          const got = sma.update(x);
          ring.push(x);
          const want = t + 1 < n ? null : reference(slots, n);
          if (!Object.is(got, want) || (want !== null && (!Object.is(ring.mean(), want) || !Object.is(windowMean(ring), want)))) bad++;
        });
        expect(bad, `n ${n}`).toBe(0);
      }
    });
  }
});
