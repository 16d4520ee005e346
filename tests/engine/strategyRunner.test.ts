import { describe, expect, it } from 'vitest';
import type { OrderSentRecord } from '../../src/domain/journalRecord.js';
import type { Candle } from '../../src/domain/types.js';
import { longIntent, partsKit, ScriptedStrategy, T0, wireParts, type PartsKit } from './partsKit.js';

const MINUTE = 60_000;

function candle(i: number): Candle {
  return { ts: T0 + i * MINUTE, open: 60_000, high: 60_010, low: 59_990, close: 60_000, volume: 1 };
}

/** Ten candles of history before T0; the stream starts with candle(0). */
const HISTORY = Array.from({ length: 10 }, (_, i) => candle(i - 10));

function sent(kit: PartsKit): OrderSentRecord[] {
  return kit.journal.records.filter((r): r is OrderSentRecord => r.type === 'order');
}

describe('StrategyRunner', () => {
  it('warms the strategy up on the history just before its first streamed candle, then decides on that candle', async () => {
    const kit = partsKit({ history: HISTORY });
    const strategy = new ScriptedStrategy();
    const w = await wireParts(kit, strategy);
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(0)));
    // warmupCandles (0) + 5 candles are asked for.
    expect(strategy.seen.map((c) => c.ts)).toEqual([...HISTORY.slice(-5), candle(0)].map((c) => c.ts));
    expect(w.rt.warm).toBe(true);
    expect(kit.logs.map((l) => l.message)).toContain(`BTCUSDT ready: warmed up on 5 candles, deciding from the candle of ${new Date(T0).toISOString()}`);
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(0)));
    expect(strategy.seen, 'a candle seen twice (stream and REST overlap) is handled once').toHaveLength(6);
  });

  it('a candle that is behind a newer one still feeds the strategy but is never acted on', async () => {
    const kit = partsKit({ history: HISTORY });
    const strategy = new ScriptedStrategy();
    const w = await wireParts(kit, strategy);
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(0)));
    w.rt.newestCandleTs = candle(2).ts; // candle 2 is already queued behind
    strategy.next = longIntent();
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(1)));
    expect(strategy.seen.at(-1)?.ts).toBe(candle(1).ts);
    expect(sent(kit), 'the signal judged on a stale close is dropped').toEqual([]);
    strategy.next = longIntent({ decidedAtMs: candle(2).ts + MINUTE });
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(2)));
    expect(sent(kit).map((o) => o.purpose)[0]).toBe('entry');
  });

  it('closes a position held timeExitCandles candles at the close that completes them', async () => {
    const kit = partsKit({ history: HISTORY });
    kit.settings = { ...kit.settings, symbols: [{ ...kit.settings.symbols[0]!, exits: { ...kit.settings.symbols[0]!.exits!, timeExitCandles: 2 } }] };
    const strategy = new ScriptedStrategy();
    const w = await wireParts(kit, strategy);
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(0)));
    strategy.next = longIntent({ decidedAtMs: candle(1).ts + MINUTE });
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(1)));
    expect(kit.sim.position('BTCUSDT').side).toBe('buy');
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(2)));
    expect(sent(kit).filter((o) => o.purpose === 'exit')).toEqual([]);
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(3)));
    expect(sent(kit).filter((o) => o.purpose === 'exit').map((o) => o.reason)).toEqual(['timeExit: held 2 candles']);
    expect(kit.sim.position('BTCUSDT').side).toBeNull();
  });

  it('decides nothing once shutdown has begun', async () => {
    const kit = partsKit({ history: HISTORY });
    const strategy = new ScriptedStrategy();
    const w = await wireParts(kit, strategy);
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(0)));
    kit.stopping = true;
    strategy.next = longIntent();
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(1)));
    expect(strategy.next, 'the strategy was not asked').not.toBeNull();
    expect(sent(kit)).toEqual([]);
  });

  it("the maker's book turn quotes from the newest book, once warm", async () => {
    const kit = partsKit({ history: HISTORY, symbol: { symbol: 'BTCUSDT', strategy: 'maker', enabled: true, intervalMinutes: 1, leverage: 5, protectiveStopPct: 2 } });
    const strategy = new ScriptedStrategy();
    const w = await wireParts(kit, strategy);
    const quoteBuy = { kind: 'quote' as const, symbol: 'BTCUSDT', decidedAtMs: T0, quotes: [{ side: 'buy' as const, price: 59_990, qty: 0.001, level: 0 }], reason: 'test' };
    w.rt.latestBook = { bidPrice: 59_999.9, bidQty: 1, askPrice: 60_000.1, askQty: 1, ts: T0 };
    strategy.next = quoteBuy;
    w.rt.requoteQueued = true;
    await w.turn(() => w.runner.onBook(w.rt));
    expect(w.rt.requoteQueued).toBe(false);
    expect(kit.sim.openOrders('BTCUSDT'), 'not warm yet: no quotes').toEqual([]);
    await w.turn(() => w.runner.onClosedCandle(w.rt, candle(0)));
    strategy.next = quoteBuy;
    await w.turn(() => w.runner.onBook(w.rt));
    expect(kit.sim.openOrders('BTCUSDT').map((o) => o.price?.toFixed())).toEqual(['59990']);
    expect(w.rt.lastRequoteMs).toBe(kit.clock);
  });
});
