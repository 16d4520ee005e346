import { describe, expect, it } from 'vitest';
import { rememberCandle } from '../../src/engine/symbolRuntime.js';
import { kitRuntime, partsKit, T0 } from './partsKit.js';

describe('SymbolRuntime', () => {
  it('has no last price until one is streamed; the price reads back as set, by the engine (lastPriceNum) or as lastPrice', () => {
    const rt = kitRuntime(partsKit());
    expect(rt.lastPrice).toBeNull();
    rt.lastPriceNum = 60_123.4;
    expect(rt.lastPrice).toBe(60_123.4);
    rt.lastPrice = 59_300;
    expect(rt.lastPriceNum).toBe(59_300);
    expect(rt.lastPrice).toBe(59_300);
    rt.lastPrice = 0;
    expect(rt.lastPrice, 'zero is a price, not "none"').toBe(0);
    rt.lastPrice = null;
    expect(rt.lastPrice).toBeNull();
  });

  it('keeps the newest candles: at least historyLimit, never twice as many', () => {
    const rt = kitRuntime(partsKit());
    const limit = rt.historyLimit;
    for (let i = 0; i < 5 * limit + 3; i++) {
      rememberCandle(rt, { ts: T0 + i * 60_000, open: 1, high: 1, low: 1, close: i, volume: 1 });
      expect(rt.history.length).toBeLessThan(2 * limit);
      expect(rt.history.at(-1)!.close).toBe(i);
      if (i % 97 !== 0 && rt.history.length !== limit) continue;
      const n = rt.history.length;
      expect(rt.history.map((c) => c.close)).toEqual(Array.from({ length: n }, (_, k) => i - n + 1 + k));
    }
    expect(rt.history.length).toBeGreaterThanOrEqual(limit);
  });
});
