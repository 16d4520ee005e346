import { describe, expect, it } from 'vitest';
import { CurveValues } from '../../src/backtest/curveValues.js';

describe('a backtest curve held in blocks (issue 21)', () => {
  it('gives back exactly the numbers pushed, flat runs, changes inside a block and across blocks, -0 and NaN', () => {
    const pushed: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const x = i < 5_000 ? 1000 : i < 9_000 ? 1000 + Math.sin(i) * 1e-3 : i === 9_500 ? -0 : i === 9_501 ? NaN : i < 15_000 ? 0 : 987.12345678;
      pushed.push(x);
    }
    const curve = CurveValues.from(pushed);
    expect(curve.length).toBe(pushed.length);
    for (let i = 0; i < pushed.length; i++) expect(Object.is(curve.at(i), pushed[i])).toBe(true);
    expect(curve.at(-1)).toBe(987.12345678);
    expect(Array.from(curve)).toEqual(pushed);
    const back = CurveValues.fromData(structuredClone(curve.toData()));
    expect(Array.from(back)).toEqual(pushed);
  });

  it('a year of 1m candles that moves once holds one block (32 KB, not 4.2 MB), one that moves every candle 8 bytes a candle', () => {
    const flat = new CurveValues();
    const moving = new CurveValues();
    for (let i = 0; i < 525_600; i++) {
      flat.push(i < 200_000 ? 1000 : 990.5);
      moving.push(1000 + i * 1e-4);
    }
    expect(flat.heldBytes).toBeLessThan(40_000);
    expect(moving.heldBytes).toBeLessThan(525_600 * 8 + 4096 * 8 + 2_000);
  });
});
