/**
 * The sandbox driven by the real, unmodified ccxt Bybit class with its URLs pointed at loopback
 * (issue 3, "Done when"). Every answer here went through ccxt's own parsing and error mapping.
 */
import { fileURLToPath } from 'node:url';
import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, type Sandbox, startSandbox } from '../../src/sandbox/startSandbox.js';

const BTC = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const ETH = fileURLToPath(new URL('../../data/bybit-ETHUSDT-1m.csv.gz', import.meta.url));

type Bybit = InstanceType<typeof ccxt.bybit>;

function client(sb: Sandbox, secret = DEFAULT_API_SECRET): Bybit {
  const ex = new ccxt.bybit({
    apiKey: DEFAULT_API_KEY,
    secret,
    enableRateLimit: false,
    options: { adjustForTimeDifference: false, fetchMarkets: { types: ['linear'] }, enableUnifiedAccount: true, enableUnifiedMargin: false, defaultType: 'swap' },
    has: { fetchCurrencies: false },
  });
  const api = ex.urls['api'] as Record<string, string>;
  for (const k of Object.keys(api)) if (typeof api[k] === 'string') api[k] = sb.restUrl;
  return ex;
}

let sb: Sandbox;
let ex: Bybit;

beforeAll(async () => {
  sb = await startSandbox({ data: [BTC, ETH], rateLimits: false });
  ex = client(sb);
  await ex.loadMarkets();
});

afterAll(async () => {
  await sb.close();
});

describe('ccxt against the sandbox: market data', () => {
  it('loads the linear markets with Bybit trading rules', () => {
    const m = ex.market('BTC/USDT:USDT');
    expect(m.id).toBe('BTCUSDT');
    expect(m.precision.price, 'BTCUSDT tick size on Bybit').toBe(0.1);
    expect(m.precision.amount).toBe(0.001);
    expect(m.limits.cost?.min, 'minNotionalValue').toBe(5);
    expect(ex.market('ETH/USDT:USDT').precision.amount).toBe(0.01);
  });

  it('fetchTime returns the sandbox clock', async () => {
    const t = await ex.fetchTime();
    expect(Math.abs((t ?? 0) - Date.now())).toBeLessThan(2000);
  });

  it('fetchOHLCV returns ascending 1m candles equal to the file', async () => {
    const rows = await ex.fetchOHLCV('BTC/USDT:USDT', '1m', undefined, 50);
    expect(rows.length).toBe(50);
    for (let i = 1; i < rows.length; i++) expect(rows[i]![0]! - rows[i - 1]![0]!).toBe(60_000);
    const closed = sb.confirmedCandles('BTCUSDT');
    const last = closed[closed.length - 1]!;
    expect(rows[rows.length - 1]).toEqual([last.ts, last.open, last.high, last.low, last.close, last.volume]);
  });

  it('fetchOrderBook is not crossed and its top is one tick wide', async () => {
    const b = await ex.fetchOrderBook('BTC/USDT:USDT', 50);
    expect(b.bids.length).toBe(50);
    expect(b.asks.length).toBe(50);
    const bid = b.bids[0]![0]!;
    const ask = b.asks[0]![0]!;
    expect(bid).toBeLessThan(ask);
    expect(Math.round((ask - bid) * 10)).toBe(1);
  });

  it('fetchTicker shows the replay price', async () => {
    const t = await ex.fetchTicker('BTC/USDT:USDT');
    expect(t.last).toBe(sb.sim.lastPrice('BTCUSDT'));
    expect(t.bid).toBeLessThan(t.ask!);
  });
});

describe('ccxt against the sandbox: account and orders', () => {
  it('fetchBalance shows the USDT wallet', async () => {
    const b = await ex.fetchBalance();
    expect(b['USDT']?.total).toBe(10000);
  });

  it('setLeverage succeeds, then answers 110043 on a repeat', async () => {
    const r = (await ex.setLeverage(5, 'BTC/USDT:USDT')) as { retCode: number };
    expect(r.retCode).toBe(0);
    await expect(ex.setLeverage(5, 'BTC/USDT:USDT')).rejects.toThrow(/110043/);
  });

  it('a market buy with stop loss and take profit opens a position with both visible', async () => {
    const last = sb.sim.lastPrice('BTCUSDT');
    const sl = Math.round((last * 0.98) * 10) / 10;
    const tp = Math.round((last * 1.02) * 10) / 10;
    const o = await ex.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.01, undefined, { stopLoss: { triggerPrice: sl }, takeProfit: { triggerPrice: tp } });
    expect(o.id).toMatch(/^[0-9a-f-]{36}$/);
    const [pos] = await ex.fetchPositions(['BTC/USDT:USDT']);
    expect(pos?.side).toBe('long');
    expect(pos?.contracts).toBe(0.01);
    expect(pos?.stopLossPrice).toBe(sl);
    expect(pos?.takeProfitPrice).toBe(tp);
  });

  it('a reduce-only market sell closes the position', async () => {
    await ex.createOrder('BTC/USDT:USDT', 'market', 'sell', 0.01, undefined, { reduceOnly: true });
    const positions = await ex.fetchPositions(['BTC/USDT:USDT']);
    expect(positions.length === 0 || positions[0]!.contracts === 0 || positions[0]!.contracts === undefined).toBe(true);
    await expect(ex.createOrder('BTC/USDT:USDT', 'market', 'sell', 0.01, undefined, { reduceOnly: true }), 'nothing left to reduce').rejects.toThrow(/110017/);
  });

  it('a limit order rests, is amended, listed and cancelled', async () => {
    const last = sb.sim.lastPrice('BTCUSDT');
    const price = Math.round(last * 0.95 * 10) / 10;
    const o = await ex.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.002, price, { clientOrderId: 'ccxt-limit-1' });
    const id = String(o.id);
    let open = await ex.fetchOpenOrders('BTC/USDT:USDT');
    expect(open.map((x) => x.id)).toContain(o.id);
    await ex.editOrder(id, 'BTC/USDT:USDT', 'limit', 'buy', 0.003, price - 10);
    open = await ex.fetchOpenOrders('BTC/USDT:USDT');
    const edited = open.find((x) => x.id === o.id)!;
    expect(edited.amount).toBe(0.003);
    expect(edited.price).toBeCloseTo(price - 10, 6);
    expect(edited.clientOrderId).toBe('ccxt-limit-1');
    await ex.cancelOrder(id, 'BTC/USDT:USDT');
    open = await ex.fetchOpenOrders('BTC/USDT:USDT');
    expect(open.find((x) => x.id === o.id)).toBeUndefined();
    await expect(ex.cancelOrder(id, 'BTC/USDT:USDT'), 'already cancelled').rejects.toThrow(ccxt.OrderNotFound);
  });

  it('cancelAllOrders cancels every open order of the symbol', async () => {
    const last = sb.sim.lastPrice('ETHUSDT');
    await ex.createOrder('ETH/USDT:USDT', 'limit', 'buy', 0.1, Math.round(last * 0.9 * 100) / 100);
    await ex.createOrder('ETH/USDT:USDT', 'limit', 'sell', 0.1, Math.round(last * 1.1 * 100) / 100);
    expect((await ex.fetchOpenOrders('ETH/USDT:USDT')).length).toBe(2);
    await ex.cancelAllOrders('ETH/USDT:USDT');
    expect((await ex.fetchOpenOrders('ETH/USDT:USDT')).length).toBe(0);
  });

  it('a crossing post-only order is accepted, then Cancelled with EC_PostOnlyWillTakeLiquidity', async () => {
    const ask = sb.sim.touch('BTCUSDT').ask;
    const o = await ex.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.001, ask + 100, { postOnly: true });
    const [closed] = await ex.fetchCanceledAndClosedOrders('BTC/USDT:USDT', undefined, undefined, { orderId: o.id });
    expect(closed?.status).toBe('canceled');
    expect((closed?.info as Record<string, string>)['rejectReason']).toBe('EC_PostOnlyWillTakeLiquidity');
  });

  it('an order below the minimum notional (5 USDT) is refused with InvalidOrder (110094)', async () => {
    // 0.01 ETH at 100 USDT is 1 USDT of notional.
    await expect(ex.createOrder('ETH/USDT:USDT', 'limit', 'buy', 0.01, 100)).rejects.toThrow(/110094/);
  });

  it('execution/list and order/history show the fills of the session', async () => {
    const trades = await ex.fetchMyTrades('BTC/USDT:USDT');
    expect(trades.length, 'the market buy and the reduce-only sell').toBeGreaterThanOrEqual(2);
    for (const t of trades) expect(t.fee?.cost).toBeGreaterThan(0);
  });
});

describe('ccxt against the sandbox: authentication', () => {
  it('a wrong secret raises AuthenticationError (10004)', async () => {
    const bad = client(sb, 'not-the-secret');
    bad.markets = ex.markets;
    bad.marketsById = ex.marketsById;
    await expect(bad.fetchBalance()).rejects.toThrow(ccxt.AuthenticationError);
  });

  it('a timestamp 20 s old or 3 s ahead raises InvalidNonce (10002)', async () => {
    for (const diff of [20_000, -3_000]) {
      const skewed = client(sb);
      skewed.markets = ex.markets;
      skewed.marketsById = ex.marketsById;
      skewed.options['timeDifference'] = diff;
      await expect(skewed.fetchBalance(), `timeDifference ${diff}`).rejects.toThrow(ccxt.InvalidNonce);
    }
  });
});
