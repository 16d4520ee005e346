import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { Instrument } from '../../src/domain/types.js';
import { breakevenStop, improvesStop, ladderOrders, timeExitDue, trailingStop } from '../../src/engine/positionPlan.js';

// Bybit's published trading rules for linear BTCUSDT (instruments-info).
const BTC: Instrument = {
  symbol: 'BTCUSDT', baseCoin: 'BTC', quoteCoin: 'USDT', tickSize: dec('0.1'), qtyStep: dec('0.001'), minQty: dec('0.001'),
  maxQty: dec('1190'), maxMarketQty: dec('119'), minNotional: dec('5'), maxLeverage: dec('100'),
};
const PRICES = ['106853.5', '107040.3', '107227', '107413.8'].map(dec);

describe('ladderOrders', () => {
  it('sizes the ladder on what filled and places reduce-only limits that add up to the position', () => {
    // A 0.032 BTC entry that filled only 0.021: 0.6 × 0.021 = 0.0126 → 0.012; 0.15 × 0.021 = 0.00315 → 0.003 (twice); rest 0.003.
    const orders = ladderOrders({ symbol: 'BTCUSDT', side: 'long', filledQty: dec('0.021'), prices: PRICES, fractions: [0.6, 0.15, 0.15, 0.1], instrument: BTC, prefix: 'ps', entryStampMs: 1748538540000 });
    expect(orders.map((o) => [o.orderLinkId.split('-')[2], o.price?.toFixed(), o.qty.toFixed()])).toEqual([
      ['T1', '106853.5', '0.012'],
      ['T2', '107040.3', '0.003'],
      ['T3', '107227', '0.003'],
      ['T4', '107413.8', '0.003'],
    ]);
    expect(orders.every((o) => o.reduceOnly && o.side === 'sell' && o.type === 'limit' && o.timeInForce === 'GTC')).toBe(true);
    expect(orders.reduce((s, o) => s.plus(o.qty), dec(0)).toFixed()).toBe('0.021');
  });

  it('merges slices below the exchange minimum into the next target', () => {
    // 0.003 filled: 0.15 × 0.003 = 0.00045 → 0 → carried; T1 gets 0.001 (0.0018 → 0.001), T4 the rest.
    const orders = ladderOrders({ symbol: 'BTCUSDT', side: 'long', filledQty: dec('0.003'), prices: PRICES, fractions: [0.6, 0.15, 0.15, 0.1], instrument: BTC, prefix: 'ps', entryStampMs: 1 });
    expect(orders.map((o) => [o.orderLinkId.split('-')[2], o.qty.toFixed()])).toEqual([
      ['T1', '0.001'],
      ['T4', '0.002'],
    ]);
  });

  it('does not place targets again that already filled (after a restart), with the same ids', () => {
    const args = { symbol: 'BTCUSDT', side: 'short' as const, filledQty: dec('0.032'), prices: PRICES, fractions: [0.6, 0.15, 0.15, 0.1], instrument: BTC, prefix: 'ps', entryStampMs: 7 };
    const all = ladderOrders(args);
    const rest = ladderOrders({ ...args, filledTargets: [1] });
    expect(rest.map((o) => o.orderLinkId)).toEqual(all.slice(1).map((o) => o.orderLinkId));
    expect(rest.every((o) => o.side === 'buy')).toBe(true);
  });
});

describe('stops', () => {
  it('puts the breakeven stop beyond the entry by the fee buffer, on the safe side of the tick', () => {
    // 106666.8 × 0.11 % = 117.33348 → 106784.13348 → up to the tick: 106784.2 (long); 106549.46652 → down: 106549.4 (short).
    expect(breakevenStop('long', dec('106666.8'), 0.11, BTC).toFixed()).toBe('106784.2');
    expect(breakevenStop('short', dec('106666.8'), 0.11, BTC).toFixed()).toBe('106549.4');
  });
  it('never moves a stop backwards', () => {
    expect(improvesStop('long', dec('106480'), dec('106784.2'))).toBe(true);
    expect(improvesStop('long', dec('106800'), dec('106784.2'))).toBe(false);
    expect(improvesStop('short', dec('106900'), dec('106549.4'))).toBe(true);
    expect(improvesStop('short', null, dec('1'))).toBe(true);
  });
  it('activates the trailing stop at activationR × risk and trails by a share of the entry', () => {
    // R = 106666.8 − 106480 = 186.8; 2R = 373.6 → active at 107040.4; distance 0.5 % of 106666.8 = 533.334 → 533.3.
    expect(trailingStop({ symbol: 'BTCUSDT', side: 'long', entryPrice: dec('106666.8'), initialStop: dec('106480'), activationR: 2, distancePct: 0.5, instrument: BTC })).toEqual({
      symbol: 'BTCUSDT', trailingStop: dec('533.3'), activePrice: dec('107040.4'),
    });
  });
  it('is due for a time exit after the configured number of candles', () => {
    expect(timeExitDue(0, 59 * 60_000, 1, 60)).toBe(false);
    expect(timeExitDue(0, 60 * 60_000, 1, 60)).toBe(true);
    expect(timeExitDue(0, 10 ** 12, 1, 0), '0 = never').toBe(false);
  });
});
