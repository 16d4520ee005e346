/**
 * The order book of user orders and their matching (src/sim/restingOrders.ts, with the executions
 * of src/sim/orderFiller.ts). The synthetic book at last price 100 000 has bid 100 000.0 and ask
 * 100 000.1 (one tick, src/sim/syntheticBook.ts); fees are Bybit linear's (maker 0.02 %, taker
 * 0.055 %, DESIGN section 5).
 */
import { describe, expect, it } from 'vitest';
import { dec, roundToStep } from '../../src/domain/money.js';
import { BTC, simParts, spec } from './simParts.js';

describe('RestingOrders', () => {
  it('a limit below the touch rests and fills at its price, as maker, only when price trades strictly below it', () => {
    const { m, orders, fills, registry } = simParts(100_000);
    const o = orders.place(m, spec('buy', '0.01', '99000'));
    expect([o.status, m.resting.length]).toEqual(['New', 1]);
    fills.move(m, 99_000, 1, false);
    expect(registry.executions().length, 'touching the limit is not trading through it').toBe(0);
    fills.move(m, 98_999.9, 2, false);
    const [e] = registry.executions();
    expect([e!.execPrice.toFixed(), e!.isMaker, e!.execFee.toFixed()]).toEqual(['99000', true, '0.198']);
    expect([o.status, m.resting.length]).toEqual(['Filled', 0]);
  });

  it("in 'touch' mode a marketable order takes the best ask plus slippage, never worse than its limit", () => {
    const { m, orders, registry } = simParts(100_000, { slippageBps: 10 });
    // Ask 100 000.1 × (1 + 0.001) = 100 100.1001, rounded up to the tick: 100 100.2.
    orders.place(m, spec('buy', '0.01', null));
    // The same slipped price, capped at the limit 100 000.1.
    orders.place(m, spec('buy', '0.01', '100000.1'));
    expect(registry.executions().map((e) => [e.execPrice.toFixed(), e.isMaker])).toEqual([
      ['100100.2', false],
      ['100000.1', false],
    ]);
  });

  it('slips a taker fill by exactly ref × (1 ± bps / 10 000), rounded away from the taker to the tick, for any bps', () => {
    for (const bps of [0.3, 2.5, 7, 10, 33.3]) {
      const { m, orders, registry } = simParts(100_000, { slippageBps: bps });
      orders.place(m, spec('buy', '0.01', null));
      orders.place(m, spec('sell', '0.01', null));
      // The slipped price as worked out before the factors were kept: from the touch, per order.
      const f = dec(bps).div(10_000);
      const buy = roundToStep(dec('100000.1').mul(f.add(1)), BTC.tickSize, 'up');
      const sell = roundToStep(dec('100000').mul(dec(1).sub(f)), BTC.tickSize, 'down');
      expect(registry.executions().map((e) => e.execPrice.toFixed()), `${bps} bps`).toEqual([buy.toFixed(), sell.toFixed()]);
    }
  });

  it("in 'nextPrice' mode a taker order waits for the next price point; a limit left behind then rests", () => {
    const { m, orders, fills, registry } = simParts(100_000, { marketFill: 'nextPrice' });
    const mkt = orders.place(m, spec('buy', '0.01', null));
    const gtc = orders.place(m, spec('buy', '0.01', '100000.1'));
    const ioc = orders.place(m, spec('buy', '0.01', '100000.1', { tif: 'IOC' }));
    expect([m.pending.length, registry.executions().length]).toEqual([3, 0]);
    fills.move(m, 100_500, 1, true);
    expect(registry.executions().map((e) => e.execPrice.toFixed()), 'the market order at the new point').toEqual(['100500']);
    expect([mkt.status, gtc.status, ioc.status]).toEqual(['Filled', 'New', 'Cancelled']);
    expect(m.resting, 'price moved above the limit before it reached the market').toEqual([gtc]);
    expect(ioc.rejectReason).toBe('EC_NoImmediateQtyToFill');
  });

  it('cancels a crossing PostOnly and a non-marketable IOC', () => {
    const { m, orders } = simParts(100_000);
    const post = orders.place(m, spec('buy', '0.01', '100000.1', { tif: 'PostOnly' }));
    const ioc = orders.place(m, spec('buy', '0.01', '99000', { tif: 'IOC' }));
    expect([post.status, post.rejectReason]).toEqual(['Cancelled', 'EC_PostOnlyWillTakeLiquidity']);
    expect([ioc.status, ioc.rejectReason]).toEqual(['Cancelled', 'EC_NoImmediateQtyToFill']);
    expect(m.resting.length).toBe(0);
  });

  it('with partialFillRatio 0.5 a taker order fills half first: IOC cancels the rest, GTC rests it, market takes it', () => {
    const { m, orders, registry } = simParts(100_000, { partialFillRatio: 0.5 });
    const ioc = orders.place(m, spec('buy', '0.004', '100000.1', { tif: 'IOC' }));
    const gtc = orders.place(m, spec('buy', '0.004', '100000.1'));
    const mkt = orders.place(m, spec('buy', '0.004', null));
    expect(registry.executions().map((e) => e.execQty.toFixed())).toEqual(['0.002', '0.002', '0.002', '0.002']);
    expect([ioc.status, gtc.status, mkt.status]).toEqual(['PartiallyFilledCanceled', 'PartiallyFilled', 'Filled']);
    expect(m.resting).toEqual([gtc]);
  });

  it('a thin book fills only its share of a market order; the IOC rest is cancelled', () => {
    const { m, orders, registry } = simParts(100_000, { thinBookRatio: 0.3 });
    const o = orders.place(m, spec('buy', '0.01', null));
    expect(registry.executions().map((e) => e.execQty.toFixed()), '0.3 × 0.01').toEqual(['0.003']);
    expect([o.status, o.rejectReason]).toEqual(['PartiallyFilledCanceled', 'EC_NoImmediateQtyToFill']);
  });

  it('a re-priced limit that now crosses is routed again and takes liquidity', () => {
    const { m, orders, registry } = simParts(100_000);
    const o = orders.place(m, spec('buy', '0.01', '99000'));
    orders.amend(m, o, { symbol: 'BTCUSDT', price: dec('100000.1') });
    expect(registry.executions().map((e) => [e.execPrice.toFixed(), e.isMaker])).toEqual([['100000.1', false]]);
    expect([o.status, m.resting.length]).toEqual(['Filled', 0]);
  });

  it('a fill that leaves the position flat cancels the reduce-only orders; events come in a fixed order', () => {
    const { m, orders, events } = simParts(100_000);
    orders.place(m, spec('buy', '0.01', null));
    const tp = orders.place(m, spec('sell', '0.01', '101000', { reduceOnly: true }));
    events.length = 0;
    orders.place(m, spec('sell', '0.01', null));
    expect([tp.status, tp.cancelType, tp.rejectReason]).toEqual(['Cancelled', 'CancelByReduceOnly', 'EC_ReduceOnlySetButNotReducing']);
    // The new order rests nowhere (market), so the first event is its execution.
    expect(events.map((e) => e.kind)).toEqual(['execution', 'order', 'order', 'position', 'wallet']);
    expect(m.pos.side).toBe(null);
  });
});
