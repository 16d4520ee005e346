/**
 * The sandbox's REST side: Bybit V5 endpoints (reference section 3, plus what ccxt calls for
 * loadMarkets and account detection, section 5) answered from the simulator in Bybit's envelope
 * `{retCode, retMsg, result, retExtInfo, time}` with Bybit's field names and error codes.
 *
 * Unknown paths get HTTP 404 (as Bybit's gateway answers them); known paths with bad or missing
 * parameters get retCode 10001. Private endpoints check auth (./auth.ts), then the per-UID rate limit
 * (./rateLimiter.ts), then injected faults (./faults.ts).
 */
import type { Instrument, OrderType, Side, TimeInForce } from '../domain/types.js';
import { dec, type Dec } from '../domain/money.js';
import type { Replay } from '../sim/replay.js';
import type { Simulator } from '../sim/simulator.js';
import type { SimOrder, SimResult } from '../sim/simTypes.js';
import { OPEN_STATUSES } from '../sim/simTypes.js';
import { type ApiKeyConfig, verifyRest } from './auth.js';
import type { FaultName, FaultSettings } from './faults.js';
import { KLINE_INTERVALS, type MarketData } from './marketData.js';
import { RollingWindowLimiter, endpointLimitPerSec } from './rateLimiter.js';
import { type Wire, wireExecution, wireInstrument, wireKlineRow, wireOrder, wirePosition, wireWallet } from './wire.js';

export interface RestContext {
  readonly sim: Simulator;
  readonly replay: Replay;
  readonly market: MarketData;
  readonly keys: ReadonlyMap<string, ApiKeyConfig>;
  readonly nowMs: () => number;
  readonly faults: () => FaultSettings;
  /** Uniform [0, 1) from the fault dice (seeded). */
  readonly dice: () => number;
  readonly rateLimits: boolean;
  /** Per-IP limit over 5 s; 0 disables it. */
  readonly ipLimitPer5s: number;
  readonly makerFeeRate: string;
  readonly takerFeeRate: string;
  /** Called when a cancel loses the race: the sandbox pushes the Filled order a second time. */
  readonly onRaceFill: (order: SimOrder) => void;
  /** Counts a fault that struck (FaultCounts). */
  readonly struck: (fault: FaultName) => void;
}

export interface RestResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What the server should do: answer, or hold the request unanswered (timeout fault). */
export type RestOutcome = { readonly kind: 'answer'; readonly response: RestResponse } | { readonly kind: 'hang' };

type Params = Record<string, unknown>;

class ParamError extends Error {
  override name = 'ParamError';
  constructor(
    message: string,
    readonly code = 10001,
  ) {
    super(message);
  }
}

interface Route {
  readonly method: 'GET' | 'POST';
  readonly auth: boolean;
  readonly trade?: boolean;
  readonly run: (p: Params, key: ApiKeyConfig | null) => unknown;
}

const MISSING = 'Missing some parameters that must be filled in, please check your parameters';

function str(p: Params, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ParamError(`params error: ${name} invalid`);
}

function need(p: Params, name: string): string {
  const v = str(p, name);
  if (v === undefined) throw new ParamError(MISSING);
  return v;
}

function bool(p: Params, name: string): boolean {
  const v = p[name];
  return v === true || v === 'true' || v === 1 || v === '1';
}

function int(p: Params, name: string, def: number, min: number, max: number): number {
  const v = str(p, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ParamError(`params error: ${name} invalid`);
  return n;
}

function decimal(p: Params, name: string): Dec | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new ParamError(`params error: ${name} invalid`);
  return dec(v);
}

/** Price fields where "0" means "clear" (reference section 3). */
function clearable(p: Params, name: string): Dec | null | undefined {
  const d = decimal(p, name);
  if (d === undefined) return undefined;
  return d.isZero() ? null : d;
}

function page<T>(items: readonly T[], p: Params, defLimit: number, maxLimit: number): { list: T[]; nextPageCursor: string } {
  const limit = int(p, 'limit', defLimit, 1, maxLimit);
  const cursor = str(p, 'cursor');
  let offset = 0;
  if (cursor !== undefined) {
    const m = /^p(\d+)$/.exec(cursor);
    if (!m) throw new ParamError('params error: cursor invalid');
    offset = Number(m[1]);
  }
  const list = items.slice(offset, offset + limit);
  return { list, nextPageCursor: offset + limit < items.length ? `p${offset + limit}` : '' };
}

export class RestApi {
  readonly #ctx: RestContext;
  readonly #routes = new Map<string, Route>();
  readonly #uidLimiter = new RollingWindowLimiter(1000);
  readonly #ipLimiter = new RollingWindowLimiter(5000);
  readonly #launchMs: number;

  constructor(ctx: RestContext) {
    this.#ctx = ctx;
    this.#launchMs = 1_585_526_400_000;
    this.#define();
  }

  handle(method: string, rawUrl: string, headers: Record<string, string | string[] | undefined>, rawBody: string, clientIp: string): RestOutcome {
    const ctx = this.#ctx;
    const f = ctx.faults();
    if (f.timeoutRate > 0 && ctx.dice() < f.timeoutRate) {
      ctx.struck('timeout');
      return { kind: 'hang' };
    }
    if (f.http5xxRate > 0 && ctx.dice() < f.http5xxRate) {
      ctx.struck('http5xx');
      return answer(503, { 'content-type': 'text/html' }, '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>');
    }
    const now = ctx.nowMs();
    if (ctx.ipLimitPer5s > 0 && !this.#ipLimiter.take(clientIp, ctx.ipLimitPer5s, now).allowed) {
      return answer(403, { 'content-type': 'text/html' }, '<html><body>403 Forbidden: access too frequent</body></html>');
    }
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    const route = this.#routes.get(path);
    if (!route || route.method !== method) return answer(404, { 'content-type': 'text/plain' }, '404 page not found');

    const extra: Record<string, string> = { timenow: String(now) };
    let key: ApiKeyConfig | null = null;
    if (route.auth) {
      const auth = verifyRest({ headers, payload: method === 'GET' ? rawQuery : rawBody, keys: ctx.keys, serverTimeMs: now, clientIp });
      if (!auth.ok) return this.#envelope(auth.code, auth.msg, {}, extra);
      key = auth.key;
      if (ctx.rateLimits) {
        const v = this.#uidLimiter.take(`${key.apiKey} ${path}`, endpointLimitPerSec(path), now);
        extra['x-bapi-limit'] = String(v.limit);
        extra['x-bapi-limit-status'] = String(v.remaining);
        extra['x-bapi-limit-reset-timestamp'] = String(v.resetMs);
        if (!v.allowed) return this.#envelope(10006, 'Too many visits!', {}, extra);
      }
      if (f.storm10006Rate > 0 && ctx.dice() < f.storm10006Rate) {
        ctx.struck('storm10006');
        return this.#envelope(10006, 'Too many visits!', {}, extra);
      }
      if (f.err10016Rate > 0 && ctx.dice() < f.err10016Rate) {
        ctx.struck('err10016');
        return this.#envelope(10016, 'Internal server error.', {}, extra);
      }
      if (route.trade && key.readOnly) return this.#envelope(10005, 'Permission denied, please check your API key permissions.', {}, extra);
    }
    let params: Params;
    try {
      params = method === 'GET' ? Object.fromEntries(new URLSearchParams(rawQuery)) : rawBody.trim() === '' ? {} : (JSON.parse(rawBody) as Params);
      if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new ParamError('params error: request body must be a JSON object');
    } catch (e) {
      return this.#envelope(10001, e instanceof ParamError ? e.message : 'params error: request body is not valid JSON', {}, extra);
    }
    try {
      const result = route.run(params, key);
      if (result instanceof SimFailure) return this.#envelope(result.code, result.msg, {}, extra);
      return this.#envelope(0, 'OK', result, extra);
    } catch (e) {
      if (e instanceof ParamError) return this.#envelope(e.code, e.message, {}, extra);
      throw e;
    }
  }

  #envelope(code: number, msg: string, result: unknown, extra: Record<string, string>): RestOutcome {
    const body = JSON.stringify({ retCode: code, retMsg: msg, result, retExtInfo: {}, time: this.#ctx.nowMs() });
    return answer(200, { 'content-type': 'application/json', ...extra }, body);
  }

  #inst(p: Params): Instrument {
    const symbol = need(p, 'symbol');
    if (!this.#ctx.sim.hasSymbol(symbol)) throw new ParamError('params error: symbol invalid');
    return this.#ctx.sim.instrument(symbol);
  }

  #linear(p: Params): void {
    const c = str(p, 'category');
    if (c === undefined) throw new ParamError(MISSING);
    if (c !== 'linear') throw new ParamError('Illegal category');
  }

  #define(): void {
    const ctx = this.#ctx;
    const sim = ctx.sim;
    const get = (path: string, auth: boolean, run: Route['run']): void => void this.#routes.set(path, { method: 'GET', auth, run });
    const post = (path: string, run: Route['run']): void => void this.#routes.set(path, { method: 'POST', auth: true, trade: true, run });

    get('/v5/market/time', false, () => {
      const now = ctx.nowMs();
      return { timeSecond: String(Math.floor(now / 1000)), timeNano: `${now}000000` };
    });

    get('/v5/market/instruments-info', false, (p) => {
      const category = str(p, 'category');
      if (category === undefined) throw new ParamError('params error: category is empty');
      if (!['linear', 'inverse', 'spot', 'option'].includes(category)) throw new ParamError('Illegal category');
      let list = category === 'linear' ? sim.symbols().map((s) => sim.instrument(s)) : [];
      const status = str(p, 'status');
      if (status !== undefined && status !== 'Trading') list = [];
      const symbol = str(p, 'symbol');
      if (symbol !== undefined) list = list.filter((i) => i.symbol === symbol);
      const baseCoin = str(p, 'baseCoin');
      if (baseCoin !== undefined) list = list.filter((i) => i.baseCoin === baseCoin);
      const pg = page(list, p, 500, 1000);
      return { category, list: pg.list.map((i) => wireInstrument(i, this.#launchMs)), nextPageCursor: pg.nextPageCursor };
    });

    get('/v5/market/kline', false, (p) => {
      const category = str(p, 'category') ?? 'linear';
      if (category !== 'linear') throw new ParamError('Illegal category');
      const symbol = need(p, 'symbol');
      if (!sim.hasSymbol(symbol)) throw new ParamError('Not supported symbols');
      const interval = need(p, 'interval');
      const minutes = KLINE_INTERVALS[interval];
      if (minutes === undefined) throw new ParamError('Invalid period!');
      const all = ctx.market.klines(symbol, minutes);
      if (all === null) throw new ParamError(`Invalid period! the sandbox builds klines from ${ctx.replay.intervalMs(symbol) / 60_000}m data`);
      const limit = int(p, 'limit', 200, 1, 1000);
      const start = str(p, 'start') === undefined ? -Infinity : int(p, 'start', 0, 0, Number.MAX_SAFE_INTEGER);
      const end = str(p, 'end') === undefined ? Infinity : int(p, 'end', 0, 0, Number.MAX_SAFE_INTEGER);
      const inRange = all.filter((c) => c.ts >= start && c.ts <= end);
      // With only `start`, the candles right after it; otherwise the newest ones up to `end`.
      const chosen = Number.isFinite(start) && !Number.isFinite(end) ? inRange.slice(0, limit) : inRange.slice(-limit);
      return { category, symbol, list: chosen.reverse().map(wireKlineRow) };
    });

    get('/v5/market/orderbook', false, (p) => {
      this.#linear(p);
      const symbol = need(p, 'symbol');
      if (!sim.hasSymbol(symbol)) throw new ParamError('Not supported symbols');
      const limit = int(p, 'limit', 25, 1, 500);
      const b = ctx.market.book(symbol, limit);
      return { s: symbol, b: b.bids, a: b.asks, ts: ctx.nowMs(), u: ctx.market.updateId(symbol), seq: ctx.market.seq(), cts: sim.lastTs(symbol) };
    });

    get('/v5/market/tickers', false, (p) => {
      this.#linear(p);
      const symbol = str(p, 'symbol');
      if (symbol !== undefined && !sim.hasSymbol(symbol)) throw new ParamError('Not supported symbols');
      const symbols = symbol !== undefined ? [symbol] : sim.symbols();
      return { category: 'linear', list: symbols.map((s) => ctx.market.ticker(s, ctx.nowMs())) };
    });

    get('/v5/user/query-api', true, (_p, key) => {
      const k = key!;
      const ips = k.ips && k.ips.length > 0 ? [...k.ips] : ['*'];
      const now = ctx.nowMs();
      return {
        id: '1',
        note: k.note ?? 'sandbox',
        apiKey: k.apiKey,
        readOnly: k.readOnly ? 1 : 0,
        secret: '',
        permissions: {
          ContractTrade: k.readOnly ? [] : ['Order', 'Position'],
          Spot: k.readOnly ? [] : ['SpotTrade'],
          Wallet: k.withdraw ? ['AccountTransfer', 'SubMemberTransfer', 'Withdraw'] : ['AccountTransfer', 'SubMemberTransfer'],
          Options: [],
          Derivatives: k.readOnly ? [] : ['DerivativesTrade'],
          CopyTrading: [],
          BlockTrade: [],
          Exchange: [],
          NFT: [],
          Affiliate: [],
          Earn: [],
        },
        ips,
        type: 1,
        // Keys bound to IPs do not expire on Bybit; unbound ones last 90 days.
        deadlineDay: ips[0] === '*' ? 90 : -1,
        expiredAt: ips[0] === '*' ? new Date(now + 90 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z') : '',
        createdAt: new Date(now - 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        unified: 0,
        uta: 1,
        userID: 100001,
        inviterID: 0,
        vipLevel: 'No VIP',
        mktMakerLevel: '0',
        affiliateID: 0,
        rsaPublicKey: '',
        isMaster: true,
        parentUid: '0',
        kycLevel: 'LEVEL_DEFAULT',
        kycRegion: '',
      };
    });

    get('/v5/account/info', true, () => ({
      marginMode: 'REGULAR_MARGIN',
      updatedTime: String(ctx.nowMs() - 86_400_000),
      unifiedMarginStatus: 5,
      dcpStatus: 'OFF',
      timeWindow: 10,
      smpGroup: 0,
      isMasterTrader: false,
      spotHedgingStatus: 'OFF',
    }));

    get('/v5/asset/coin/query-info', true, () => ({
      rows: [
        {
          name: 'USDT',
          coin: 'USDT',
          remainAmount: '5000000',
          chains: [
            {
              chainType: 'ETH',
              confirmation: '6',
              withdrawFee: '4',
              depositMin: '0',
              withdrawMin: '10',
              chain: 'ETH',
              chainDeposit: '1',
              chainWithdraw: '1',
              minAccuracy: '4',
              withdrawPercentageFee: '0',
              contractAddress: '',
            },
          ],
        },
      ],
    }));

    get('/v5/account/wallet-balance', true, (p) => {
      const type = need(p, 'accountType');
      if (type !== 'UNIFIED') throw new ParamError('accountType only support UNIFIED.');
      const coin = str(p, 'coin');
      const w = wireWallet(sim.wallet());
      if (coin !== undefined && !coin.split(',').includes('USDT')) w['coin'] = [];
      return { list: [w] };
    });

    get('/v5/account/fee-rate', true, (p) => {
      const category = str(p, 'category') ?? 'linear';
      if (category !== 'linear') throw new ParamError('Illegal category');
      const symbol = str(p, 'symbol');
      const symbols = symbol !== undefined ? [symbol] : sim.symbols();
      return { category, list: symbols.map((s) => ({ symbol: s, takerFeeRate: ctx.takerFeeRate, makerFeeRate: ctx.makerFeeRate })) };
    });

    get('/v5/position/list', true, (p) => {
      this.#linear(p);
      const symbol = str(p, 'symbol');
      const settle = str(p, 'settleCoin');
      const base = str(p, 'baseCoin');
      if (symbol === undefined && settle === undefined && base === undefined) throw new ParamError(MISSING);
      let list = sim.positions();
      if (symbol !== undefined) {
        if (!sim.hasSymbol(symbol)) throw new ParamError('params error: symbol invalid');
        list = list.filter((x) => x.symbol === symbol);
      } else {
        // By coin, Bybit lists only open positions.
        list = list.filter((x) => x.side !== null && (settle === undefined || sim.instrument(x.symbol).quoteCoin === settle) && (base === undefined || sim.instrument(x.symbol).baseCoin === base));
      }
      const pg = page(list, p, 20, 200);
      return { category: 'linear', list: pg.list.map((x) => wirePosition(x, sim.instrument(x.symbol), 'rest')), nextPageCursor: pg.nextPageCursor };
    });

    post('/v5/position/set-leverage', (p) => {
      this.#linear(p);
      const inst = this.#inst(p);
      const buy = decimal(p, 'buyLeverage');
      const sell = decimal(p, 'sellLeverage');
      if (!buy || !sell) throw new ParamError(MISSING);
      return unwrap(sim.setLeverage(inst.symbol, buy, sell), () => ({}));
    });

    post('/v5/position/trading-stop', (p) => {
      this.#linear(p);
      const inst = this.#inst(p);
      const mode = str(p, 'tpslMode');
      if (mode !== 'Full' && mode !== 'Partial') throw new ParamError('params error: tpslMode invalid');
      const idx = str(p, 'positionIdx');
      if (idx === undefined) throw new ParamError('params error: positionIdx invalid');
      if (idx !== '0') throw new ParamError('position idx not match position mode', 10001);
      return unwrap(
        sim.setTradingStop({
          symbol: inst.symbol,
          takeProfit: clearable(p, 'takeProfit'),
          stopLoss: clearable(p, 'stopLoss'),
          trailingStop: clearable(p, 'trailingStop'),
          activePrice: clearable(p, 'activePrice'),
        }),
        () => ({}),
      );
    });

    post('/v5/order/create', (p) => {
      this.#linear(p);
      const inst = this.#inst(p);
      const sideText = need(p, 'side');
      if (sideText !== 'Buy' && sideText !== 'Sell') throw new ParamError('params error: side invalid');
      const typeText = need(p, 'orderType');
      if (typeText !== 'Market' && typeText !== 'Limit') throw new ParamError('params error: orderType invalid');
      const qty = decimal(p, 'qty');
      if (!qty) throw new ParamError(MISSING);
      if (str(p, 'triggerPrice') !== undefined) throw new ParamError('params error: conditional orders (triggerPrice) are not supported by the sandbox');
      const idx = str(p, 'positionIdx');
      if (idx !== undefined && idx !== '0') throw new ParamError('position idx not match position mode');
      const tifText = str(p, 'timeInForce') ?? 'GTC';
      if (!['GTC', 'IOC', 'FOK', 'PostOnly'].includes(tifText)) throw new ParamError('params error: timeInForce invalid');
      const side: Side = sideText === 'Buy' ? 'buy' : 'sell';
      const orderType: OrderType = typeText === 'Market' ? 'market' : 'limit';
      const r = sim.placeOrder({
        symbol: inst.symbol,
        side,
        orderType,
        qty,
        price: orderType === 'limit' ? (decimal(p, 'price') ?? null) : null,
        timeInForce: tifText as TimeInForce,
        reduceOnly: bool(p, 'reduceOnly'),
        orderLinkId: str(p, 'orderLinkId') ?? '',
        takeProfit: clearable(p, 'takeProfit') ?? null,
        stopLoss: clearable(p, 'stopLoss') ?? null,
      });
      return unwrap(r, (o) => ({ orderId: o.orderId, orderLinkId: o.orderLinkId }));
    });

    post('/v5/order/amend', (p) => {
      this.#linear(p);
      const inst = this.#inst(p);
      const ref = this.#ref(p, inst.symbol);
      const r = sim.amendOrder({
        ...ref,
        qty: decimal(p, 'qty'),
        price: decimal(p, 'price'),
        takeProfit: clearable(p, 'takeProfit'),
        stopLoss: clearable(p, 'stopLoss'),
      });
      return unwrap(r, (o) => ({ orderId: o.orderId, orderLinkId: o.orderLinkId }));
    });

    post('/v5/order/cancel', (p) => {
      this.#linear(p);
      const inst = this.#inst(p);
      const ref = this.#ref(p, inst.symbol);
      const o = sim.order(ref);
      if (o && o.symbol === inst.symbol && OPEN_STATUSES.has(o.status) && ctx.faults().raceCancel) {
        const filled = sim.forceFill(ref);
        ctx.struck('race-cancel');
        if (filled && filled.status === 'Filled') ctx.onRaceFill(filled);
        return new SimFailure(110001, 'order not exists or too late to cancel');
      }
      return unwrap(sim.cancelOrder(ref), (x) => ({ orderId: x.orderId, orderLinkId: x.orderLinkId }));
    });

    post('/v5/order/cancel-all', (p) => {
      this.#linear(p);
      const symbol = str(p, 'symbol');
      const base = str(p, 'baseCoin');
      const settle = str(p, 'settleCoin');
      if (symbol === undefined && base === undefined && settle === undefined) throw new ParamError(MISSING);
      if (symbol !== undefined && !sim.hasSymbol(symbol)) throw new ParamError('params error: symbol invalid');
      const open = sim.openOrders(symbol).filter((o) => (base === undefined || sim.instrument(o.symbol).baseCoin === base) && (settle === undefined || sim.instrument(o.symbol).quoteCoin === settle));
      const done: Wire[] = [];
      for (const o of open) {
        const r = sim.cancelOrder({ symbol: o.symbol, orderId: o.orderId });
        if (r.ok) done.push({ orderId: o.orderId, orderLinkId: o.orderLinkId });
      }
      return { list: done, success: '1' };
    });

    get('/v5/order/realtime', true, (p) => {
      this.#linear(p);
      const symbol = str(p, 'symbol');
      const base = str(p, 'baseCoin');
      const settle = str(p, 'settleCoin');
      if (symbol === undefined && base === undefined && settle === undefined) throw new ParamError(MISSING);
      const openOnly = int(p, 'openOnly', 0, 0, 2);
      let list = openOnly === 0 ? sim.openOrders(symbol) : sim.orders(symbol).slice(0, 500);
      list = this.#filterOrders(list, p, base, settle);
      const pg = page(list, p, 20, 50);
      return { category: 'linear', list: pg.list.map((o) => wireOrder(o, sim.instrument(o.symbol), false)), nextPageCursor: pg.nextPageCursor };
    });

    get('/v5/order/history', true, (p) => {
      this.#linear(p);
      const symbol = str(p, 'symbol');
      if (symbol !== undefined && !sim.hasSymbol(symbol)) throw new ParamError('params error: symbol invalid');
      let list = this.#filterOrders(sim.orders(symbol), p, str(p, 'baseCoin'), str(p, 'settleCoin'));
      const status = str(p, 'orderStatus');
      if (status !== undefined) list = list.filter((o) => o.status === status);
      const start = str(p, 'startTime');
      const end = str(p, 'endTime');
      if (start !== undefined) list = list.filter((o) => o.createdMs >= Number(start));
      if (end !== undefined) list = list.filter((o) => o.createdMs <= Number(end));
      const pg = page(list, p, 20, 50);
      return { category: 'linear', list: pg.list.map((o) => wireOrder(o, sim.instrument(o.symbol), false)), nextPageCursor: pg.nextPageCursor };
    });

    get('/v5/execution/list', true, (p) => {
      this.#linear(p);
      const symbol = str(p, 'symbol');
      if (symbol !== undefined && !sim.hasSymbol(symbol)) throw new ParamError('params error: symbol invalid');
      let list = [...sim.executions(symbol)].reverse();
      const orderId = str(p, 'orderId');
      const linkId = str(p, 'orderLinkId');
      if (orderId !== undefined) list = list.filter((e) => e.orderId === orderId);
      if (linkId !== undefined) list = list.filter((e) => e.orderLinkId === linkId);
      const start = str(p, 'startTime');
      const end = str(p, 'endTime');
      if (start !== undefined) list = list.filter((e) => e.execTime >= Number(start));
      if (end !== undefined) list = list.filter((e) => e.execTime <= Number(end));
      const pg = page(list, p, 50, 100);
      return {
        category: 'linear',
        list: pg.list.map((e) => wireExecution(e, sim.instrument(e.symbol), String(sim.lastPrice(e.symbol)), false)),
        nextPageCursor: pg.nextPageCursor,
      };
    });
  }

  #filterOrders(list: SimOrder[], p: Params, base: string | undefined, settle: string | undefined): SimOrder[] {
    const sim = this.#ctx.sim;
    const orderId = str(p, 'orderId');
    const linkId = str(p, 'orderLinkId');
    return list.filter(
      (o) =>
        (orderId === undefined || o.orderId === orderId) &&
        (linkId === undefined || o.orderLinkId === linkId) &&
        (base === undefined || sim.instrument(o.symbol).baseCoin === base) &&
        (settle === undefined || sim.instrument(o.symbol).quoteCoin === settle),
    );
  }

  #ref(p: Params, symbol: string): { symbol: string; orderId?: string; orderLinkId?: string } {
    const orderId = str(p, 'orderId');
    const orderLinkId = str(p, 'orderLinkId');
    if (orderId === undefined && orderLinkId === undefined) throw new ParamError(MISSING);
    return orderId !== undefined ? { symbol, orderId } : { symbol, orderLinkId: orderLinkId! };
  }
}

/** A simulator refusal carried out of a route as a value. */
class SimFailure {
  constructor(
    readonly code: number,
    readonly msg: string,
  ) {}
}

function unwrap<T>(r: SimResult<T>, ok: (v: T) => unknown): unknown {
  return r.ok ? ok(r.value) : new SimFailure(r.code, r.msg);
}

function answer(status: number, headers: Record<string, string>, body: string): RestOutcome {
  return { kind: 'answer', response: { status, headers, body } };
}
