import { describe, expect, it } from 'vitest';
import { newSymbolRuntime, rememberCandle } from '../../src/engine/symbolRuntime.js';
import type { Candle } from '../../src/domain/types.js';
import { kitRuntime, partsKit, ScriptedStrategy, T0 } from './partsKit.js';

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

  it('trims in place to the same candles a splice kept, with the backtest limit of 16 (issue 18)', () => {
    const kit = partsKit();
    const s = kit.settings.symbols[0]!;
    const rt = newSymbolRuntime(s, new Map([[s.symbol, new ScriptedStrategy()]]), kit.logger, 16);
    const history = rt.history;
    const spliced: Candle[] = [];
    for (let i = 0; i < 100; i++) {
      const c: Candle = { ts: T0 + i * 60_000, open: 1, high: 1, low: 1, close: i, volume: 1 };
      rememberCandle(rt, c);
      spliced.push(c);
      if (spliced.length >= 32) spliced.splice(0, spliced.length - 16);
      expect(rt.history).toBe(history);
      expect(rt.history).toEqual(spliced);
      expect(rt.history.every((x, k) => x === spliced[k])).toBe(true);
    }
  });
});
