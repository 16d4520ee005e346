import { describe, expect, it } from 'vitest';
import { readCandleFile } from '../../src/domain/candleCsv.js';
import { ExchangeError } from '../../src/domain/exchangeErrors.js';
import { dec } from '../../src/domain/money.js';
import type { Fill, Order, Position } from '../../src/domain/types.js';
import type { OrderRequest } from '../../src/engine/exchangePort.js';
import { simInstrument } from '../../src/sim/instruments.js';
import { SimExchange } from '../../src/sim/simExchange.js';
import { Simulator } from '../../src/sim/simulator.js';

// Real Bybit BTCUSDT 1m candles (data/SOURCES.md).
const CANDLES = readCandleFile(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url).pathname).slice(0, 120);

function setup() {
  const sim = new Simulator({ instruments: [simInstrument('BTCUSDT')], initialBalance: '1000', defaultLeverage: '5' });
  const ex = new SimExchange(sim);
  const seen = { orders: [] as Order[], fills: [] as Fill[], positions: [] as Position[], candles: 0 };
  void ex.subscribe([{ symbol: 'BTCUSDT', intervalMinutes: 1, book: false }], {
    onOrder: (o) => seen.orders.push(o),
    onFill: (f) => seen.fills.push(f),
    onPosition: (p) => seen.positions.push(p),
    onCandle: () => seen.candles++,
  });
  return { sim, ex, seen };
}

const entry = (over: Partial<OrderRequest> = {}): OrderRequest => ({
  symbol: 'BTCUSDT', side: 'buy', type: 'market', qty: dec('0.005'), price: null, timeInForce: 'IOC', reduceOnly: false,
  orderLinkId: 'ps-BTCUSDT-EL-test1', stopLoss: dec('105000'), takeProfit: null, ...over,
});

describe('SimExchange (the ExchangePort of paper mode and the backtester)', () => {
  it('fills a market entry at the next price, attaches its stop, and reports it through the port events', async () => {
    const { ex, seen } = setup();
    ex.feedCandle('BTCUSDT', 1, CANDLES[0]!);
    expect(await ex.placeOrder(entry())).toMatchObject({ status: 'placed' });
    ex.feedCandle('BTCUSDT', 1, CANDLES[1]!);
    expect(seen.candles).toBe(2);
    // DESIGN section 5: a decision at the close of candle t fills at the open of candle t+1.
    expect(seen.fills).toHaveLength(1);
    expect(seen.fills[0]!.price.toNumber()).toBe(CANDLES[1]!.open);
    const [pos] = await ex.fetchPositions(['BTCUSDT']);
    expect([pos!.side, pos!.size.toFixed(), pos!.stopLoss?.toFixed()]).toEqual(['long', '0.005', '105000']);
    expect(seen.orders.at(-1)?.status).toBe('filled');
  });

  it('answers fetchCandles from its history source when it has one, else from the candles fed (the newest kept)', async () => {
    const sim = new Simulator({ instruments: [simInstrument('BTCUSDT')] });
    const history = CANDLES.slice(0, 10);
    const withHistory = new SimExchange(sim, { history: async (_s, _i, since, limit) => history.filter((c) => c.ts >= since).slice(0, limit), keepCandles: 3 });
    const without = new SimExchange(new Simulator({ instruments: [simInstrument('BTCUSDT')] }), { keepCandles: 3 });
    for (const c of CANDLES.slice(10, 20)) {
      withHistory.feedCandle('BTCUSDT', 1, c);
      without.feedCandle('BTCUSDT', 1, c);
    }
    expect(await withHistory.fetchCandles('BTCUSDT', 1, 0, 100)).toEqual(history);
    expect(await without.fetchCandles('BTCUSDT', 1, 0, 100)).toEqual(CANDLES.slice(17, 20));
  });

  it('is idempotent by orderLinkId: a retried entry returns the first order, never a second one', async () => {
    const { ex } = setup();
    ex.feedCandle('BTCUSDT', 1, CANDLES[0]!);
    const first = await ex.placeOrder(entry());
    const again = await ex.placeOrder(entry());
    expect(again).toEqual({ status: 'duplicate', orderId: first.orderId });
    ex.feedCandle('BTCUSDT', 1, CANDLES[1]!);
    expect((await ex.fetchPositions(['BTCUSDT']))[0]!.size.toFixed()).toBe('0.005');
  });

  it('refuses what Bybit would refuse, with its retCode, as a rejected ExchangeError', async () => {
    const { ex } = setup();
    ex.feedCandle('BTCUSDT', 1, CANDLES[0]!);
    const tiny = ex.placeOrder(entry({ orderLinkId: 'ps-x-1', qty: dec('0.0001') }));
    await expect(tiny).rejects.toBeInstanceOf(ExchangeError);
    await expect(ex.placeOrder(entry({ orderLinkId: 'ps-x-2', qty: dec('50') }))).rejects.toMatchObject({ kind: 'rejected', retCode: 110007 });
    await expect(ex.placeOrder(entry({ orderLinkId: 'ps-x-3', side: 'sell', reduceOnly: true }))).rejects.toMatchObject({ retCode: 110017 });
  });

  it('fills a resting reduce-only target when the candle path trades through it, and cancelling a gone order says false', async () => {
    const { ex, seen } = setup();
    ex.feedCandle('BTCUSDT', 1, CANDLES[0]!);
    await ex.placeOrder(entry());
    ex.feedCandle('BTCUSDT', 1, CANDLES[1]!);
    // A target just below the next candle's high: strictly traded through, so it fills.
    const c = CANDLES[2]!;
    const target = dec(c.high).minus('0.5');
    await ex.placeOrder(entry({ orderLinkId: 'ps-BTCUSDT-T1-test1', side: 'sell', type: 'limit', price: target, timeInForce: 'GTC', reduceOnly: true, stopLoss: null }));
    expect(await ex.fetchOpenOrders('BTCUSDT')).toHaveLength(1);
    ex.feedCandle('BTCUSDT', 1, c);
    expect(seen.fills.at(-1)).toMatchObject({ orderLinkId: 'ps-BTCUSDT-T1-test1', isMaker: true });
    expect((await ex.fetchPositions(['BTCUSDT']))[0]!.side).toBeNull();
    expect(await ex.cancelOrder('BTCUSDT', 'ps-BTCUSDT-T1-test1')).toBe(false);
  });

  it('moves the position stop with trading-stop, and treats "leverage not modified" as success', async () => {
    const { ex } = setup();
    ex.feedCandle('BTCUSDT', 1, CANDLES[0]!);
    await ex.placeOrder(entry());
    ex.feedCandle('BTCUSDT', 1, CANDLES[1]!);
    await ex.setTradingStop({ symbol: 'BTCUSDT', stopLoss: dec('106000') });
    expect((await ex.fetchPositions(['BTCUSDT']))[0]!.stopLoss?.toFixed()).toBe('106000');
    await ex.setLeverage('BTCUSDT', dec('5'));
    await ex.setLeverage('BTCUSDT', dec('5'));
    const balance = await ex.fetchBalance();
    expect(balance.equity.lt(dec('1000')), 'taker fee paid on entry').toBe(true);
  });
});
