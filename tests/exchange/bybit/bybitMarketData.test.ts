/**
 * Market data over the request pipeline against the loopback Bybit: instrument rules and price
 * limits, and candles whose closedness is judged by a later row, not by our clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BybitMarketData } from '../../../src/exchange/bybit/bybitMarketData.js';
import { BTC_INSTRUMENT, STEP, SYMBOL, T0 } from '../../badInput/corpus.js';
import { ok, startFakeBybitRest, type FakeBybitRest, type FakeRequest } from './fakeBybitRest.js';
import { restHarness } from './restHarness.js';

let server: FakeBybitRest;
beforeEach(async () => {
  server = await startFakeBybitRest();
});
afterEach(async () => {
  await server.close();
});

/** Kline rows newest first, as Bybit sends them, for candles [first, last] within the request. */
function klines(r: FakeRequest, lastIndex: number) {
  const start = Number(r.params['start']);
  const end = Number(r.params['end']);
  const rows: string[][] = [];
  for (let i = lastIndex; i >= 0; i--) {
    const ts = T0 + i * STEP;
    if (ts >= start && ts <= end) rows.push([String(ts), '100', '101', '99', '100.5', '10', '1000']);
  }
  return ok({ category: 'linear', symbol: SYMBOL, list: rows.slice(0, Number(r.params['limit'])) });
}

describe('BybitMarketData', () => {
  it('loads instrument rules and price limits, and reloads them on refresh', async () => {
    const { rest } = restHarness(server);
    const market = new BybitMarketData(rest);
    server.route = (r) => (r.path === '/v5/market/instruments-info' ? ok({ category: 'linear', list: [BTC_INSTRUMENT], nextPageCursor: '' }) : undefined);
    const loaded = await market.loadInstruments([SYMBOL]);
    expect(loaded.get(SYMBOL)?.tickSize.toString()).toBe('0.1');
    expect(market.instruments.has(SYMBOL)).toBe(true);
    expect(market.priceBand(SYMBOL)).toEqual({ min: 0.1, max: 199999.8 });
    await market.refreshInstruments();
    expect(server.requests.map((r) => r.params['symbol'])).toEqual([SYMBOL, SYMBOL]);
  });

  it('refuses a symbol Bybit does not list', async () => {
    const { rest } = restHarness(server);
    server.route = () => ok({ category: 'linear', list: [], nextPageCursor: '' });
    await expect(new BybitMarketData(rest).loadInstruments(['NOPEUSDT'])).rejects.toMatchObject({ kind: 'fatal', message: 'Bybit lists no linear instrument NOPEUSDT' });
  });

  it('returns closed candles only: the newest row of an answer that reached the present is left out', async () => {
    const { rest } = restHarness(server);
    server.route = (r) => klines(r, 4);
    const candles = await new BybitMarketData(rest).fetchCandles(SYMBOL, 1, T0, 10);
    expect(candles.map((c) => (c.ts - T0) / STEP), 'candle 4 is still forming').toEqual([0, 1, 2, 3]);
  });

  it('returns every candle of a closed range, oldest first', async () => {
    const { rest } = restHarness(server);
    server.route = (r) => klines(r, 9);
    const candles = await new BybitMarketData(rest).fetchCandlesBetween(SYMBOL, 1, T0 + 2 * STEP, T0 + 5 * STEP);
    expect(candles.map((c) => (c.ts - T0) / STEP)).toEqual([2, 3, 4, 5]);
  });
});
