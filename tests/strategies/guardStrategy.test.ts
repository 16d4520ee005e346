/** Strategy safety (STYLE point 11, issue 5): a throwing or misbehaving strategy is logged and emits nothing. */
import { describe, expect, it } from 'vitest';
import type { Candle, Intent } from '../../src/domain/types.js';
import { guardStrategy, intentProblem, StrategyIntentError } from '../../src/strategies/guardStrategy.js';
import { Scalper } from '../../src/strategies/scalper.js';
import { FLAT, type BookTop, type PositionView, type Strategy } from '../../src/strategies/strategy.js';
import { realCandles } from '../indicators/realData.js';

const candle: Candle = { ts: 1_748_538_300_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 };
const top: BookTop = { bidPrice: 1, bidQty: 1, askPrice: 1.1, askQty: 1, ts: 5 };

/** A strategy that does whatever the test says on each call. */
function scripted(onCandle: () => Intent | null, onBook: () => Intent | null = () => null): Strategy {
  return { name: 'scalper', symbol: 'BTCUSDT', warmupCandles: 0, onCandle, onBook };
}

function recorder() {
  const calls: { message: string; error: unknown }[] = [];
  return { calls, log: (message: string, error: unknown) => void calls.push({ message, error }) };
}

const goodEnter: Intent = {
  kind: 'enter', symbol: 'BTCUSDT', side: 'long', decidedAtMs: 1, refPrice: 100, stopLoss: 99, targets: [101, 102], reason: 'test',
};

describe('guardStrategy', () => {
  it('catches a throw in onCandle, logs it with the strategy and the error, and returns null', () => {
    const boom = new TypeError('cannot read properties of undefined');
    const { calls, log } = recorder();
    const g = guardStrategy(scripted(() => { throw boom; }), log);
    expect(g.onCandle(candle, FLAT, 0)).toBeNull();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.message).toBe('strategy scalper BTCUSDT: onCandle threw on the candle at 1748538300000; no intent sent');
    expect(calls[0]!.error).toBe(boom);
    expect(g.failures).toBe(1);
  });

  it('catches a throw in onBook, and keeps working on later calls', () => {
    let n = 0;
    const { calls, log } = recorder();
    const g = guardStrategy(scripted(() => goodEnter, () => { if (n++ === 0) throw new Error('first book'); return null; }), log);
    expect(g.onBook(top, FLAT, 0)).toBeNull();
    expect(calls[0]!.message).toMatch(/onBook threw on the book at 5/);
    expect(g.onBook(top, FLAT, 0)).toBeNull();
    expect(g.onCandle(candle, FLAT, 0)).toBe(goodEnter);
    expect(calls).toHaveLength(1);
  });

  it('contains a thrown non-Error too', () => {
    const { calls, log } = recorder();
    const g = guardStrategy(scripted(() => { throw 'plain string'; }), log);
    expect(g.onCandle(candle, FLAT, 0)).toBeNull();
    expect(calls[0]!.error).toBe('plain string');
  });

  it('drops a malformed intent (NaN stop, stop on the wrong side, other symbol) with a logged StrategyIntentError', () => {
    const bad: Intent[] = [
      { ...goodEnter, stopLoss: NaN },
      { ...goodEnter, stopLoss: 101 },
      { ...goodEnter, targets: [99] },
      { ...goodEnter, symbol: 'ETHUSDT' },
      { kind: 'quote', symbol: 'BTCUSDT', decidedAtMs: 1, reason: 'q', quotes: [{ side: 'buy', level: 0, price: Infinity, qty: 1 }] },
      { kind: 'quote', symbol: 'BTCUSDT', decidedAtMs: 1, reason: 'q', quotes: [{ side: 'buy', level: 0, price: 1, qty: 0 }] },
    ];
    for (const intent of bad) {
      const { calls, log } = recorder();
      expect(guardStrategy(scripted(() => intent), log).onCandle(candle, FLAT, 0)).toBeNull();
      expect(calls[0]!.error).toBeInstanceOf(StrategyIntentError);
      expect(calls[0]!.message).toMatch(/malformed intent/);
    }
    expect(intentProblem({ ...goodEnter, side: 'short', stopLoss: 101, targets: [99] }, 'BTCUSDT')).toBeNull();
  });

  it('survives a logger that throws', () => {
    const g = guardStrategy(scripted(() => { throw new Error('x'); }), () => { throw new Error('logger down'); });
    expect(g.onCandle(candle, FLAT, 0)).toBeNull();
    expect(g.failures).toBe(1);
  });

  it('passes a real strategy through unchanged', () => {
    const candles = realCandles('bybit-BTCUSDT-1m.csv.gz').slice(0, 80);
    const bare = new Scalper({ symbol: 'BTCUSDT', intervalMs: 60_000 });
    const { calls, log } = recorder();
    const guarded = guardStrategy(new Scalper({ symbol: 'BTCUSDT', intervalMs: 60_000 }), log);
    expect(guarded.name).toBe('scalper');
    expect(guarded.warmupCandles).toBe(bare.warmupCandles);
    const pos: PositionView = FLAT;
    for (const c of candles) expect(guarded.onCandle(c, pos, c.ts + 60_000)).toEqual(bare.onCandle(c, pos, c.ts + 60_000));
    expect(calls).toEqual([]);
  });

  it('accepts a reason built on first read without building it, and refuses a missing one', () => {
    let built = 0;
    const lazy = { ...goodEnter } as Intent;
    Object.defineProperty(lazy, 'reason', { enumerable: true, get: () => (built++, 'long: stochRSI crossed up at pivot S1') });
    const { calls, log } = recorder();
    const g = guardStrategy(scripted(() => lazy), log);
    const out = g.onCandle(candle, FLAT, 0);
    expect(out).toBe(lazy);
    expect(built, 'the guard does not build the text').toBe(0);
    expect(out!.reason).toBe('long: stochRSI crossed up at pivot S1');
    expect(calls).toEqual([]);
    const { reason: _dropped, ...withoutReason } = goodEnter;
    expect(intentProblem(withoutReason as Intent, 'BTCUSDT')).toBe('reason is missing');
    expect(intentProblem({ ...goodEnter, reason: '' }, 'BTCUSDT')).toBe('reason is missing');
  });

  it("accepts a reason that is a getter of the intent's class (the scalper's entry) without building it", () => {
    let built = 0;
    class Entry {
      readonly kind = 'enter' as const;
      readonly symbol = 'BTCUSDT';
      readonly side = 'long' as const;
      readonly decidedAtMs = 1;
      readonly refPrice = 100;
      readonly stopLoss = 99;
      readonly targets = [101, 102];
      get reason(): string {
        built++;
        return 'long: stochRSI crossed up at pivot S1';
      }
    }
    const { calls, log } = recorder();
    const out = guardStrategy(scripted(() => new Entry()), log).onCandle(candle, FLAT, 0);
    expect(built, 'the guard does not build the text').toBe(0);
    expect(out!.reason).toBe('long: stochRSI crossed up at pivot S1');
    expect(calls).toEqual([]);
  });
});
