/**
 * Contract suite, REST (issue 20): every recorded real Bybit V5 answer of an endpoint the adapter
 * uses goes, as recorded, through the real adapter (BybitRest with ccxt, signing and the request
 * pipeline; doctor's key check; the server-time reader) from a loopback server that returns it, and
 * the domain result is asserted. Error answers keep their exact retCode and retMsg.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import { ExchangeError } from '../../src/domain/exchangeErrors.js';
import { BybitRest } from '../../src/exchange/bybit/bybitRest.js';
import { bybitUrls } from '../../src/exchange/bybit/bybitUrls.js';
import { fetchMarkPrice } from '../../src/exchange/bybit/markPrice.js';
import { fetchBybitServerTime } from '../../src/exchange/bybit/serverTime.js';
import { fixedSigningClock, type SigningClock } from '../../src/exchange/bybit/signingClock.js';
import { apiKeyChecks } from '../../src/cli/doctorKey.js';
import { accountModeChecks } from '../../src/cli/doctorAccount.js';
import { KEY, SECRET, startFakeBybitRest, type FakeBybitRest } from '../exchange/bybit/fakeBybitRest.js';
import { body, recorded, type RecordedEntry } from './recorded.js';

let server: FakeBybitRest;
beforeEach(async () => {
  server = await startFakeBybitRest();
});
afterEach(async () => {
  await server.close();
});

let remeasures = 0;
function adapter(): BybitRest {
  const clock: SigningClock = { ...fixedSigningClock(), remeasureNow: async () => void remeasures++ };
  return new BybitRest({
    urls: bybitUrls('mainnet', { restUrl: server.url }),
    credentials: { apiKey: KEY, apiSecret: SECRET },
    clock,
    retry: { baseMs: 1, maxMs: 2, minMs: 0, attempts: 2 },
    sleep: async () => {},
    random: () => 0.5,
  });
}

/** Answers every request with `e`, or by path from `byPath`. */
function serve(e: RecordedEntry | Record<string, RecordedEntry>): void {
  server.route = (r) => {
    if ('response' in e && 'file' in e) return body(e as RecordedEntry);
    const hit = (e as Record<string, RecordedEntry>)[r.path];
    return hit === undefined ? { status: 404, text: '404 page not found' } : body(hit);
  };
}

async function refusal(p: Promise<unknown>): Promise<ExchangeError> {
  const err = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(err, 'the call must fail').toBeInstanceOf(ExchangeError);
  return err as ExchangeError;
}

describe('contract: market data', () => {
  it('market/time (docs): server time to the millisecond from timeNano', async () => {
    serve(recorded('market-time', 'docs server time'));
    const t = await fetchBybitServerTime(server.url, { epochMs: () => 1688639403423 + 2500 });
    expect(t.serverMs).toBe(1688639403423.213);
    expect(Math.round(t.offsetMs)).toBe(-2500);
  });

  it('market/tickers (docs): the mark price', async () => {
    serve(recorded('market-tickers', 'docs tickers'));
    expect((await fetchMarkPrice(server.url, 'BTCUSD')).toString()).toBe('114898.43');
  });

  it('instruments-info BTCUSDT Trading (docs): the rules, the price band and the status', async () => {
    serve(recorded('market-instruments-info', 'BTCUSDT status Trading'));
    const rest = adapter();
    const inst = (await rest.loadInstruments(['BTCUSDT'])).get('BTCUSDT')!;
    expect([inst.tickSize, inst.qtyStep, inst.minQty, inst.maxQty, inst.maxMarketQty, inst.minNotional, inst.maxLeverage].map((d) => d.toString())).toEqual(['0.1', '0.001', '0.001', '1190', '500', '5', '100']);
    expect(inst.status).toBe('Trading');
    expect(rest.priceBand('BTCUSDT')).toEqual({ min: 0.1, max: 1999999.8 });
  });

  it('instruments-info BIOUSDT PreLaunch (docs): read with its status, which the engine refuses at start', async () => {
    serve(recorded('market-instruments-info', 'BIOUSDT status PreLaunch'));
    const inst = (await adapter().loadInstruments(['BIOUSDT'])).get('BIOUSDT')!;
    expect(inst.status).toBe('PreLaunch');
    expect([inst.tickSize, inst.qtyStep, inst.maxMarketQty, inst.maxLeverage].map((d) => d.toString())).toEqual(['0.0001', '1', '14000', '5']);
  });

  it('kline (docs, newest first): closed candles ascending, the newest row left as still forming', async () => {
    serve(recorded('market-kline', 'docs kline'));
    const candles = await adapter().fetchCandles('BTCUSD', 60, 1670601600000, 2);
    expect(candles).toEqual([
      { ts: 1670601600000, open: 17086.5, high: 17088, low: 16978, close: 17071.5, volume: 6356 },
      { ts: 1670605200000, open: 17071.5, high: 17071.5, low: 17061, close: 17071, volume: 4177 },
    ]);
  });

  it('kline (ccxt 2024-01, retCode "0" as a string): the same reading', async () => {
    serve(recorded('market-kline', 'ccxt fetchOHLCV'));
    const candles = await adapter().fetchCandles('BTCUSDT', 60, 1706630400000, 2);
    expect(candles.map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume])).toEqual([
      [1706630400000, 43350.7, 43492.5, 43204.5, 43488, 1341.261],
      [1706634000000, 43488, 43579.5, 43286.8, 43376.1, 3199.431],
    ]);
  });
});

describe('contract: account', () => {
  it('wallet-balance (docs): the account totals', async () => {
    serve(recorded('account-wallet-balance', 'docs wallet balance'));
    const b = await adapter().fetchBalance();
    expect([b.equity, b.walletBalance, b.available].map((d) => d.toString())).toEqual(['3.31216591', '3.00326056', '3.00326056']);
  });

  it('wallet-balance, 7 collateral coins with availableToWithdraw "" (ccxt 2025-01): the USD totals', async () => {
    serve(recorded('account-wallet-balance', '7 collateral coins'));
    const b = await adapter().fetchBalance();
    expect([b.equity, b.walletBalance, b.available].map((d) => d.toString())).toEqual(['92255.96988644', '90060.46626531', '89987.9688149']);
  });

  it('account/info (docs): the margin mode; a one-way position list: one-way mode', async () => {
    serve({ '/v5/account/info': recorded('account-info', 'docs account info'), '/v5/position/list': recorded('position-list', 'one-way long') });
    expect(await adapter().fetchAccountModes(['LTCUSDT'])).toEqual({ marginMode: 'REGULAR_MARGIN', positionMode: 'oneWay', hedgeSymbol: null });
  });

  it('user/query-api (docs, a read-only testnet key): doctor fails key-trade and passes withdraw and IP', async () => {
    serve(recorded('account-info', 'docs api key info'));
    const checks = await apiKeyChecks({ baseUrl: server.url, mode: 'testnet', apiKey: KEY, apiSecret: SECRET, timestampMs: Date.now(), recvWindowMs: 5000, timeoutMs: 3000 });
    expect(Object.fromEntries(checks.map((c) => [c.id, c.status]))).toEqual({ 'api-key': 'ok', 'key-withdraw': 'ok', 'key-trade': 'fail', 'key-ip': 'ok' });
    expect(checks.find((c) => c.id === 'key-trade')!.message).toMatch(/read-only/);
  });

  it('doctor reads the recorded account/info and position list (docs): cross margin, one-way', async () => {
    // The docs' answers: ccxt's recorder turns retCode into a string, which Bybit never sends.
    serve({ '/v5/account/info': recorded('account-info', 'docs account info'), '/v5/position/list': recorded('position-list', 'docs position list') });
    const checks = await accountModeChecks({ baseUrl: server.url, symbols: ['BTCUSD'], apiKey: KEY, apiSecret: SECRET, timestampMs: Date.now(), recvWindowMs: 5000, timeoutMs: 3000 });
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ['margin-mode', 'ok'],
      ['position-mode', 'ok'],
    ]);
  });

  it('position/list one-way long (ccxt 2023-11, numbers as strings): a long of 1.2 at 64.59947917', async () => {
    serve(recorded('position-list', 'one-way long'));
    const [p] = await adapter().fetchPositions(['LTCUSDT']);
    expect([p!.side, p!.size.toString(), p!.entryPrice.toString(), p!.unrealisedPnl.toString(), p!.stopLoss, p!.takeProfit, p!.trailingStop, p!.updatedMs]).toEqual(['long', '1.2', '64.59947917', '7.800625', null, null, null, 1699948800031]);
  });

  it('position/list flat one-way (ccxt 2024-01: side "", unrealisedPnl "", positionValue ""): flat, PnL 0', async () => {
    serve(recorded('position-list', 'flat one-way'));
    const [p] = await adapter().fetchPositions(['LTCUSDT']);
    expect([p!.side, p!.size.toString(), p!.entryPrice.toString(), p!.unrealisedPnl.toString()]).toEqual([null, '0', '0', '0']);
  });

  it('position/list (docs, an inverse BTCUSD short; "0.00" stops): a short with no stop set', async () => {
    serve(recorded('position-list', 'docs position list'));
    const [p] = await adapter().fetchPositions(['BTCUSD']);
    expect([p!.side, p!.size.toString(), p!.entryPrice.toString(), p!.stopLoss, p!.takeProfit, p!.trailingStop]).toEqual(['short', '300', '27464.50441675', null, null, null]);
  });
});

describe('contract: orders and executions', () => {
  it('order/realtime (docs, with TP/SL): a New limit buy of 0.1 ETHUSDT at 1600', async () => {
    serve(recorded('order-realtime', 'docs open orders'));
    const [o] = await adapter().fetchOpenOrders('ETHUSDT');
    expect([o!.orderLinkId, o!.side, o!.type, o!.status, o!.price?.toString(), o!.qty.toString(), o!.takeProfit?.toString(), o!.stopLoss?.toString(), o!.rejectReason]).toEqual([
      'test-000005', 'buy', 'limit', 'new', '1600', '0.1', '2500', '1500', null,
    ]);
  });

  it('order/realtime (ccxt 2025-09: orderLinkId "", avgPrice "", stopOrderType ""): a manual order, no fill price', async () => {
    serve(recorded('order-realtime', 'ccxt fetchOpenOrder'));
    const [o] = await adapter().fetchOpenOrders('BTCUSDT');
    expect([o!.orderLinkId, o!.status, o!.price?.toString(), o!.avgFillPrice, o!.filledQty.toString(), o!.createdMs]).toEqual(['', 'new', '102000', null, '0', 1758189775648]);
  });

  it('order/history (docs): a PostOnly cancelled with EC_PostOnlyWillTakeLiquidity', async () => {
    serve({ '/v5/order/realtime': { ...recorded('order-history', 'docs order history'), response: { retCode: 0, retMsg: 'OK', result: { list: [], nextPageCursor: '' } } }, '/v5/order/history': recorded('order-history', 'docs order history') });
    const o = await adapter().fetchOrder('BTCUSDT', 'YLxaWKMiHU');
    expect([o!.status, o!.timeInForce, o!.rejectReason, o!.takeProfit, o!.stopLoss]).toEqual(['cancelled', 'PostOnly', 'EC_PostOnlyWillTakeLiquidity', null, null]);
  });

  it('order/history (ccxt 2025-09, market Filled, extraFees ""): filled 0.001 at 123498', async () => {
    const e = recorded('order-history', 'ccxt fetchClosedOrder');
    serve(e);
    const [o] = await adapter().fetchOpenOrders('BTCUSDT');
    expect([o!.type, o!.status, o!.price, o!.filledQty.toString(), o!.avgFillPrice?.toString()]).toEqual(['market', 'filled', null, '0.001', '123498']);
  });

  it('execution/list (docs, Trade, stopOrderType "UNKNOWN"): one fill, no trigger', async () => {
    serve(recorded('execution-list', 'docs executions'));
    const fills = await adapter().recentFills('ETHPERP', null, 1);
    expect(fills.map((f) => [f.execId, f.side, f.price.toString(), f.qty.toString(), f.fee.toString(), f.isMaker, f.ts, f.trigger ?? null])).toEqual([
      ['e0cbe81d-0f18-5866-9415-cf319b5dab3b', 'buy', '1190.15', '0.1', '0.071409', false, 1672282722429, null],
    ]);
  });

  it('execution/list (ccxt 2024-03, Trade "UNKNOWN"): a taker fill with its fee', async () => {
    serve(recorded('execution-list', 'a Trade execution'));
    const fills = await adapter().recentFills('LTCUSDT', null, 1);
    expect(fills.map((f) => [f.price.toString(), f.qty.toString(), f.fee.toString(), f.trigger ?? null])).toEqual([['85.11', '0.1', '0.00468105', null]]);
  });

  // Issue 20 item 9: funding is booked (realised PnL, the daily loss, the journal), marked as funding,
  // with Bybit's sign: execFee positive = the position paid, negative = it received.
  it('execution/list (ccxt 2023-11, a Funding execution): booked as funding paid, 1.2 × 72.25 × 0.0001', async () => {
    serve(recorded('execution-list', 'a Funding execution'));
    const [f, ...rest] = await adapter().recentFills('LTCUSDT', null, 1);
    expect(rest).toEqual([]);
    expect(f!.source).toBe('funding');
    expect(f!.fee.toFixed()).toBe('0.00867');
    expect(f!.qty.toFixed()).toBe('1.2');
  });

  it('execution/list (ccxt 2024-03, Funding with a negative fee): booked as funding received', async () => {
    serve(recorded('execution-list', 'negative execFee'));
    const fills = await adapter().recentFills('LTCUSDT', null, 1);
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.every((f) => f.source === 'funding')).toBe(true);
    expect(fills.find((f) => f.execId === '89102b18-96c4-42d2-bc26-131699036635')!.fee.toFixed()).toBe('-0.00708126');
  });

  it('order/create (docs, ccxt spot 2024-01): placed, with Bybit’s orderId', async () => {
    for (const [name, id] of [['docs create order', '1321003749386327552'], ['ccxt createOrder', '1609920528435648000']] as const) {
      serve(recorded('order-write', name));
      const r = await adapter().placeOrder({ symbol: 'BTCUSDT', side: 'buy', type: 'limit', qty: dec('0.001'), price: dec('60000'), timeInForce: 'PostOnly', reduceOnly: false, orderLinkId: 'ps-contract-1', stopLoss: null, takeProfit: null });
      expect(r.orderId, name).toBe(id);
    }
  });

  it('order/amend (docs, ccxt 2025-11) and order/cancel (docs): accepted', async () => {
    for (const name of ['docs amend order', 'ccxt editOrder']) {
      serve(recorded('order-write', name));
      await expect(adapter().amendOrder({ symbol: 'BTCUSDT', orderLinkId: 'linear-004', price: dec('60000') })).resolves.toBeUndefined();
    }
    serve(recorded('order-write', 'docs cancel order'));
    expect(await adapter().cancelOrder('BTCUSDT', 'linear-004')).toBe(true);
  });

  it('order/cancel-all (docs, ccxt spot "success":"1"): accepted', async () => {
    for (const name of ['docs cancel all', 'ccxt cancelAllOrders']) {
      serve(recorded('order-write', name));
      await expect(adapter().cancelAllOrders('BTCUSDT'), name).resolves.toBeUndefined();
    }
  });

  it('set-leverage (docs) and trading-stop (docs): accepted; 110043 "leverage not modified": already so', async () => {
    serve(recorded('position-write', 'docs set leverage'));
    await expect(adapter().setLeverage('BTCUSDT', dec(5))).resolves.toBeUndefined();
    serve(recorded('position-write', 'docs trading stop'));
    await expect(adapter().setTradingStop({ symbol: 'BTCUSDT', stopLoss: dec('59000') })).resolves.toBeUndefined();
    serve(recorded('position-write', 'leverage already at that value'));
    await expect(adapter().setLeverage('BTCUSDT', dec(5))).resolves.toBeUndefined();
    serve(recorded('errors', '110043 leverage not modified'));
    await expect(adapter().setLeverage('BTCUSDT', dec(5))).resolves.toBeUndefined();
  });
});

describe('contract: error answers keep Bybit’s retCode and text', () => {
  const order = { symbol: 'BTCUSDT', side: 'sell', type: 'market', qty: dec('0.001'), price: null, timeInForce: 'IOC', reduceOnly: false, orderLinkId: 'ps-contract-2', stopLoss: null, takeProfit: null } as const;
  const refusedOrders: [string, number, string][] = [
    ['stop-loss above entry for a Sell', 10001, 'sl:257970000 set for Sell position should greater base_price:259477000??LastPrice'],
    ['hedge account, no positionIdx', 10001, 'position idx not match position mode'],
    ['position idx not match position mode (testnet)', 10001, 'position idx not match position mode'],
    ['positionIdx 0 sent on a hedge', 10001, 'position idx not match position mode'],
    ['after set_margin_mode', 10001, 'position idx not match position mode'],
    ['conditional stop trigger on the wrong side', 10001, 'expect Failling, but trigger_price[122000000] >= current[121200000]??1'],
    ['110017 reduce-only rule', 110017, 'Reduce-only rule not satisfied'],
    ['110003 price invalid', 110003, 'price is invalid'],
    ['140007 cannot afford', 140007, 'remark:order[49649307 ae68f79f-a281-4f69-918e-4cd4eaaf271d] fix price failed for CannotAffordOrderCost.'],
  ];
  for (const [name, retCode, retMsg] of refusedOrders) {
    it(`order/create refused: ${retCode} ${retMsg.slice(0, 50)}`, async () => {
      serve(recorded('errors', name));
      const err = await refusal(adapter().placeOrder(order));
      expect([err.kind, err.retCode, err.retMsg]).toEqual(['rejected', retCode, retMsg]);
      expect(server.requests.filter((r) => r.path === '/v5/order/create'), 'a refusal is not resent').toHaveLength(1);
    });
  }

  it('10002 timestamp outside recv_window: the clock is re-measured once, then the refusal stands (retryable)', async () => {
    serve(recorded('errors', '10002 timestamp'));
    remeasures = 0;
    const err = await refusal(adapter().fetchAccountModes(['BTCUSDT']));
    expect([err.kind, err.retCode]).toEqual(['retryable', 10002]);
    expect(err.retMsg).toBe('invalid request, please check your server timestamp or recv_window param. req_timestamp[1677853520948],server_timestamp[1677853421570],recv_window[5000]');
    expect(remeasures).toBe(1);
  });

  it('10006 "Too many visits" on open orders: retried, then a retryable refusal with Bybit’s text', async () => {
    serve(recorded('errors', '10006 rate limit'));
    const err = await refusal(adapter().fetchOpenOrders('BTCUSDT'));
    expect([err.kind, err.retCode, err.retMsg]).toEqual(['retryable', 10006, 'Too many visits']);
    expect(server.requests.length, 'retried before giving up').toBe(2);
  });
});
