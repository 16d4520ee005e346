/**
 * Bybit V5 REST over ccxt's Bybit class (issue 4, item 2): the one object the adapter and the streams
 * talk to. Its parts:
 *
 * - ./restPipeline.ts: pacing, signing with the corrected clock, error mapping, retries with backoff,
 *   wire parsing (ccxt set up by ./createCcxtBybit.ts);
 * - ./bybitMarketData.ts: instrument rules and price limits, candles;
 * - ./bybitAccount.ts: balance, positions, orders, executions;
 * - ./bybitOrders.ts: place (idempotent by orderLinkId), amend, cancel, leverage, trading stops.
 */
import type { Decimal } from '../../domain/money.js';
import type { Candle, Fill, Instrument, Order, Position } from '../../domain/types.js';
import type { AmendRequest, Balance, FeeRate, Listing, MarketTicker, OrderRequest, PlaceResult, TradingStopRequest } from '../../engine/exchangePort.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { BybitAccount, type AccountModes } from './bybitAccount.js';
import type { BybitCredentials } from './bybitCredentials.js';
import { BybitMarketData } from './bybitMarketData.js';
import { BybitOrders } from './bybitOrders.js';
import type { BybitUrls } from './bybitUrls.js';
import { DEFAULT_RETRY, RestPipeline, type RestCounters, type RestPause, type RetryPolicy } from './restPipeline.js';
import type { SigningClock } from './signingClock.js';
import type { PriceBand } from './wireToDomain.js';

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
  /** The pause of every REST call after an HTTP 403 (Bybit's rule: 10 min, the default). */
  readonly ipBanPauseMs?: number;
  /** Told once when such a pause starts. */
  readonly onRestPause?: (pause: RestPause) => void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class BybitRest {
  readonly counters: RestCounters = { requests: 0, retries: 0, clockRemeasures: 0, rateLimited: 0, duplicatesResolved: 0 };
  readonly #rest: RestPipeline;
  readonly #market: BybitMarketData;
  readonly #account: BybitAccount;
  readonly #orders: BybitOrders;

  constructor(opts: BybitRestOptions) {
    const logger = opts.logger ?? silentLogger;
    this.#rest = new RestPipeline({
      urls: opts.urls,
      credentials: opts.credentials,
      clock: opts.clock,
      recvWindowMs: opts.recvWindowMs,
      requestTimeoutMs: opts.requestTimeoutMs,
      retry: { ...DEFAULT_RETRY, ...opts.retry },
      logger,
      random: opts.random ?? Math.random,
      sleep: opts.sleep ?? defaultSleep,
      counters: this.counters,
      ...(opts.ipBanPauseMs !== undefined ? { ipBanPauseMs: opts.ipBanPauseMs } : {}),
      ...(opts.onRestPause !== undefined ? { onRestPause: opts.onRestPause } : {}),
    });
    this.#market = new BybitMarketData(this.#rest);
    this.#account = new BybitAccount(this.#rest, () => opts.clock.now(), (symbol) => this.#market.priceBand(symbol));
    this.#orders = new BybitOrders({
      rest: this.#rest,
      instruments: this.#market.instruments,
      fetchOrder: (symbol, orderLinkId) => this.fetchOrder(symbol, orderLinkId),
      logger,
      counters: this.counters,
    });
  }

  get instruments(): ReadonlyMap<string, Instrument> {
    return this.#market.instruments;
  }

  /** Bybit's price limits of a loaded instrument (priceFilter.minPrice/maxPrice), or null. */
  priceBand(symbol: string): PriceBand | null {
    return this.#market.priceBand(symbol);
  }

  close(): void {
    this.#rest.close();
  }

  // ---- market data ----

  loadInstruments(symbols: readonly string[]): Promise<ReadonlyMap<string, Instrument>> {
    return this.#market.loadInstruments(symbols);
  }

  /** Reloads the rules of every instrument loaded so far (Bybit changes tick sizes and limits). */
  refreshInstruments(): Promise<void> {
    return this.#market.refreshInstruments();
  }

  /** Closed candles from `sinceMs`, ascending, at most `limit` (./bybitMarketData.ts says how). */
  fetchCandles(symbol: string, intervalMinutes: number, sinceMs: number, limit: number): Promise<Candle[]> {
    return this.#market.fetchCandles(symbol, intervalMinutes, sinceMs, limit);
  }

  /** Candles whose open time lies in [fromMs, toMs], all known to be closed (the caller saw a later one). */
  fetchCandlesBetween(symbol: string, intervalMinutes: number, fromMs: number, toMs: number): Promise<Candle[]> {
    return this.#market.fetchCandlesBetween(symbol, intervalMinutes, fromMs, toMs);
  }

  /** Every linear instrument Bybit lists, all pages (the scanner). */
  listInstruments(pageLimit?: number): Promise<Listing[]> {
    return this.#market.listInstruments(pageLimit);
  }

  /** The linear tickers: every symbol's, or one symbol's. */
  fetchTickers(symbol?: string): Promise<MarketTicker[]> {
    return this.#market.fetchTickers(symbol);
  }

  /** The newest `count` closed candles, ascending. */
  recentCandles(symbol: string, intervalMinutes: number, count: number): Promise<Candle[]> {
    return this.#market.recentCandles(symbol, intervalMinutes, count);
  }

  // ---- account ----

  fetchBalance(): Promise<Balance> {
    return this.#account.fetchBalance();
  }

  fetchFeeRates(symbols: readonly string[]): Promise<Map<string, FeeRate>> {
    return this.#account.fetchFeeRates(symbols);
  }

  fetchPositions(symbols: readonly string[]): Promise<Position[]> {
    return this.#account.fetchPositions(symbols);
  }

  /** Margin mode and position mode (./bybitAccount.ts). */
  fetchAccountModes(symbols: readonly string[]): Promise<AccountModes> {
    return this.#account.fetchAccountModes(symbols);
  }

  fetchOpenOrders(symbol: string): Promise<Order[]> {
    return this.#account.fetchOpenOrders(symbol);
  }

  /** By our orderLinkId: live orders first (realtime), then history; null when Bybit does not know it. */
  fetchOrder(symbol: string, orderLinkId: string): Promise<Order | null> {
    return this.#account.fetchOrder(symbol, orderLinkId);
  }

  /** Executions since `sinceMs`, oldest first, in Bybit's 7-day windows up to now. */
  fetchFills(symbol: string, sinceMs: number): Promise<Fill[]> {
    return this.#account.fetchFills(symbol, sinceMs);
  }

  /** The newest executions, back to `stopBeforeMs` when given (./bybitAccount.ts says why). */
  recentFills(symbol: string, stopBeforeMs: number | null, maxPages?: number): Promise<Fill[]> {
    return this.#account.recentFills(symbol, stopBeforeMs, maxPages);
  }

  // ---- trading ----

  placeOrder(req: OrderRequest): Promise<PlaceResult> {
    return this.#orders.placeOrder(req);
  }

  amendOrder(req: AmendRequest): Promise<void> {
    return this.#orders.amendOrder(req);
  }

  cancelOrder(symbol: string, orderLinkId: string): Promise<boolean> {
    return this.#orders.cancelOrder(symbol, orderLinkId);
  }

  cancelAllOrders(symbol: string): Promise<void> {
    return this.#orders.cancelAllOrders(symbol);
  }

  setLeverage(symbol: string, leverage: Decimal): Promise<void> {
    return this.#orders.setLeverage(symbol, leverage);
  }

  /** Position TP/SL/trailing (./bybitOrders.ts). */
  setTradingStop(req: TradingStopRequest): Promise<void> {
    return this.#orders.setTradingStop(req);
  }
}
