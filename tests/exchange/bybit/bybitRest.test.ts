/**
 * The REST adapter with the real ccxt Bybit class against a loopback server that keeps Bybit's auth
 * rules (./fakeBybitRest.ts): where requests go, what they carry, how the clock signs them, and how
 * each kind of failure is handled. Wire samples follow the V5 docs' examples.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClockNotTrustedError, ExchangeError } from '../../../src/domain/exchangeErrors.js';
import { dec } from '../../../src/domain/money.js';
import type { OrderRequest } from '../../../src/engine/exchangePort.js';
import { BybitRest, type BybitRestOptions } from '../../../src/exchange/bybit/bybitRest.js';
import { bybitUrls } from '../../../src/exchange/bybit/bybitUrls.js';
import type { SigningClock } from '../../../src/exchange/bybit/signingClock.js';
import { fail, KEY, ok, SECRET, startFakeBybitRest, type FakeBybitRest } from './fakeBybitRest.js';
import { BTC_INSTRUMENT } from '../../badInput/corpus.js';

let server: FakeBybitRest;
let clients: BybitRest[] = [];

beforeEach(async () => {
  server = await startFakeBybitRest();
});
afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await server.close();
});

/** A clock with a settable offset; `remeasureNow` "measures" by adopting `measuredOffsetMs`. */
function testClock(offsetMs = 0) {
  const clock = {
    offsetMs,
    measuredOffsetMs: offsetMs,
    trusted: true,
    remeasures: 0,
    now: () => Date.now() + clock.offsetMs,
    isTrusted: () => clock.trusted,
    status: () => ({ trusted: clock.trusted, reasons: clock.trusted ? [] : [{ message: 'the clock has not been measured yet' }] }),
    remeasureNow: async () => {
      clock.remeasures++;
      clock.offsetMs = clock.measuredOffsetMs;
    },
  };
  return clock satisfies SigningClock;
}

function client(clock: SigningClock = testClock(), extra: Partial<BybitRestOptions> = {}) {
  const waits: number[] = [];
  const c = new BybitRest({
    urls: bybitUrls('mainnet', { restUrl: server.url }),
    credentials: { apiKey: KEY, apiSecret: SECRET },
    clock,
    retry: { baseMs: 1, maxMs: 4, minMs: 0 },
    sleep: async (ms) => {
      waits.push(ms);
      await new Promise((r) => setTimeout(r, Math.min(ms, 5)));
    },
    ...extra,
  });
  clients.push(c);
  return { c, waits };
}


function wireOrder(orderLinkId: string, orderId: string, status = 'New') {
  return {
    orderId,
    orderLinkId,
    symbol: 'BTCUSDT',
    side: 'Buy',
    orderType: 'Limit',
    price: '60000.0',
    qty: '0.001',
    timeInForce: 'PostOnly',
    orderStatus: status,
    rejectReason: 'EC_NoError',
    cumExecQty: '0.000',
    avgPrice: '',
    reduceOnly: false,
    takeProfit: '',
    stopLoss: '59000.0',
    createdTime: '1700000000000',
    updatedTime: '1700000000001',
  };
}

const ORDER: OrderRequest = {
  symbol: 'BTCUSDT',
  side: 'buy',
  type: 'limit',
  qty: dec('0.001'),
  price: dec('60000.0'),
  timeInForce: 'PostOnly',
  reduceOnly: false,
  orderLinkId: 'ps-test-1',
  stopLoss: dec('59000'),
  takeProfit: null,
};

/** An exchange-side order book of one order, answering create, realtime and history like Bybit. */
function orderDesk(opts: { createAnswer?: (n: number) => 'process-then-hang' | 'reject-503' | 'normal' } = {}) {
  const orders = new Map<string, ReturnType<typeof wireOrder>>();
  let creates = 0;
  server.route = (r) => {
    if (r.path === '/v5/order/create') {
      const mode = opts.createAnswer?.(++creates) ?? 'normal';
      if (mode === 'reject-503') return { status: 503, text: '<html><body>503 Service Temporarily Unavailable</body></html>' };
      const id = String(r.params['orderLinkId']);
      if (orders.has(id)) return fail(110072, 'OrderLinkedID is duplicate');
      orders.set(id, wireOrder(id, `oid-${orders.size + 1}`));
      return mode === 'process-then-hang' ? 'hang' : ok({ orderId: orders.get(id)!.orderId, orderLinkId: id });
    }
    if (r.path === '/v5/order/realtime' || r.path === '/v5/order/history') {
      const o = orders.get(String(r.params['orderLinkId']));
      return ok({ list: o && r.path === '/v5/order/realtime' ? [o] : [], nextPageCursor: '', category: 'linear' });
    }
    return undefined;
  };
  return { orders, creates: () => creates };
}

describe('BybitRest: endpoints and wire', () => {
  it('loads linear instrument rules as Decimal with one public call and nothing else', async () => {
    server.route = (r) => (r.path === '/v5/market/instruments-info' ? ok({ category: 'linear', list: [BTC_INSTRUMENT], nextPageCursor: '' }) : undefined);
    const { c } = client();
    const inst = (await c.loadInstruments(['BTCUSDT'])).get('BTCUSDT')!;
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v5/market/instruments-info']);
    expect(server.requests[0]!.params).toEqual({ category: 'linear', symbol: 'BTCUSDT' });
    expect([inst.tickSize, inst.qtyStep, inst.minQty, inst.maxQty, inst.maxMarketQty, inst.minNotional, inst.maxLeverage].map(String)).toEqual([
      '0.1', '0.001', '0.001', '1190', '119', '5', '100',
    ]);
  });

  it('sends an order with Decimal strings, positionIdx 0 and tpslMode Full', async () => {
    orderDesk();
    const { c } = client();
    expect(await c.placeOrder(ORDER)).toEqual({ status: 'placed', orderId: 'oid-1' });
    const body = JSON.parse(server.requests[0]!.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.001',
      price: '60000',
      timeInForce: 'PostOnly',
      orderLinkId: 'ps-test-1',
      reduceOnly: false,
      positionIdx: 0,
      tpslMode: 'Full',
      stopLoss: '59000',
    });
    expect(server.requests[0]!.headers['x-bapi-recv-window']).toBe('5000');
  });

  it('closes out the forming candle: a candle is returned only once a later one exists', async () => {
    const t0 = 1_700_000_040_000 - (1_700_000_040_000 % 60_000);
    // Newest first, the last row still forming (reference section 3).
    const rows = [3, 2, 1, 0].map((i) => [String(t0 + i * 60_000), '100', '101', '99', '100.5', '12', '1200']);
    server.route = (r) => (r.path === '/v5/market/kline' ? ok({ category: 'linear', symbol: 'BTCUSDT', list: rows.filter((row) => Number(row[0]) >= Number(r.params['start']) && Number(row[0]) <= Number(r.params['end'])) }) : undefined);
    const { c } = client();
    const got = await c.fetchCandles('BTCUSDT', 1, t0, 10);
    expect(got.map((k) => k.ts)).toEqual([t0, t0 + 60_000, t0 + 120_000]);
    expect(got[0]).toEqual({ ts: t0, open: 100, high: 101, low: 99, close: 100.5, volume: 12 });
    expect((await c.fetchCandles('BTCUSDT', 1, t0, 2)).map((k) => k.ts), 'a full page: all closed').toEqual([t0, t0 + 60_000]);
  });

  it('sets position protection with positionIdx and tpslMode as the docs require, and takes 110043 as success', async () => {
    server.route = (r) => (r.path === '/v5/position/set-leverage' ? fail(110043, 'Set leverage not modified') : undefined);
    const { c } = client();
    await c.setLeverage('BTCUSDT', dec('5'));
    await c.setTradingStop({ symbol: 'BTCUSDT', stopLoss: dec('59000.5'), trailingStop: dec('0') });
    expect(server.requests.map((r) => r.params)).toEqual([
      { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5' },
      { category: 'linear', symbol: 'BTCUSDT', positionIdx: 0, tpslMode: 'Full', stopLoss: '59000.5', trailingStop: '0' },
    ]);
  });
});

describe('BybitRest: the clock', () => {
  it('signs with the corrected clock: 3 s fast machine fails with 10002 uncorrected, succeeds corrected', async () => {
    server.offsetMs = -3000; // the exchange's clock is 3 s behind this machine
    const uncorrected = testClock(0);
    uncorrected.measuredOffsetMs = 0; // re-measuring finds nothing to fix
    const { c: bad } = client(uncorrected);
    const err = await bad.fetchBalance().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect((err as ExchangeError).retCode).toBe(10002);
    expect(uncorrected.remeasures, 'a 10002 triggers one re-measurement').toBe(1);
    const { c: good } = client(testClock(-3000));
    server.route = (r) => (r.path === '/v5/account/wallet-balance' ? ok({ list: [{ accountType: 'UNIFIED', totalEquity: '10000.5', totalWalletBalance: '10000', totalAvailableBalance: '9000.25' }] }) : undefined);
    expect((await good.fetchBalance()).available.toString()).toBe('9000.25');
  });

  it('re-measures on 10002 and the retried request succeeds', async () => {
    server.offsetMs = -3000;
    const clock = testClock(0);
    clock.measuredOffsetMs = -3000; // what a measurement against this exchange finds
    const { c } = client(clock);
    server.route = (r) => (r.path === '/v5/account/wallet-balance' ? ok({ list: [{ accountType: 'UNIFIED', totalEquity: '1', totalWalletBalance: '1', totalAvailableBalance: '1' }] }) : undefined);
    await c.fetchBalance();
    expect(clock.remeasures).toBe(1);
    expect(c.counters.clockRemeasures).toBe(1);
    expect(server.requests.length, 'one refused, one accepted').toBe(2);
  });

  it('refuses to sign while the clock is not trusted, and sends nothing', async () => {
    const clock = testClock(0);
    clock.trusted = false;
    const { c } = client(clock);
    await expect(c.fetchBalance()).rejects.toBeInstanceOf(ClockNotTrustedError);
    await expect(c.placeOrder(ORDER)).rejects.toThrow(/clock is not trusted.*not been measured/);
    expect(server.requests).toEqual([]);
  });
});

describe('BybitRest: failures', () => {
  it('waits for X-Bapi-Limit-Reset-Timestamp after a 10006, then succeeds', async () => {
    let n = 0;
    let resetAt = 0;
    server.route = (r) => {
      if (r.path !== '/v5/position/list') return undefined;
      if (++n === 1) {
        resetAt = server.serverNow() + 400;
        return fail(10006, 'Too many visits!', { 'X-Bapi-Limit-Status': '0', 'X-Bapi-Limit': '50', 'X-Bapi-Limit-Reset-Timestamp': String(resetAt) });
      }
      return ok({ list: [], nextPageCursor: '', category: 'linear' });
    };
    const { c, waits } = client();
    const positions = await c.fetchPositions(['BTCUSDT']);
    expect(positions[0]!.side, 'no entry: flat').toBeNull();
    expect(Math.max(...waits), 'waited until the reset time, not just the 1-4 ms backoff').toBeGreaterThan(300);
    expect(c.counters.rateLimited).toBe(1);
  });

  it('retries 5xx bursts, but never a rejection', async () => {
    let n = 0;
    server.route = (r) => {
      if (r.path === '/v5/order/cancel-all') return ++n <= 3 ? { status: 502, text: '<html>502 Bad Gateway</html>' } : ok({ list: [] });
      if (r.path === '/v5/order/amend') return fail(10001, 'params error: qty');
      return undefined;
    };
    const { c } = client();
    await c.cancelAllOrders('BTCUSDT');
    expect(n).toBe(4);
    const err = (await c.amendOrder({ symbol: 'BTCUSDT', orderLinkId: 'x', qty: dec('1') }).catch((e: unknown) => e)) as ExchangeError;
    expect([err.kind, err.retCode, err.retMsg]).toEqual(['rejected', 10001, 'params error: qty']);
    expect(server.requests.filter((r) => r.path === '/v5/order/amend')).toHaveLength(1);
  });

  it('never puts the API key or secret in an error, even when Bybit quotes them back', async () => {
    const { c } = client(testClock(), { credentials: { apiKey: KEY, apiSecret: 'wrong-secret-zzzzzz' } });
    const err = (await c.fetchBalance().catch((e: unknown) => e)) as ExchangeError;
    expect(err.kind).toBe('fatal');
    expect(err.retCode).toBe(10004);
    const text = `${err.message} ${err.retMsg} ${String(err.stack)}`;
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('wrong-secret-zzzzzz');
    expect(text).toContain('[REDACTED]');
  });
});

describe('BybitRest: idempotent orders', () => {
  it('a create that timed out after reaching the exchange is found by orderLinkId, not sent twice', async () => {
    const desk = orderDesk({ createAnswer: (n) => (n === 1 ? 'process-then-hang' : 'normal') });
    const { c } = client(testClock(), { requestTimeoutMs: 300 });
    expect(await c.placeOrder(ORDER)).toEqual({ status: 'duplicate', orderId: 'oid-1' });
    expect(desk.creates(), 'one create only').toBe(1);
    expect(desk.orders.size).toBe(1);
  });

  it('a duplicate-orderLinkId answer (110072) resolves to the order already placed', async () => {
    const desk = orderDesk();
    desk.orders.set('ps-test-1', wireOrder('ps-test-1', 'oid-earlier'));
    const { c } = client();
    expect(await c.placeOrder(ORDER)).toEqual({ status: 'duplicate', orderId: 'oid-earlier' });
    expect(c.counters.duplicatesResolved).toBe(1);
  });

  it('a 503 before the exchange took the order is retried and places exactly one order', async () => {
    const desk = orderDesk({ createAnswer: (n) => (n <= 2 ? 'reject-503' : 'normal') });
    const { c } = client();
    expect(await c.placeOrder(ORDER)).toEqual({ status: 'placed', orderId: 'oid-1' });
    expect(desk.creates()).toBe(3);
    expect(desk.orders.size).toBe(1);
  });

  it('refuses a bad orderLinkId before sending anything', async () => {
    const { c } = client();
    await expect(c.placeOrder({ ...ORDER, orderLinkId: 'has space' })).rejects.toThrow(/orderLinkId/);
    expect(server.requests).toEqual([]);
  });
});
