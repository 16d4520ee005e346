/** The public market endpoints over HTTP, as a client without keys sees them. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/startSandbox.js';

const BTC = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const ETH = fileURLToPath(new URL('../../data/bybit-ETHUSDT-1m.csv.gz', import.meta.url));
const BTC5 = fileURLToPath(new URL('../../data/bybit-BTCUSDT-5m.csv.gz', import.meta.url));

interface Envelope {
  retCode: number;
  retMsg: string;
  result: Record<string, unknown>;
  time: number;
}

let sb: Sandbox;
const frozenMs = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

async function get(path: string, query: string, base = sb.restUrl): Promise<Envelope> {
  const res = await fetch(`${base}${path}${query ? '?' + query : ''}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Envelope;
}

beforeAll(async () => {
  sb = await startSandbox({ data: [BTC, ETH], baseClock: () => frozenMs });
  sb.advanceCandles(3);
});

afterAll(async () => {
  await sb.close();
});

describe('market time and instruments', () => {
  it('market/time is the sandbox clock in seconds and nanoseconds', async () => {
    const r = await get('/v5/market/time', '');
    expect(r.result).toEqual({ timeSecond: String(Math.floor(frozenMs / 1000)), timeNano: `${frozenMs}000000` });
    expect(r.time).toBe(frozenMs);
  });

  it('instruments-info pages through every replayed symbol, filters by symbol and base coin', async () => {
    const first = await get('/v5/market/instruments-info', 'category=linear&limit=1');
    const firstList = first.result['list'] as Array<{ symbol: string }>;
    expect(firstList.map((i) => i.symbol)).toEqual(['BTCUSDT']);
    expect(first.result['nextPageCursor']).toBe('p1');
    const second = await get('/v5/market/instruments-info', `category=linear&limit=1&cursor=${String(first.result['nextPageCursor'])}`);
    expect((second.result['list'] as Array<{ symbol: string }>).map((i) => i.symbol)).toEqual(['ETHUSDT']);
    expect(second.result['nextPageCursor']).toBe('');
    const eth = await get('/v5/market/instruments-info', 'category=linear&baseCoin=ETH');
    expect((eth.result['list'] as Array<{ symbol: string; priceFilter: { tickSize: string } }>).map((i) => [i.symbol, i.priceFilter.tickSize])).toEqual([['ETHUSDT', '0.01']]);
  });

  it('instruments-info: other categories list nothing; a missing or unknown one is refused', async () => {
    expect((await get('/v5/market/instruments-info', 'category=spot')).result['list']).toEqual([]);
    expect(await get('/v5/market/instruments-info', '')).toMatchObject({ retCode: 10001, retMsg: 'params error: category is empty' });
    expect(await get('/v5/market/instruments-info', 'category=futures')).toMatchObject({ retCode: 10001, retMsg: 'Illegal category' });
  });

  it('a known path with the wrong method is not found, as on Bybit', async () => {
    const res = await fetch(`${sb.restUrl}/v5/market/time`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('404 page not found');
  });
});

describe('klines', () => {
  it('lists newest first; with only `start` it takes the candles right after it', async () => {
    const closed = sb.confirmedCandles('BTCUSDT');
    const newest = await get('/v5/market/kline', 'category=linear&symbol=BTCUSDT&interval=1&limit=3');
    const rows = newest.result['list'] as string[][];
    expect(rows.length).toBe(3);
    expect(Number(rows[0]![0]) > Number(rows[1]![0]), 'newest first').toBe(true);
    const from = closed[10]!.ts;
    const after = await get('/v5/market/kline', `symbol=BTCUSDT&interval=1&start=${from}&limit=2`);
    expect((after.result['list'] as string[][]).map((r) => Number(r[0]))).toEqual([closed[11]!.ts, closed[10]!.ts]);
    const upTo = await get('/v5/market/kline', `symbol=BTCUSDT&interval=1&end=${from}&limit=2`);
    expect((upTo.result['list'] as string[][]).map((r) => Number(r[0]))).toEqual([closed[10]!.ts, closed[9]!.ts]);
  });

  it('builds longer intervals from the file, refuses shorter ones with the reason', async () => {
    const five = await get('/v5/market/kline', 'symbol=BTCUSDT&interval=5&limit=2');
    for (const row of five.result['list'] as string[][]) expect(Number(row[0]) % 300_000, '5m buckets').toBe(0);
    const sb5 = await startSandbox({ data: [BTC5] });
    try {
      const r = await get('/v5/market/kline', 'symbol=BTCUSDT&interval=1', sb5.restUrl);
      expect(r).toMatchObject({ retCode: 10001, retMsg: 'Invalid period! the sandbox builds klines from 5m data' });
    } finally {
      await sb5.close();
    }
    expect(await get('/v5/market/kline', 'symbol=BTCUSDT&interval=7')).toMatchObject({ retCode: 10001, retMsg: 'Invalid period!' });
    expect(await get('/v5/market/kline', 'symbol=DOGEUSDT&interval=1')).toMatchObject({ retCode: 10001, retMsg: 'Not supported symbols' });
  });
});

describe('order book and tickers', () => {
  it('orderbook answers the asked depth with the sandbox time, and needs the linear category', async () => {
    const r = await get('/v5/market/orderbook', 'category=linear&symbol=ETHUSDT&limit=3');
    expect(r.result).toMatchObject({ s: 'ETHUSDT', ts: frozenMs });
    expect((r.result['b'] as unknown[]).length).toBe(3);
    expect((r.result['a'] as unknown[]).length).toBe(3);
    expect(await get('/v5/market/orderbook', 'symbol=ETHUSDT')).toMatchObject({ retCode: 10001 });
    expect(await get('/v5/market/orderbook', 'category=linear&symbol=DOGEUSDT')).toMatchObject({ retCode: 10001, retMsg: 'Not supported symbols' });
  });

  it('tickers lists every symbol, or the one asked for', async () => {
    const all = await get('/v5/market/tickers', 'category=linear');
    expect((all.result['list'] as Array<{ symbol: string }>).map((t) => t.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    const one = await get('/v5/market/tickers', 'category=linear&symbol=ETHUSDT');
    expect((one.result['list'] as Array<{ lastPrice: string }>)[0]!.lastPrice).toBe(String(sb.sim.lastPrice('ETHUSDT')));
    expect(await get('/v5/market/tickers', 'category=linear&symbol=DOGEUSDT')).toMatchObject({ retCode: 10001, retMsg: 'Not supported symbols' });
  });
});
