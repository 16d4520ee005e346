import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { Instrument, Intent } from '../../src/domain/types.js';
import { planEntry, type EntryContext } from '../../src/engine/executor.js';
import { isOwnOrderLinkId, makeOrderLinkId, ORDER_LINK_ID_MAX, parseOrderLinkId } from '../../src/engine/orderLinkId.js';

// Bybit's published trading rules for linear BTCUSDT and ETHUSDT (instruments-info, category=linear).
const BTC: Instrument = {
  symbol: 'BTCUSDT', baseCoin: 'BTC', quoteCoin: 'USDT', tickSize: dec('0.1'), qtyStep: dec('0.001'), minQty: dec('0.001'),
  maxQty: dec('1190'), maxMarketQty: dec('119'), minNotional: dec('5'), maxLeverage: dec('100'),
};
const ETH: Instrument = { ...BTC, symbol: 'ETHUSDT', baseCoin: 'ETH', tickSize: dec('0.01'), qtyStep: dec('0.01'), minQty: dec('0.01'), maxQty: dec('7240'), maxMarketQty: dec('724') };

// A long decided at the close of the real BTCUSDT 1m candle of 2025-05-29 17:08 UTC (close 106666.8,
// data/bybit-BTCUSDT-1m.csv.gz), stop beyond a pivot low, targets at 1R..4R.
const LONG: Extract<Intent, { kind: 'enter' }> = {
  kind: 'enter', symbol: 'BTCUSDT', side: 'long', decidedAtMs: 1748538540000, refPrice: 106666.8, stopLoss: 106480.04,
  targets: [106853.56, 107040.32, 107227.08, 107413.84], reason: 'test',
};
const ctx = (over: Partial<EntryContext> = {}): EntryContext => ({
  instrument: BTC, equity: dec('1000'), available: dec('1000'), sizing: { mode: 'risk', riskPerTradePct: 1, maxNotionalUsdt: null },
  leverage: 5, takerFeePct: 0.055, ladderFractions: [0.6, 0.15, 0.15, 0.1], orderIdPrefix: 'ps', ...over,
});

describe('planEntry', () => {
  it('sizes from risk per trade, counting both taker fees, and rounds to the lot', () => {
    const plan = planEntry(LONG, ctx());
    if (plan.status !== 'planned') throw new Error(plan.reason);
    // Worked by hand: stop 106480.04 rounds down to the tick: 106480.0. Loss per BTC at the stop =
    // (106666.8 − 106480.0) + 0.00055 × (106666.8 + 106480.0) = 186.8 + 117.23074 = 304.03074.
    // Risk 1 % of 1000 = 10 USDT → 10 / 304.03074 = 0.03289 BTC → 0.032 after rounding down to 0.001.
    expect(plan.stopLoss.toFixed()).toBe('106480');
    expect(plan.request.qty.toFixed()).toBe('0.032');
    expect(plan.riskUsdt.toFixed()).toBe('9.72898368');
    expect(plan.riskUsdt.lte(10), 'rounding never risks more than configured').toBe(true);
    expect(plan.request).toMatchObject({ side: 'buy', type: 'market', timeInForce: 'IOC', reduceOnly: false, price: null });
    expect(plan.request.stopLoss?.toFixed(), 'the stop travels with the entry').toBe('106480');
  });

  it('splits the ladder into lot-rounded slices that add up to the position', () => {
    const plan = planEntry(LONG, ctx());
    if (plan.status !== 'planned') throw new Error(plan.reason);
    // 0.032 × 0.6 = 0.0192 → 0.019; × 0.15 = 0.0048 → 0.004 (twice); the last takes the rest, 0.005.
    expect(plan.targets.map((t) => [t.price.toFixed(), t.qty.toFixed()])).toEqual([
      ['106853.5', '0.019'],
      ['107040.3', '0.004'],
      ['107227', '0.004'],
      ['107413.8', '0.005'],
    ]);
    expect(plan.request.takeProfit, 'a ladder uses reduce-only limits, not a whole-position TP').toBeNull();
  });

  it('attaches the take-profit to the entry when there is a single target', () => {
    const plan = planEntry({ ...LONG, targets: [106853.56] }, ctx({ ladderFractions: [1] }));
    expect(plan.status === 'planned' && plan.request.takeProfit?.toFixed()).toBe('106853.5');
  });

  it('caps the size by leverage and available balance, and says so when it then skips', () => {
    const plan = planEntry(LONG, ctx({ leverage: 3 }));
    // 1000 × 3 × 0.95 / 106666.8 = 0.026718 → 0.026 (below the 0.032 the risk allows).
    expect(plan.status === 'planned' && plan.request.qty.toFixed()).toBe('0.026');
    const tiny = planEntry(LONG, ctx({ available: dec('1'), leverage: 1 }));
    expect(tiny).toEqual({ status: 'skipped', reason: expect.stringMatching(/below the minimum 0\.001 \(capped by 1x leverage on 1\.00 USDT available\)/) });
  });

  it('skips, with a reason, what the exchange would reject', () => {
    expect(planEntry(LONG, ctx({ equity: dec('10') }))).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/quantity 0 is below the minimum 0\.001/) });
    expect(planEntry({ ...LONG, stopLoss: 106700 }, ctx())).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/stop 106700 is not below the entry/) });
    expect(planEntry({ ...LONG, targets: [106600] }, ctx({ ladderFractions: [1] }))).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/target 106600 is not above/) });
    expect(planEntry({ ...LONG, refPrice: Number.NaN }, ctx())).toMatchObject({ status: 'skipped' });
  });

  it('sizes a fixed notional and mirrors everything for a short', () => {
    const short: Extract<Intent, { kind: 'enter' }> = { kind: 'enter', symbol: 'ETHUSDT', side: 'short', decidedAtMs: 1748538420000, refPrice: 2639.85, stopLoss: 2651.333, targets: [2628.367], reason: 't' };
    const plan = planEntry(short, ctx({ instrument: ETH, sizing: { mode: 'notional', notionalUsdt: 100 }, ladderFractions: [1] }));
    if (plan.status !== 'planned') throw new Error(plan.reason);
    // 100 / 2639.85 = 0.03788 → 0.03 ETH (lot 0.01); stop rounds up (away) to 2651.34; target rounds up (nearer) to 2628.37.
    expect([plan.request.side, plan.request.qty.toFixed(), plan.stopLoss.toFixed(), plan.targets[0]!.price.toFixed()]).toEqual(['sell', '0.03', '2651.34', '2628.37']);
  });

  it('gives the same intent the same orderLinkId, so a retry after a crash cannot open twice', () => {
    const a = planEntry(LONG, ctx());
    const b = planEntry(LONG, ctx({ equity: dec('1200') }));
    expect(a.status === 'planned' && b.status === 'planned' && a.request.orderLinkId === b.request.orderLinkId).toBe(true);
    const later = planEntry({ ...LONG, decidedAtMs: LONG.decidedAtMs + 60_000 }, ctx());
    expect(later.status === 'planned' && a.status === 'planned' && later.request.orderLinkId !== a.request.orderLinkId).toBe(true);
  });
});

describe('orderLinkId', () => {
  it('is at most 36 characters of Bybit\'s alphabet, even for long symbols, and parses back', () => {
    for (const symbol of ['BTCUSDT', '1000000BABYDOGEUSDT', 'SHIB1000USDT']) {
      for (const role of [{ kind: 'entry', side: 'short' }, { kind: 'target', index: 4 }, { kind: 'exit', code: 'KS' }, { kind: 'quote', side: 'buy', level: 2 }] as const) {
        const id = makeOrderLinkId('ps', symbol, role, 1763700000000);
        expect(id.length).toBeLessThanOrEqual(ORDER_LINK_ID_MAX);
        expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(parseOrderLinkId('ps', id)).toEqual({ role, stampMs: 1763700000000 });
      }
    }
  });
  it('recognises only the bot\'s own ids', () => {
    expect(isOwnOrderLinkId('ps', 'ps-BTCUSDT-EL-abc')).toBe(true);
    expect(isOwnOrderLinkId('ps', 'manual-order-1')).toBe(false);
    expect(isOwnOrderLinkId('ps', 'psx-BTCUSDT-EL-abc')).toBe(false);
    expect(parseOrderLinkId('ps', 'ps-BTCUSDT-ZZ-abc')).toBeNull();
  });
});
