import { describe, expect, it } from 'vitest';
import type { DesiredQuote, Intent } from '../../src/domain/types.js';
import type { EngineSymbolSettings } from '../../src/engine/ports.js';
import { partsKit, T0, wireParts, type PartsKit } from './partsKit.js';

const MAKER: EngineSymbolSettings = { symbol: 'BTCUSDT', strategy: 'maker', enabled: true, intervalMinutes: 1, leverage: 5, protectiveStopPct: 2, quoteTolerance: { pricePct: 0.02, maxAgeMs: 300_000 } };

function quote(quotes: readonly DesiredQuote[]): Extract<Intent, { kind: 'quote' }> {
  return { kind: 'quote', symbol: 'BTCUSDT', decidedAtMs: T0, quotes, reason: 'spread around mid' };
}

const BOTH: readonly DesiredQuote[] = [
  { side: 'buy', price: 59_990.04, qty: 0.0012, level: 0 },
  { side: 'sell', price: 60_010.01, qty: 0.001, level: 0 },
];

function book(kit: PartsKit): string[] {
  return kit.sim.openOrders('BTCUSDT').map((o) => `${o.side} ${o.qty.toFixed()} @ ${o.price?.toFixed()} ${o.timeInForce}`);
}

describe('MakerQuoting', () => {
  it("places the desired quotes post-only, rounded away from the touch to the exchange's tick and step", async () => {
    const kit = partsKit({ symbol: MAKER });
    const w = await wireParts(kit);
    await w.turn(() => w.maker.requote(w.rt, quote(BOTH), T0));
    expect(book(kit)).toEqual(['buy 0.001 @ 59990 PostOnly', 'sell 0.001 @ 60010.1 PostOnly']);
    expect(w.maker.liveQuotes(w.rt).map((q) => [q.side, q.level, q.price, q.qty])).toEqual([
      ['buy', 0, 59990, 0.001],
      ['sell', 0, 60010.1, 0.001],
    ]);
  });

  it('leaves quotes within tolerance alone and amends the ones that moved', async () => {
    const kit = partsKit({ symbol: MAKER });
    const w = await wireParts(kit);
    await w.turn(() => w.maker.requote(w.rt, quote(BOTH), T0));
    const ids = kit.sim.openOrders('BTCUSDT').map((o) => o.orderLinkId).sort();
    const sent = kit.journal.records.length;
    await w.turn(() => w.maker.requote(w.rt, quote(BOTH.map((q) => ({ ...q, price: q.price + 1 }))), T0 + 1_000));
    expect(kit.journal.records.length, '1 USDT is within 0.02 %: nothing sent').toBe(sent);
    await w.turn(() => w.maker.requote(w.rt, quote([{ ...BOTH[0]!, price: 59_900 }, BOTH[1]!]), T0 + 2_000));
    expect(kit.sim.openOrders('BTCUSDT').map((o) => o.orderLinkId).sort(), 'the same orders, amended').toEqual(ids);
    expect(book(kit)).toContain('buy 0.001 @ 59900 PostOnly');
  });

  it('while entries are locked, only quotes that reduce the inventory stay', async () => {
    const kit = partsKit({ symbol: MAKER });
    const w = await wireParts(kit);
    await w.turn(() => w.maker.requote(w.rt, quote(BOTH), T0));
    w.risk.pause('owner');
    await w.turn(() => w.maker.requote(w.rt, quote(BOTH), T0 + 1_000));
    expect(book(kit), 'flat: every quote would add inventory').toEqual([]);
    kit.store.update((d) => {
      d.symbols.BTCUSDT!.position = { side: 'long', size: '0.001', entryPrice: '60000', openedMs: T0, entryOrderLinkId: null, stop: null, targets: [] };
    });
    await w.turn(() => w.maker.requote(w.rt, quote([{ side: 'sell', price: 60_010, qty: 0.002, level: 0 }, BOTH[0]!]), T0 + 2_000));
    expect(book(kit), 'a long keeps its sell, no larger than the inventory').toEqual(['sell 0.001 @ 60010 PostOnly']);
  });

  it('says once, loudly, when the quote size is below the minimum order, and places nothing', async () => {
    const kit = partsKit({ symbol: MAKER });
    const w = await wireParts(kit);
    const tiny = quote([{ side: 'buy', price: 59_990, qty: 0.0004, level: 0 }]);
    await w.turn(() => w.maker.requote(w.rt, tiny, T0));
    await w.turn(() => w.maker.requote(w.rt, tiny, T0 + 60_000));
    expect(book(kit)).toEqual([]);
    expect(kit.alerts.map((a) => [a.level, a.title])).toEqual([['critical', 'BTCUSDT maker cannot quote']]);
    expect(kit.alerts[0]!.body).toContain('Raise params.orderQty of BTCUSDT in config.json.');
  });

  it('says once when the quote size is above the maximum order, and sends nothing Bybit would refuse', async () => {
    // Issue 15: params.orderQty 1e9 sent a refused quote on every decision (64 warnings in 8 s).
    const kit = partsKit({ symbol: MAKER });
    const w = await wireParts(kit);
    const huge = quote([{ side: 'buy', price: 59_990, qty: 1e9, level: 0 }]);
    for (let i = 0; i < 5; i++) await w.turn(() => w.maker.requote(w.rt, huge, T0 + i * 1_000));
    expect(book(kit)).toEqual([]);
    expect(kit.journal.records.filter((r) => r.type === 'order'), 'no quote sent').toEqual([]);
    expect(kit.logs.filter((l) => /refused/.test(l.message))).toEqual([]);
    expect(kit.alerts.map((a) => [a.level, a.title])).toEqual([['critical', 'BTCUSDT maker cannot quote']]);
    expect(kit.alerts[0]!.body).toContain('above the maximum order of 1190');
    expect(kit.alerts[0]!.body).toContain('Lower params.orderQty of BTCUSDT in config.json.');
  });

  it('amends a partly filled quote to its fills plus the desired size, so the desired size rests (issue 20 item 8)', async () => {
    const kit = partsKit({ symbol: MAKER });
    const w = await wireParts(kit);
    const buy = (price: number): Extract<Intent, { kind: 'quote' }> => quote([{ side: 'buy', price, qty: 0.004, level: 0 }]);
    await w.turn(() => w.maker.requote(w.rt, buy(59_990), T0));
    kit.sim.setPartialFillRatio(0.5);
    await w.turn(() => kit.sim.movePrice('BTCUSDT', 59_980, T0 + 500));
    const [o] = kit.sim.openOrders('BTCUSDT');
    expect(o!.cumExecQty.toFixed(), 'half of the quote filled').toBe('0.002');
    // The desired quote moved: amended to 0.002 filled + 0.004 desired, so 0.004 rests.
    await w.turn(() => w.maker.requote(w.rt, buy(59_900), T0 + 1_000));
    const [a] = kit.sim.openOrders('BTCUSDT');
    expect([a!.orderLinkId, a!.price?.toFixed(), a!.qty.toFixed(), a!.leavesQty.toFixed()]).toEqual([o!.orderLinkId, '59900', '0.006', '0.004']);
    // Asked again, nothing is to be done: the resting size is the desired one.
    await w.turn(() => w.maker.requote(w.rt, buy(59_900), T0 + 2_000));
    expect(kit.sim.openOrders('BTCUSDT').map((x) => x.orderLinkId)).toEqual([o!.orderLinkId]);
    expect(kit.logs.filter((l) => /amend failed/.test(l.message))).toEqual([]);
  });

  it('cancelAll takes every quote off the book (graceful shutdown)', async () => {
    const kit = partsKit({ symbol: MAKER });
    const w = await wireParts(kit);
    await w.turn(() => w.maker.requote(w.rt, quote(BOTH), T0));
    await w.turn(() => w.maker.cancelAll(w.rt, 'shutdown'));
    expect(book(kit)).toEqual([]);
    expect(w.maker.liveQuotes(w.rt)).toEqual([]);
  });
});
