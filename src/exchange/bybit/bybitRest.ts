/**
 * Bybit V5 REST over ccxt's Bybit class (issue 4, item 2). ccxt does the transport, the signing and
 * the first classification of errors; we call its implicit V5 endpoints (`privatePostV5OrderCreate`
 * …) with Bybit's own parameter names, so quantities and prices go out as the Decimal strings we
 * computed (ccxt's unified createOrder would pass them through floats) and no unified method makes a
 * call we did not ask for (reference/bybit-v5.md section 5: account detection, currencies, markets).
 *
 * - Signing time: ccxt's `nonce()` is replaced by the corrected clock, and `sign()` refuses (throws
 *   ClockNotTrustedError) while the drift gate is shut. On `10002` we re-measure and retry once.
 * - Errors: mapped once by ./mapBybitError.ts; only retryable ones are retried, with exponential
 *   backoff and full jitter, never earlier than Bybit's X-Bapi-Limit-Reset-Timestamp after a 10006.
 * - Orders: idempotent by orderLinkId. After a duplicate-id answer (110072) or any failure that may
 *   have reached the exchange, the order is looked up by its orderLinkId before anything is resent.
 */
import { bybit } from 'ccxt';
import * as v from 'valibot';
import { ClockNotTrustedError, ExchangeError } from '../../domain/exchangeErrors.js';
import { money, roundToStep, type Decimal } from '../../domain/money.js';
import type { Candle, Fill, Instrument, Order, Position } from '../../domain/types.js';
import type { AmendRequest, Balance, OrderRequest, PlaceResult, TradingStopRequest } from '../../engine/exchangePort.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { registerSecret } from '../../util/redact.js';
import { backoffDelayMs, type BackoffPolicy } from '../../util/backoffDelayMs.js';
import type { BybitUrls } from './bybitUrls.js';
import {
  listOf,
  parseWire,
  WireError,
  WireExecution,
  WireInstrument,
  WireKlineResult,
  WireOrder,
  WireOrderCreated,
  WirePosition,
  WireWallet,
} from './bybitWire.js';
import { isAmbiguous, mapBybitError, RETCODE, sanitise, type ResponseMeta } from './mapBybitError.js';
import { paceGroupOf, RequestPacer } from './requestPacer.js';
import { untrustedReason, type SigningClock } from './signingClock.js';
import {
  balanceFromWire,
  candleFromRow,
  candleOutsideBand,
  fillFromWire,
  flatPosition,
  instrumentFromWire,
  intervalToWire,
  isFillExecution,
  orderFromWire,
  outsideBand,
  positionFromWire,
  priceBandFromWire,
  sideToWire,
  type PriceBand,
} from './wireToDomain.js';
import { HttpAbortError, HttpFetchError, httpFetch } from '../../util/httpFetch.js';

export interface BybitCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

export interface RetryPolicy extends BackoffPolicy {
  /** Total attempts per call, the first included. */
  readonly attempts: number;
  /** Longest single wait, whatever a reset header says. */
  readonly maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 250, maxMs: 8000, minMs: 50, maxWaitMs: 30_000 };

export interface BybitRestOptions {
  readonly urls: BybitUrls;
  /** Null: public endpoints only (market data, `backtest --download`). */
  readonly credentials: BybitCredentials | null;
  readonly clock: SigningClock;
  /** X-BAPI-RECV-WINDOW, ms (Bybit's default 5000). */
  readonly recvWindowMs?: number;
  readonly requestTimeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly logger?: Logger;
  /** [0, 1); injectable so tests can pin the jitter. */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RestCounters {
  requests: number;
  retries: number;
  clockRemeasures: number;
  rateLimited: number;
  /** placeOrder calls answered from a look-up instead of a second order. */
  duplicatesResolved: number;
}

/** orderLinkId: at most 36 of [A-Za-z0-9_-] (reference section 3). */
const ORDER_LINK_ID = /^[A-Za-z0-9_-]{1,36}$/;
/** Bybit's kline `limit` maximum. */
const KLINE_PAGE = 1000;
const MAX_PAGES = 20;
/** execution/list with only startTime covers 7 days (V5 docs). */
const EXEC_WINDOW_MS = 7 * 86_400_000;
/** A market order on Bybit is always IOC; its timeInForce is not sent. */
const CATEGORY = 'linear';

type Params = Record<string, string | number | boolean>;
type Endpoint = (params?: Params) => Promise<unknown>;

/** The ccxt hooks below are typed loosely by ccxt itself; this is the part of the instance we touch. */
interface HookableBybit {
  nonce: () => number;
  sign: (path: string, api?: unknown, method?: string, params?: unknown, headers?: unknown, body?: unknown) => unknown;
  handleErrors: (httpCode: number, reason: string, url: string, method: string, headers: Record<string, string>, body: string, ...rest: unknown[]) => unknown;
  fetchImplementation: typeof httpFetch;
  FetchError: typeof HttpFetchError;
  AbortError: typeof HttpAbortError;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How much of an answer that is not Bybit's JSON a message quotes (an HTML error page is kilobytes). */
const SAMPLE_CHARS = 120;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A wire-format surprise (WireError, or dec()'s RangeError) becomes the port's ExchangeError. */
function isWireProblem(err: unknown): err is Error {
  return err instanceof WireError || err instanceof RangeError;
}

export class BybitRest {
  readonly counters: RestCounters = { requests: 0, retries: 0, clockRemeasures: 0, rateLimited: 0, duplicatesResolved: 0 };
  readonly #ex: bybit;
  readonly #clock: SigningClock;
  readonly #secrets: readonly string[];
  readonly #retry: RetryPolicy;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #log: Logger;
  readonly #pacer: RequestPacer;
  readonly #meta = new WeakMap<object, ResponseMeta>();
  readonly #instruments = new Map<string, Instrument>();
  readonly #bands = new Map<string, PriceBand>();
  #closed = false;

  constructor(opts: BybitRestOptions) {
    this.#clock = opts.clock;
    this.#retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.#random = opts.random ?? Math.random;
    this.#sleep = opts.sleep ?? defaultSleep;
    this.#log = opts.logger ?? silentLogger;
    this.#pacer = new RequestPacer(() => this.#clock.now(), this.#sleep);
    const creds = opts.credentials;
    if (creds !== null) {
      registerSecret(creds.apiKey);
      registerSecret(creds.apiSecret);
    }
    this.#secrets = creds === null ? [] : [creds.apiKey, creds.apiSecret];
    // Options per reference section 5, so that ccxt makes no call we did not ask for.
    this.#ex = new bybit({
      apiKey: creds?.apiKey,
      secret: creds?.apiSecret,
      enableRateLimit: false,
      timeout: opts.requestTimeoutMs ?? 10_000,
      has: { fetchCurrencies: false },
      options: {
        fetchMarkets: { types: ['linear'] },
        enableUnifiedAccount: true,
        enableUnifiedMargin: false,
        adjustForTimeDifference: false,
        recvWindow: opts.recvWindowMs ?? 5000,
      },
    });
    this.#pointAt(opts.urls.rest);
    this.#installHooks();
  }

  /** Every string in `urls.api` becomes our base URL (reference section 5), whatever the network. */
  #pointAt(rest: string): void {
    const api = this.#ex.urls['api'] as Record<string, unknown>;
    for (const key of Object.keys(api)) if (typeof api[key] === 'string') api[key] = rest;
  }

  #installHooks(): void {
    const ex = this.#ex as unknown as HookableBybit;
    const clock = this.#clock;
    // Our own fetch over node:http instead of undici's, whose first use costs ~18 MB of RSS
    // (src/util/httpFetch.ts); its error classes tell ccxt a network failure from a timeout.
    ex.fetchImplementation = httpFetch;
    ex.FetchError = HttpFetchError;
    ex.AbortError = HttpAbortError;
    // The corrected clock is the only time used to sign (issue 4); ccxt's sign() reads nonce().
    ex.nonce = () => clock.now();
    const sign = ex.sign.bind(ex);
    ex.sign = (path, api, ...rest) => {
      if (api === 'private' && !clock.isTrusted()) throw new ClockNotTrustedError(untrustedReason(clock));
      return sign(path, api, ...rest);
    };
    // Keep the status, headers and body with the error they caused: ccxt's last_response_headers is
    // shared by concurrent requests, so reading it after the fact could give another call's headers.
    const handleErrors = ex.handleErrors.bind(ex);
    ex.handleErrors = (httpCode, reason, url, method, headers, body, ...rest) => {
      try {
        return handleErrors(httpCode, reason, url, method, headers, body, ...rest);
      } catch (err) {
        if (typeof err === 'object' && err !== null) this.#meta.set(err, { httpStatus: httpCode, headers: headers ?? {}, body: typeof body === 'string' ? body : '' });
        throw err;
      }
    };
  }

  get instruments(): ReadonlyMap<string, Instrument> {
    return this.#instruments;
  }

  /** Bybit's price limits of a loaded instrument (priceFilter.minPrice/maxPrice), or null. */
  priceBand(symbol: string): PriceBand | null {
    return this.#bands.get(symbol) ?? null;
  }

  close(): void {
    this.#closed = true;
  }

  // ---- the request pipeline ----

  #endpoint(name: string): Endpoint {
    const fn = (this.#ex as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') throw new ExchangeError(`ccxt has no Bybit endpoint ${name}`, 'fatal');
    return (fn as Endpoint).bind(this.#ex);
  }

  /** One HTTP exchange: pacing, the call, the mapping. Returns Bybit's `result`. */
  async #once(method: 'GET' | 'POST', path: string, signed: boolean, params: Params): Promise<unknown> {
    if (this.#closed) throw new ExchangeError(`${method} ${path}: the adapter is closed`, 'fatal');
    const group = paceGroupOf(path);
    await this.#pacer.take(group);
    const name = `${signed ? 'private' : 'public'}${method === 'GET' ? 'Get' : 'Post'}${path
      .split(/[/-]/)
      .filter((p) => p !== '')
      .map((p) => p[0]!.toUpperCase() + p.slice(1))
      .join('')}`;
    this.counters.requests++;
    try {
      const envelope = await this.#endpoint(name)(params);
      if (typeof envelope !== 'object' || envelope === null) {
        // ccxt hands back the raw text when it is not JSON (an HTML page from a proxy, a cut-off body):
        // the request may or may not have reached Bybit, so this is retryable (and a create is looked up).
        const text = typeof envelope === 'string' ? envelope.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() : '';
        const what = text === '' ? 'an empty answer' : `an answer that is not Bybit's JSON: "${sanitise(text, this.#secrets).slice(0, SAMPLE_CHARS)}"`;
        throw new ExchangeError(`${method} ${path}: ${what}`, 'retryable');
      }
      return (envelope as Record<string, unknown>)['result'];
    } catch (err) {
      const mapped = mapBybitError(err, {
        operation: `${method} ${path}`,
        secrets: this.#secrets,
        response: typeof err === 'object' && err !== null ? this.#meta.get(err) : undefined,
        nowMs: this.#clock.now(),
      });
      if (mapped.retCode === RETCODE.rateLimit) {
        this.counters.rateLimited++;
        this.#pacer.hold(group, mapped.retryAtMs ?? this.#clock.now() + 1000);
      }
      throw mapped;
    }
  }

  #delayMs(err: ExchangeError, attempt: number): number {
    const backoff = backoffDelayMs(attempt, this.#retry, this.#random);
    const untilReset = err.retryAtMs !== null ? err.retryAtMs - this.#clock.now() + this.#random() * 100 : 0;
    return Math.min(this.#retry.maxWaitMs, Math.max(backoff, untilReset));
  }

  /**
   * Retries retryable failures; on 10002 re-measures the clock and retries once. `onFailure` may turn
   * a failure into a result (returns a value) or ask for a plain retry (returns undefined).
   */
  async #call(
    method: 'GET' | 'POST',
    path: string,
    signed: boolean,
    params: Params,
    onFailure?: (err: ExchangeError) => Promise<{ value: unknown } | undefined>,
  ): Promise<unknown> {
    let clockRetried = false;
    for (let attempt = 0; ; attempt++) {
      let err: ExchangeError;
      try {
        return await this.#once(method, path, signed, params);
      } catch (e) {
        err = e instanceof ExchangeError ? e : mapBybitError(e, { operation: `${method} ${path}`, secrets: this.#secrets, nowMs: this.#clock.now() });
      }
      if (onFailure !== undefined) {
        const handled = await onFailure(err);
        if (handled !== undefined) return handled.value;
      }
      if (err instanceof ClockNotTrustedError) throw err;
      if (err.retCode === RETCODE.timestamp) {
        if (clockRetried) throw err;
        // Bybit judged our timestamp outside recv_window: measure again, then one more try.
        clockRetried = true;
        this.counters.clockRemeasures++;
        this.#log.warn('Bybit rejected the request timestamp (10002); re-measuring the clock', { path });
        await this.#clock.remeasureNow();
        attempt--;
        continue;
      }
      if (err.kind !== 'retryable' || attempt + 1 >= this.#retry.attempts || this.#closed) throw err;
      const waitMs = this.#delayMs(err, attempt);
      this.counters.retries++;
      this.#log.debug('retrying', { path, attempt: attempt + 1, waitMs: Math.round(waitMs), error: err.message });
      await this.#sleep(waitMs);
    }
  }

  async #result<T extends v.GenericSchema>(schema: T, what: string, method: 'GET' | 'POST', path: string, signed: boolean, params: Params): Promise<v.InferOutput<T>> {
    const result = await this.#call(method, path, signed, params);
    return this.#wire(`${method} ${path}`, () => parseWire(schema, result, what));
  }

  /**
   * Runs a wire → domain step; a malformed answer (retCode 0, wrong shape or absurd numbers) becomes
   * a logged, `rejected` ExchangeError naming the call and the field, never a bare WireError or
   * RangeError (the ExchangePort contract: every failure is an ExchangeError).
   */
  #wire<T>(operation: string, step: () => T): T {
    try {
      return step();
    } catch (err) {
      if (!isWireProblem(err)) throw err;
      const message = `${operation}: ${sanitise(err.message, this.#secrets)}`;
      this.#log.error('malformed answer from Bybit', { operation, error: message });
      throw new ExchangeError(message, 'rejected');
    }
  }

  /** Maps each row; a row that fails is dropped with an error line naming it, the rest are kept. */
  #rows<W, T>(operation: string, rows: readonly W[], map: (row: W) => T, check?: (value: T) => string | null): T[] {
    const out: T[] = [];
    for (const row of rows) {
      try {
        const value = map(row);
        const problem = check?.(value) ?? null;
        if (problem !== null) throw new WireError(problem);
        out.push(value);
      } catch (err) {
        if (!isWireProblem(err)) throw err;
        this.#log.error('dropping a malformed row from Bybit', { operation, error: sanitise(err.message, this.#secrets), row: sanitise(JSON.stringify(row) ?? '', this.#secrets).slice(0, 300) });
      }
    }
    return out;
  }

  // ---- market data ----

  async loadInstruments(symbols: readonly string[]): Promise<ReadonlyMap<string, Instrument>> {
    const out = new Map<string, Instrument>();
    for (const symbol of symbols) {
      const r = await this.#result(listOf(WireInstrument), 'instruments-info', 'GET', '/v5/market/instruments-info', false, { category: CATEGORY, symbol });
      const wire = r.list.find((i) => i.symbol === symbol);
      if (wire === undefined) throw new ExchangeError(`Bybit lists no linear instrument ${symbol}`, 'fatal');
      const inst = this.#wire('GET /v5/market/instruments-info', () => instrumentFromWire(wire));
      out.set(symbol, inst);
      this.#instruments.set(symbol, inst);
      const band = priceBandFromWire(wire);
      if (band !== null) this.#bands.set(symbol, band);
      else this.#bands.delete(symbol);
    }
    return out;
  }

  /** Reloads the rules of every instrument loaded so far (Bybit changes tick sizes and limits). */
  async refreshInstruments(): Promise<void> {
    if (this.#instruments.size > 0) await this.loadInstruments([...this.#instruments.keys()]);
  }

  async #klines(symbol: string, intervalMinutes: number, startMs: number, endMs: number, limit: number): Promise<Candle[]> {
    const r = await this.#result(WireKlineResult, 'kline', 'GET', '/v5/market/kline', false, {
      category: CATEGORY,
      symbol,
      interval: intervalToWire(intervalMinutes),
      start: startMs,
      end: endMs,
      limit,
    });
    // Newest first on the wire (reference section 3). A corrupt row is dropped (logged): the sequencer
    // counts the hole, which is better than an indicator fed a price of 0 or 1e12.
    const band = this.#bands.get(symbol);
    return this.#rows('GET /v5/market/kline', r.list, candleFromRow, (c) => candleOutsideBand(c, band)).sort((a, b) => a.ts - b.ts);
  }

  /**
   * Closed candles from `sinceMs`, ascending, at most `limit`. Bybit includes the candle still forming
   * as the newest row, and a replayed market (the sandbox) runs on its own time, so closedness is not
   * judged by our clock: a row is closed when a later row exists. We ask for one slot more than we
   * need; the newest row of an answer that reached the present is left for the next call.
   */
  async fetchCandles(symbol: string, intervalMinutes: number, sinceMs: number, limit: number): Promise<Candle[]> {
    const stepMs = intervalMinutes * 60_000;
    const out: Candle[] = [];
    let from = Math.ceil(sinceMs / stepMs) * stepMs;
    for (let page = 0; out.length < limit && page < MAX_PAGES; page++) {
      const want = Math.min(limit - out.length, KLINE_PAGE - 1);
      const rows = await this.#klines(symbol, intervalMinutes, from, from + (want + 1) * stepMs - 1, want + 1);
      const closed = rows.length > want ? rows.slice(0, want) : rows.slice(0, -1);
      out.push(...closed.filter((c) => c.ts >= from));
      if (rows.length <= want) break;
      from = closed[closed.length - 1]!.ts + stepMs;
    }
    return out;
  }

  /** Candles whose open time lies in [fromMs, toMs], all known to be closed (the caller saw a later one). */
  async fetchCandlesBetween(symbol: string, intervalMinutes: number, fromMs: number, toMs: number): Promise<Candle[]> {
    const stepMs = intervalMinutes * 60_000;
    const out: Candle[] = [];
    for (let from = fromMs, page = 0; from <= toMs && page < MAX_PAGES; page++) {
      const end = Math.min(toMs, from + KLINE_PAGE * stepMs - 1);
      const rows = await this.#klines(symbol, intervalMinutes, from, end, KLINE_PAGE);
      out.push(...rows.filter((c) => c.ts >= from && c.ts <= end));
      from = end + 1;
    }
    return out;
  }

  // ---- account ----

  async fetchBalance(): Promise<Balance> {
    const r = await this.#result(listOf(WireWallet), 'wallet-balance', 'GET', '/v5/account/wallet-balance', true, { accountType: 'UNIFIED' });
    const w = r.list[0];
    if (w === undefined) throw new ExchangeError('GET /v5/account/wallet-balance: no UNIFIED account in the answer', 'fatal');
    return this.#wire('GET /v5/account/wallet-balance', () => balanceFromWire(w));
  }

  async fetchPositions(symbols: readonly string[]): Promise<Position[]> {
    const out: Position[] = [];
    for (const symbol of symbols) {
      const r = await this.#result(listOf(WirePosition), 'position list', 'GET', '/v5/position/list', true, { category: CATEGORY, symbol });
      const wire = r.list.find((p) => p.symbol === symbol);
      out.push(wire === undefined ? flatPosition(symbol) : this.#wire('GET /v5/position/list', () => positionFromWire(wire)));
    }
    return out;
  }

  async fetchOpenOrders(symbol: string): Promise<Order[]> {
    const out: Order[] = [];
    let cursor = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: Params = { category: CATEGORY, symbol, openOnly: 0, limit: 50 };
      if (cursor !== '') params['cursor'] = cursor;
      const r = await this.#result(listOf(WireOrder), 'open orders', 'GET', '/v5/order/realtime', true, params);
      out.push(...this.#wire('GET /v5/order/realtime', () => r.list.map(orderFromWire)));
      cursor = r.nextPageCursor;
      if (cursor === '' || r.list.length === 0) break;
    }
    return out;
  }

  /** By our orderLinkId: live orders first (realtime), then history; null when Bybit does not know it. */
  async fetchOrder(symbol: string, orderLinkId: string): Promise<Order | null> {
    for (const path of ['/v5/order/realtime', '/v5/order/history'] as const) {
      const r = await this.#result(listOf(WireOrder), 'order', 'GET', path, true, { category: CATEGORY, symbol, orderLinkId });
      const wire = r.list.find((o) => o.orderLinkId === orderLinkId);
      if (wire !== undefined) return this.#wire(`GET ${path}`, () => orderFromWire(wire));
    }
    return null;
  }

  async #executions(symbol: string, window: Params, stopBeforeMs: number | null, maxPages = MAX_PAGES): Promise<Fill[]> {
    const out: Fill[] = [];
    let cursor = '';
    for (let page = 0; page < maxPages; page++) {
      const params: Params = { category: CATEGORY, symbol, limit: 100, ...window };
      if (cursor !== '') params['cursor'] = cursor;
      const r = await this.#result(listOf(WireExecution), 'executions', 'GET', '/v5/execution/list', true, params);
      // An execution with an absurd price or quantity is not booked: logged as an error and left out.
      const band = this.#bands.get(symbol);
      const fills = this.#rows('GET /v5/execution/list', r.list.filter(isFillExecution), fillFromWire, (f) => outsideBand(f.price.toNumber(), band, `execution ${f.execId} execPrice`));
      out.push(...fills);
      cursor = r.nextPageCursor;
      if (cursor === '' || r.list.length === 0) break;
      if (stopBeforeMs !== null && fills.length > 0 && fills.every((f) => f.ts < stopBeforeMs)) break;
    }
    return out;
  }

  /** Executions since `sinceMs`, oldest first, in Bybit's 7-day windows up to now. */
  async fetchFills(symbol: string, sinceMs: number): Promise<Fill[]> {
    const out: Fill[] = [];
    const now = this.#clock.now();
    for (let start = sinceMs, n = 0; n === 0 || (start <= now && n < 8); start += EXEC_WINDOW_MS, n++) {
      out.push(...(await this.#executions(symbol, { startTime: start, endTime: start + EXEC_WINDOW_MS - 1 }, null)));
    }
    return sortFills(out);
  }

  /**
   * The newest executions (Bybit's default window), back to `stopBeforeMs` when given: for filling a
   * stream gap without trusting that exchange time and our time agree (the sandbox replays old data).
   */
  async recentFills(symbol: string, stopBeforeMs: number | null, maxPages = MAX_PAGES): Promise<Fill[]> {
    return sortFills(await this.#executions(symbol, {}, stopBeforeMs, maxPages));
  }

  // ---- trading ----

  /** Rounds to the instrument's steps when its rules are loaded (the executor should already have). */
  #rounded(req: OrderRequest): { qty: Decimal; price: Decimal | null } {
    const inst = this.#instruments.get(req.symbol);
    if (inst === undefined) return { qty: req.qty, price: req.price };
    const qty = roundToStep(req.qty, inst.qtyStep, 'down');
    const price = req.price === null ? null : roundToStep(req.price, inst.tickSize, 'nearest');
    if (!qty.eq(req.qty) || (price !== null && req.price !== null && !price.eq(req.price))) {
      this.#log.debug('order rounded to the instrument rules', { orderLinkId: req.orderLinkId, qty: money(qty), price: price === null ? null : money(price) });
    }
    return { qty, price };
  }

  async placeOrder(req: OrderRequest): Promise<PlaceResult> {
    if (!ORDER_LINK_ID.test(req.orderLinkId)) {
      throw new ExchangeError(`orderLinkId "${req.orderLinkId}" must be 1-36 characters of A-Z a-z 0-9 _ -`, 'rejected');
    }
    const { qty, price } = this.#rounded(req);
    if (qty.lte(0)) throw new ExchangeError(`order ${req.orderLinkId}: quantity ${money(req.qty)} rounds to zero`, 'rejected');
    if (req.type === 'limit' && price === null) throw new ExchangeError(`order ${req.orderLinkId}: a limit order needs a price`, 'rejected');
    const params: Params = {
      category: CATEGORY,
      symbol: req.symbol,
      side: sideToWire(req.side),
      orderType: req.type === 'market' ? 'Market' : 'Limit',
      qty: money(qty),
      orderLinkId: req.orderLinkId,
      reduceOnly: req.reduceOnly,
      positionIdx: 0,
    };
    if (req.type === 'limit' && price !== null) {
      params['price'] = money(price);
      params['timeInForce'] = req.timeInForce;
    }
    if (req.stopLoss !== null || req.takeProfit !== null) {
      params['tpslMode'] = 'Full';
      if (req.stopLoss !== null) params['stopLoss'] = money(req.stopLoss);
      if (req.takeProfit !== null) params['takeProfit'] = money(req.takeProfit);
    }
    let mayExist = false;
    const result = await this.#call('POST', '/v5/order/create', true, params, async (err) => {
      // 110072: that orderLinkId was used, so an earlier attempt got through. Any failure that may
      // have reached Bybit is checked the same way before the create is sent again.
      if (err.retCode === RETCODE.duplicateOrderLinkId || (mayExist && err.kind !== 'retryable') || isAmbiguous(err)) {
        const duplicate = err.retCode === RETCODE.duplicateOrderLinkId;
        if (!duplicate && err.kind === 'retryable') mayExist = true;
        // Bybit accepts asynchronously, so after a duplicate answer the order may take a moment to show.
        const found = await this.#lookUpAfterFailure(req.symbol, req.orderLinkId, duplicate ? 4 : 1);
        if (found !== null) {
          this.counters.duplicatesResolved++;
          return { value: { duplicate: found } };
        }
        if (err.retCode === RETCODE.duplicateOrderLinkId) {
          throw new ExchangeError(`order ${req.orderLinkId}: Bybit says the orderLinkId is taken but does not show the order`, 'retryable', err.retCode, err.retMsg);
        }
      }
      return undefined;
    });
    if (typeof result === 'object' && result !== null && 'duplicate' in result) {
      const orderId = String((result as { duplicate: string }).duplicate);
      this.#log.info('order already placed by an earlier attempt', { orderLinkId: req.orderLinkId, orderId });
      return { status: 'duplicate', orderId };
    }
    const created = v.safeParse(WireOrderCreated, result);
    if (created.success) return { status: 'placed', orderId: created.output.orderId };
    // retCode 0 means Bybit took the order, but the answer lacks its orderId: find it by our id rather
    // than report a refusal (the engine would forget an order that is live on the exchange).
    this.#log.error('Bybit accepted an order but its answer has no orderId; looking it up', { orderLinkId: req.orderLinkId, result: sanitise(JSON.stringify(result) ?? 'undefined', this.#secrets).slice(0, 200) });
    const found = await this.#lookUpAfterFailure(req.symbol, req.orderLinkId, 2);
    if (found !== null) return { status: 'placed', orderId: found };
    throw new ExchangeError(`POST /v5/order/create: order ${req.orderLinkId} accepted (retCode 0) without an orderId and not found by its orderLinkId yet; outcome unknown`, 'retryable');
  }

  /** Looks an order up (each look-up with its own retries); null when Bybit does not know it (yet). */
  async #lookUpAfterFailure(symbol: string, orderLinkId: string, tries: number): Promise<string | null> {
    for (let i = 0; i < tries; i++) {
      if (i > 0) await this.#sleep(backoffDelayMs(i, this.#retry, this.#random));
      try {
        const order = await this.fetchOrder(symbol, orderLinkId);
        if (order !== null && order.orderId !== null) return order.orderId;
      } catch (err) {
        this.#log.warn('order look-up failed', { orderLinkId, error: errorText(err) });
      }
    }
    return null;
  }

  async amendOrder(req: AmendRequest): Promise<void> {
    const params: Params = { category: CATEGORY, symbol: req.symbol, orderLinkId: req.orderLinkId };
    if (req.qty !== undefined) params['qty'] = money(req.qty);
    if (req.price !== undefined) params['price'] = money(req.price);
    if (req.stopLoss !== undefined) params['stopLoss'] = money(req.stopLoss);
    if (req.takeProfit !== undefined) params['takeProfit'] = money(req.takeProfit);
    await this.#call('POST', '/v5/order/amend', true, params);
  }

  async cancelOrder(symbol: string, orderLinkId: string): Promise<boolean> {
    let uncertain = false;
    const GONE: ReadonlySet<number | null> = new Set([RETCODE.orderNotFound, RETCODE.orderFilled, RETCODE.orderCancelled]);
    const result = await this.#call('POST', '/v5/order/cancel', true, { category: CATEGORY, symbol, orderLinkId }, async (err) => {
      if (isAmbiguous(err)) uncertain = true;
      if (!GONE.has(err.retCode)) return undefined;
      if (!uncertain) return { value: false };
      // An earlier attempt may have been the one that cancelled it.
      const order = await this.fetchOrder(symbol, orderLinkId).catch(() => null);
      return { value: order?.status === 'cancelled' };
    });
    return result !== false;
  }

  async cancelAllOrders(symbol: string): Promise<void> {
    await this.#call('POST', '/v5/order/cancel-all', true, { category: CATEGORY, symbol });
  }

  async setLeverage(symbol: string, leverage: Decimal): Promise<void> {
    const lev = money(leverage);
    await this.#call('POST', '/v5/position/set-leverage', true, { category: CATEGORY, symbol, buyLeverage: lev, sellLeverage: lev }, async (err) =>
      // 110043 "leverage not modified": it already is what we want (reference section 3).
      err.retCode === RETCODE.leverageNotModified ? { value: null } : undefined,
    );
  }

  /** Position TP/SL/trailing: Bybit's docs require positionIdx and tpslMode, which ccxt omits (reference section 3). */
  async setTradingStop(req: TradingStopRequest): Promise<void> {
    const params: Params = { category: CATEGORY, symbol: req.symbol, positionIdx: 0, tpslMode: 'Full' };
    if (req.stopLoss !== undefined) params['stopLoss'] = money(req.stopLoss);
    if (req.takeProfit !== undefined) params['takeProfit'] = money(req.takeProfit);
    if (req.trailingStop !== undefined) params['trailingStop'] = money(req.trailingStop);
    if (req.activePrice !== undefined) params['activePrice'] = money(req.activePrice);
    await this.#call('POST', '/v5/position/trading-stop', true, params, async (err) =>
      // 34040 "not modified": the stop is already where we want it.
      err.retCode === RETCODE.tpslNotModified ? { value: null } : undefined,
    );
  }
}

function sortFills(fills: readonly Fill[]): Fill[] {
  const seen = new Set<string>();
  return fills
    .filter((f) => (seen.has(f.execId) ? false : (seen.add(f.execId), true)))
    .sort((a, b) => a.ts - b.ts || (a.execId < b.execId ? -1 : a.execId > b.execId ? 1 : 0));
}
