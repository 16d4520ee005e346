import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { ExitRecord, FillRecord } from '../../src/domain/journalRecord.js';
import type { Fill } from '../../src/domain/types.js';
import { partsKit, T0, wireParts } from './partsKit.js';

const MAKER = { symbol: 'BTCUSDT', strategy: 'maker' as const, enabled: true, intervalMinutes: 1, leverage: 5 };

function fill(over: Partial<Fill> = {}): Fill {
  return { execId: 'e1', orderId: 'o1', orderLinkId: `ps-BTCUSDT-QB0-${T0.toString(36)}`, symbol: 'BTCUSDT', side: 'buy', price: dec('60000'), qty: dec('0.002'), fee: dec('0.024'), isMaker: true, ts: T0, ...over };
}

describe('ExecutionHandler', () => {
  it('journals each fill once, however often it is reported (stream and REST)', async () => {
    const kit = partsKit({ symbol: MAKER });
    const w = await wireParts(kit);
    await w.events.onFill(w.rt, fill());
    await w.events.onFill(w.rt, fill());
    expect(kit.journal.records.filter((r): r is FillRecord => r.type === 'fill')).toHaveLength(1);
    expect(w.rt.lastFillTs).toBe(T0);
  });

  it("a maker's fills open, then close a position; the completed trade reaches the journal, the day's PnL and the owner", async () => {
    const kit = partsKit({ symbol: MAKER });
    const w = await wireParts(kit);
    await w.events.onFill(w.rt, fill());
    expect(kit.store.state.symbols.BTCUSDT?.position).toMatchObject({ side: 'long', size: '0.002', entryPrice: '60000', openedMs: T0, entryOrderLinkId: null });
    kit.clock = T0 + 60_000;
    await w.events.onFill(w.rt, fill({ execId: 'e2', orderLinkId: `ps-BTCUSDT-QS0-${T0.toString(36)}`, side: 'sell', price: dec('60100'), ts: T0 + 60_000 }));
    const exit = kit.journal.records.find((r): r is ExitRecord => r.type === 'exit');
    // (60 100 − 60 000) × 0.002 − 2 × 0.024 fees.
    expect(exit).toMatchObject({ side: 'long', qty: '0.002', pnl: '0.152', fees: '0.048', reason: 'quote' });
    expect(kit.store.state.daily?.realisedPnl).toBe('0.152');
    expect(kit.store.state.symbols.BTCUSDT?.position).toBeNull();
    expect(kit.alerts.at(-1)).toMatchObject({ level: 'trade', kind: 'tradeClosed', title: 'BTCUSDT long closed by quote fill (+0.15 USDT)', body: '0.002 @ 60000 → 60100, fees 0.05 USDT' });
  });

  it("an order update keeps the store's record current, and a finished order leaves it", async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    const linkId = `ps-BTCUSDT-XS-${T0.toString(36)}`;
    kit.store.update((d) => {
      d.symbols.BTCUSDT!.openOrders[linkId] = { orderLinkId: linkId, orderId: null, side: 'sell', type: 'limit', purpose: 'exit', status: 'pending', price: '61000', qty: '0.002', filledQty: '0', reduceOnly: true, createdMs: T0 };
    });
    const order = { orderLinkId: linkId, orderId: 'x1', symbol: 'BTCUSDT', side: 'sell' as const, type: 'limit' as const, timeInForce: 'GTC' as const, price: dec('61000'), qty: dec('0.002'), reduceOnly: true, stopLoss: null, takeProfit: null, avgFillPrice: null, rejectReason: null, createdMs: T0 };
    await w.events.onOrder(w.rt, { ...order, status: 'partiallyFilled', filledQty: dec('0.001'), updatedMs: T0 + 1 });
    expect(kit.store.state.symbols.BTCUSDT?.openOrders[linkId]).toMatchObject({ orderId: 'x1', status: 'partiallyFilled', filledQty: '0.001' });
    await w.events.onOrder(w.rt, { ...order, status: 'cancelled', filledQty: dec('0.001'), updatedMs: T0 + 2 });
    expect(kit.store.state.symbols.BTCUSDT?.openOrders).toEqual({});
    await w.events.onOrder(w.rt, { ...order, status: 'new', filledQty: dec('0'), updatedMs: T0 + 3 });
    expect(kit.tracker.get(linkId)?.status, 'a terminal order stays terminal').toBe('cancelled');
  });
});
