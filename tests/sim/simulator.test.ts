/**
 * The one simulator's fill rules (DESIGN section 5, issue 3) and its accounting invariant over a day
 * of real replayed candles.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCandleFile } from '../../src/domain/candleCsv.js';
import { Dec, ZERO, dec } from '../../src/domain/money.js';
import type { Candle } from '../../src/domain/types.js';
import { candlePath } from '../../src/sim/candlePath.js';
import { simInstrument } from '../../src/sim/instruments.js';
import { Prng } from '../../src/sim/prng.js';
import { Replay } from '../../src/sim/replay.js';
import { Simulator, type SimConfig } from '../../src/sim/simulator.js';
import type { SimEvent } from '../../src/sim/simTypes.js';
import { SyntheticBook } from '../../src/sim/syntheticBook.js';

const BTC_FILE = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const BTC = simInstrument('BTCUSDT');

function c(ts: number, open: number, high: number, low: number, close: number): Candle {
  return { ts: ts * 60_000, open, high, low, close, volume: 10 };
}

function sim(extra: SimConfig = {}): Simulator {
  const s = new Simulator({ instruments: [BTC], ...extra });
  s.setPrice('BTCUSDT', 100_000, 0);
  return s;
}

describe('instruments and path', () => {
  it('uses Bybit linear rules for BTCUSDT and derives rules for unlisted symbols', () => {
    expect(BTC.tickSize.toFixed()).toBe('0.1');
    expect(BTC.qtyStep.toFixed()).toBe('0.001');
    expect(BTC.minNotional.toFixed()).toBe('5');
    const sol = simInstrument('SOLUSDT', 150.25);
    expect(sol.tickSize.toFixed()).toBe('0.01');
    expect(sol.qtyStep.toFixed()).toBe('0.1');
  });

  it('walks open → nearer extreme → other extreme → close', () => {
    expect(candlePath(c(0, 100, 101, 90, 95)), 'high is nearer').toEqual([100, 101, 90, 95]);
    expect(candlePath(c(0, 100, 110, 99, 105)), 'low is nearer').toEqual([100, 99, 110, 105]);
    expect(candlePath(c(0, 100, 105, 95, 100)), 'a tie goes low first').toEqual([100, 95, 105, 100]);
  });

  it('derives a one-tick, never crossed, deterministic book', () => {
    const b = new SyntheticBook(BTC);
    const s1 = b.snapshot(106631.1, 1_748_538_300_000, 61.385, 50);
    expect(s1.bids[0]![0]).toBe('106631.1');
    expect(s1.asks[0]![0]).toBe('106631.2');
    expect(s1).toEqual(b.snapshot(106631.1, 1_748_538_300_000, 61.385, 50));
    expect(s1.bids.every(([, q]) => Number(q) >= 0.001)).toBe(true);
  });
});

describe('the touch by the tick test: the last trade sits on the side it took', () => {
  const postOnly = (s: Simulator, side: 'buy' | 'sell', price: string) => {
    const r = s.placeOrder({ symbol: 'BTCUSDT', side, orderType: 'limit', qty: dec('0.01'), price: dec(price), timeInForce: 'PostOnly' });
    if (!r.ok) throw new Error(r.msg);
    return r.value.status === 'Cancelled' ? r.value.rejectReason : r.value.status;
  };

  it('after a downtick the last price is the bid: a sell there crosses, a buy rests; after an uptick the other way round', () => {
    const s = sim({ marketFill: 'touch' });
    s.movePrice('BTCUSDT', 99_990, 1);
    expect(s.touch('BTCUSDT')).toEqual({ bid: 99_990, ask: 99_990.1 });
    expect(postOnly(s, 'sell', '99990')).toBe('EC_PostOnlyWillTakeLiquidity');
    expect(postOnly(s, 'buy', '99990')).toBe('New');
    s.cancelAll();
    s.movePrice('BTCUSDT', 100_010, 2);
    expect(s.touch('BTCUSDT')).toEqual({ bid: 100_009.9, ask: 100_010 });
    expect(postOnly(s, 'buy', '100010')).toBe('EC_PostOnlyWillTakeLiquidity');
    expect(postOnly(s, 'sell', '100010')).toBe('New');
    // A trade at the same price keeps the side; a market buy takes the ask, which is the last price now.
    s.movePrice('BTCUSDT', 100_010, 3);
    expect(s.touch('BTCUSDT').ask).toBe(100_010);
    s.cancelAll();
    const m = s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01') });
    expect(m.ok && m.value.avgPrice?.toFixed()).toBe('100010');
  });

  it('a whole candle played at once puts its close on the same side as its path played point by point', () => {
    const candles = readCandleFile(BTC_FILE).slice(0, 3000);
    const whole = sim();
    const stepped = sim();
    let ups = 0;
    for (const k of candles) {
      whole.stepCandle('BTCUSDT', k);
      stepped.beginCandle('BTCUSDT', k);
      candlePath(k).forEach((p, i) => stepped.movePrice('BTCUSDT', p, k.ts + i, i === 0));
      expect(whole.touch('BTCUSDT'), new Date(k.ts).toISOString()).toEqual(stepped.touch('BTCUSDT'));
      if (whole.touch('BTCUSDT').ask === k.close) ups++;
    }
    // Real closes took the ask about as often as the bid.
    expect(ups / candles.length).toBeGreaterThan(0.35);
    expect(ups / candles.length).toBeLessThan(0.65);
  });
});

describe('fill rules for the backtester (nextPrice mode)', () => {
  it('a market order after the close of candle t fills at the open of t+1, plus slippage', () => {
    const s = sim({ slippageBps: 10 });
    s.stepCandle('BTCUSDT', c(0, 100_000, 100_100, 99_900, 100_050));
    const r = s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01') });
    expect(r.ok && r.value.status).toBe('New');
    s.stepCandle('BTCUSDT', c(1, 100_200, 100_300, 100_150, 100_250));
    const [fill] = s.executions();
    // 100 200 × (1 + 0.001) = 100 300.2, rounded up to the tick.
    expect(fill!.execPrice.toFixed()).toBe('100300.2');
    expect(fill!.isMaker).toBe(false);
    expect(fill!.execFee.toFixed()).toBe(dec('100300.2').mul('0.01').mul('0.00055').toFixed());
  });

  it('a limit buy fills only when price trades strictly below it, at the limit, as maker', () => {
    const s = sim();
    s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.01'), price: dec('99000') });
    s.stepCandle('BTCUSDT', c(0, 100_000, 100_100, 99_000, 99_500));
    expect(s.executions().length, 'low equal to the limit is not a fill').toBe(0);
    s.stepCandle('BTCUSDT', c(1, 99_500, 99_600, 98_999.9, 99_100));
    const [fill] = s.executions();
    expect(fill!.execPrice.toFixed()).toBe('99000');
    expect(fill!.isMaker).toBe(true);
    expect(fill!.feeRate.toFixed()).toBe('0.0002');
  });

  it('when stop and target are both inside one candle, the stop is taken', () => {
    const s = sim({ marketFill: 'touch' });
    s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01'), stopLoss: dec('99000'), takeProfit: dec('101000') });
    expect(s.position('BTCUSDT').side).toBe('buy');
    // The path reaches the target first (high nearer the open), yet the stop is assumed first.
    s.stepCandle('BTCUSDT', c(1, 100_000, 101_500, 98_500, 100_000));
    const exits = s.executions().filter((e) => e.stopOrderType !== '');
    expect(exits.map((e) => e.stopOrderType)).toEqual(['StopLoss']);
    expect(exits[0]!.execPrice.toFixed()).toBe('99000');
    expect(s.position('BTCUSDT').side).toBe(null);
  });

  it('a stop gapped through fills at the worse open', () => {
    const s = sim({ marketFill: 'touch' });
    s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01'), stopLoss: dec('99000') });
    s.stepCandle('BTCUSDT', c(1, 98_000, 98_500, 97_900, 98_100));
    const exit = s.executions().find((e) => e.stopOrderType === 'StopLoss')!;
    expect(exit.execPrice.toFixed()).toBe('98000');
  });

  it('a trailing stop follows the best price and exits on the pull-back', () => {
    const s = sim({ marketFill: 'touch' });
    s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01') });
    const t = s.setTradingStop({ symbol: 'BTCUSDT', trailingStop: dec('500') });
    expect(t.ok).toBe(true);
    s.stepCandle('BTCUSDT', c(1, 100_000, 101_000, 99_950, 100_900));
    expect(s.position('BTCUSDT').side, 'the 50 dip is inside the 500 trail').toBe('buy');
    s.stepCandle('BTCUSDT', c(2, 100_900, 100_950, 100_200, 100_300));
    const exit = s.executions().find((e) => e.stopOrderType === 'TrailingStop')!;
    expect(exit.execPrice.toFixed(), 'peak 101 000 minus 500').toBe('100500');
  });

  it('PostOnly that would cross is cancelled with EC_PostOnlyWillTakeLiquidity; IOC not marketable is cancelled', () => {
    const s = sim();
    const p = s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.01'), price: dec('100100'), timeInForce: 'PostOnly' });
    expect(p.ok && [p.value.status, p.value.rejectReason]).toEqual(['Cancelled', 'EC_PostOnlyWillTakeLiquidity']);
    const i = s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.01'), price: dec('99000'), timeInForce: 'IOC' });
    expect(i.ok && i.value.status).toBe('Cancelled');
  });

  it('partial fills split a resting order over the segments that trade through it', () => {
    const s = sim({ partialFillRatio: 0.5 });
    s.placeOrder({ symbol: 'BTCUSDT', side: 'sell', orderType: 'limit', qty: dec('0.004'), price: dec('100500') });
    s.stepCandle('BTCUSDT', c(0, 100_000, 101_000, 99_000, 100_900));
    // Path 100 000 → 99 000 → 101 000 → 100 900: two segments trade above 100 500, each fills half of what is left.
    expect(s.executions().map((e) => e.execQty.toFixed())).toEqual(['0.002', '0.001']);
    expect(s.orders()[0]!.status).toBe('PartiallyFilled');
    expect(s.orders()[0]!.leavesQty.toFixed()).toBe('0.001');
  });

  it('reduce-only orders are capped at the position and refused when flat', () => {
    const s = sim({ marketFill: 'touch' });
    expect(s.placeOrder({ symbol: 'BTCUSDT', side: 'sell', orderType: 'market', qty: dec('0.01'), reduceOnly: true })).toMatchObject({ ok: false, code: 110017 });
    s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01') });
    s.placeOrder({ symbol: 'BTCUSDT', side: 'sell', orderType: 'market', qty: dec('0.05'), reduceOnly: true });
    expect(s.position('BTCUSDT').side).toBe(null);
    expect(s.executions()[1]!.execQty.toFixed()).toBe('0.01');
  });

  it('refuses orders below the minimum notional and beyond the balance', () => {
    const s = sim({ initialBalance: '100' });
    expect(s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.001'), price: dec('1000') })).toMatchObject({ ok: false, code: 110094 });
    expect(s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('1') })).toMatchObject({ ok: false, code: 110007 });
  });

  it('is deterministic: the same input gives the same ids and events', () => {
    const run = (): string[] => {
      const s = sim({ marketFill: 'touch', clock: () => 42 });
      const log: string[] = [];
      s.onEvent((e: SimEvent) => log.push(JSON.stringify(e)));
      s.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01') });
      s.placeOrder({ symbol: 'BTCUSDT', side: 'sell', orderType: 'limit', qty: dec('0.01'), price: dec('100500') });
      s.stepCandle('BTCUSDT', c(1, 100_000, 100_600, 99_900, 100_100));
      return log;
    };
    expect(run()).toEqual(run());
  });
});

describe('accounting invariant over a day of real candles', () => {
  it('wallet balance change = realised PnL − fees, for a random sequence of orders', () => {
    const candles = readCandleFile(BTC_FILE).slice(0, 1440 + 1);
    const s = new Simulator({ instruments: [BTC], marketFill: 'touch', seed: 3 });
    const replay = new Replay(s, [{ symbol: 'BTCUSDT', intervalMs: 60_000, candles }], { historyCandles: 1 });
    const rnd = new Prng(20240601);
    const start = s.wallet().walletBalance;
    let placed = 0;
    while (!replay.finished) {
      replay.step(1);
      if (rnd.next() < 0.06) {
        const last = s.lastPrice('BTCUSDT');
        const side = rnd.next() < 0.5 ? 'buy' : 'sell';
        const qty = dec((1 + Math.floor(rnd.next() * 20)) / 1000);
        const kind = rnd.next();
        const offset = Math.round(last * 0.002 * rnd.next() * 10) / 10;
        if (kind < 0.4) s.placeOrder({ symbol: 'BTCUSDT', side, orderType: 'market', qty });
        else if (kind < 0.8) {
          const px = Dec(side === 'buy' ? last - offset : last + offset).toDecimalPlaces(1);
          s.placeOrder({ symbol: 'BTCUSDT', side, orderType: 'limit', qty, price: px, timeInForce: rnd.next() < 0.3 ? 'PostOnly' : 'GTC' });
        } else if (s.position('BTCUSDT').side !== null) {
          const long = s.position('BTCUSDT').side === 'buy';
          const sl = Dec(long ? last * 0.997 : last * 1.003).toDecimalPlaces(1);
          const tp = Dec(long ? last * 1.003 : last * 0.997).toDecimalPlaces(1);
          s.setTradingStop({ symbol: 'BTCUSDT', stopLoss: sl, takeProfit: tp });
        } else s.cancelAll('BTCUSDT');
        placed++;
      }
    }
    const w = s.wallet();
    const execs = s.executions();
    expect(placed).toBeGreaterThan(100);
    expect(execs.length).toBeGreaterThan(50);
    expect(execs.some((e) => e.stopOrderType !== ''), 'some stops triggered').toBe(true);
    expect(execs.some((e) => e.isMaker), 'some limits filled').toBe(true);
    const realised = execs.reduce((a, e) => a.add(e.closedPnl), ZERO);
    const fees = execs.reduce((a, e) => a.add(e.execFee), ZERO);
    expect(w.walletBalance.sub(start).toFixed()).toBe(w.realisedPnl.sub(w.feesPaid).toFixed());
    expect(w.realisedPnl.toFixed()).toBe(realised.toFixed());
    expect(w.feesPaid.toFixed()).toBe(fees.toFixed());
    expect(realised.isZero()).toBe(false);
  });
});
