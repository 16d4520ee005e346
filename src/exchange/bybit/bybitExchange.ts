/**
 * The live ExchangePort (src/engine/exchangePort.ts) for Bybit linear USDT perpetuals: REST through
 * ./bybitRest.ts, pushes through ./bybitStreams.ts, instrument rules reloaded by each `loadInstruments`
 * (the `instrumentRefresh` schedule of `run`). Testnet,
 * demo, mainnet, or any base URL (the sandbox: `restUrl` alone moves REST and both streams there).
 *
 * Start-up (the first `loadInstruments` with keys) also reads the account's margin mode and position
 * mode (issue 20 item 3): hedge mode is refused with how to switch (the engine keeps one position per
 * symbol), and the margin mode is logged; an isolated-margin wallet's empty totals are read from the
 * USDT coin (./wireToDomain.ts balanceFromWire).
 *
 * Wiring, in `run`: measure the clock first (ClockService), then
 *   const exchange = createBybitExchange({ network, restUrl, credentials, clock, logger });
 *   await exchange.loadInstruments(symbols);
 *   await exchange.subscribe(markets, events);   // before reconciling with fetchFills
 */
import type { Decimal } from '../../domain/money.js';
import type { Candle, Fill, Instrument, Mode, Order, Position } from '../../domain/types.js';
import type {
  AmendRequest,
  Balance,
  BookTop,
  ExchangeEvents,
  ExchangePort,
  FeeRate,
  MarketSubscription,
  OrderRequest,
  PlaceResult,
  TradingStopRequest,
} from '../../engine/exchangePort.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { bybitUrls, type BybitNetwork, type BybitUrls } from './bybitUrls.js';
import type { BybitCredentials } from './bybitCredentials.js';
import { hedgeModeError } from './bybitAccount.js';
import { BybitRest } from './bybitRest.js';
import type { RestCounters, RestPause, RetryPolicy } from './restPipeline.js';
import { BybitStreams, type BybitStreamsOptions, type StreamCounters } from './bybitStreams.js';
import type { SigningClock } from './signingClock.js';
import type { WsTiming } from './wsTiming.js';

/** The streams' tuning (staleness, gap polling, book depth…) passes straight through. */
export interface BybitExchangeOptions extends Pick<BybitStreamsOptions, 'publicDataStaleAfterMs' | 'gapPollMs' | 'resyncTimeoutMs' | 'bookDepth' | 'klineRetryMs'> {
  readonly network: BybitNetwork;
  /** Override the REST base (the sandbox, a proxy); the streams follow unless given too. */
  readonly restUrl?: string | null;
  readonly wsPublicUrl?: string | null;
  readonly wsPrivateUrl?: string | null;
  /** Null: market data only (paper mode, downloads). */
  readonly credentials: BybitCredentials | null;
  /** The corrected clock with its drift gate (a started ClockService). */
  readonly clock: SigningClock;
  /** Default `bybit-<network>`, or `bybit-custom` with a restUrl. */
  readonly name?: string;
  readonly recvWindowMs?: number;
  readonly requestTimeoutMs?: number;
  /** Reload instrument rules this often; 0 (the default) turns it off: `run` reloads them on its `instrumentRefresh` schedule. */
  readonly instrumentRefreshMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** WebSocket timing (ping 20 s, pong deadline 10 s, backoff 0.5-30 s …). */
  readonly ws?: Partial<WsTiming>;
  readonly logger?: Logger;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How long every REST call pauses after an HTTP 403; default 10 min (Bybit's rule). Tests only. */
  readonly ipBanPauseMs?: number;
  /** Told once when that pause starts (the notification). */
  readonly onRestPause?: (pause: RestPause) => void;
}

export interface BybitExchangeCounters {
  readonly rest: RestCounters;
  readonly streams: StreamCounters;
}

/** Which Bybit network serves a config mode; paper trades locally on mainnet's public data. */
export function bybitNetworkForMode(mode: Mode): BybitNetwork {
  return mode === 'paper' ? 'mainnet' : mode;
}

export class BybitExchange implements ExchangePort {
  readonly name: string;
  readonly urls: BybitUrls;
  readonly #rest: BybitRest;
  readonly #streams: BybitStreams;
  readonly #log: Logger;
  readonly #refreshMs: number;
  readonly #clockNow: () => number;
  #refreshTimer: NodeJS.Timeout | null = null;
  readonly #signed: boolean;
  #accountChecked = false;

  constructor(opts: BybitExchangeOptions) {
    this.urls = bybitUrls(opts.network, opts);
    this.name = opts.name ?? (opts.restUrl ? 'bybit-custom' : `bybit-${opts.network}`);
    this.#log = (opts.logger ?? silentLogger).child(this.name);
    this.#refreshMs = opts.instrumentRefreshMs ?? 0;
    this.#clockNow = () => opts.clock.now();
    this.#signed = opts.credentials !== null;
    this.#rest = new BybitRest({
      urls: this.urls,
      credentials: opts.credentials,
      clock: opts.clock,
      logger: this.#log,
      ...(opts.recvWindowMs !== undefined ? { recvWindowMs: opts.recvWindowMs } : {}),
      ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
      ...(opts.retry !== undefined ? { retry: opts.retry } : {}),
      ...(opts.random !== undefined ? { random: opts.random } : {}),
      ...(opts.sleep !== undefined ? { sleep: opts.sleep } : {}),
      ...(opts.ipBanPauseMs !== undefined ? { ipBanPauseMs: opts.ipBanPauseMs } : {}),
      ...(opts.onRestPause !== undefined ? { onRestPause: opts.onRestPause } : {}),
    });
    this.#streams = new BybitStreams({
      wsPublicUrl: this.urls.wsPublic,
      wsPrivateUrl: this.urls.wsPrivate,
      credentials: opts.credentials,
      clock: opts.clock,
      rest: this.#rest,
      logger: this.#log,
      ...(opts.ws !== undefined ? { timing: opts.ws } : {}),
      ...(opts.publicDataStaleAfterMs !== undefined ? { publicDataStaleAfterMs: opts.publicDataStaleAfterMs } : {}),
      ...(opts.gapPollMs !== undefined ? { gapPollMs: opts.gapPollMs } : {}),
      ...(opts.resyncTimeoutMs !== undefined ? { resyncTimeoutMs: opts.resyncTimeoutMs } : {}),
      ...(opts.bookDepth !== undefined ? { bookDepth: opts.bookDepth } : {}),
      ...(opts.klineRetryMs !== undefined ? { klineRetryMs: opts.klineRetryMs } : {}),
      ...(opts.random !== undefined ? { random: opts.random } : {}),
    });
  }

  /** The instrument rules loaded so far (each `loadInstruments` reloads them). */
  get instruments(): ReadonlyMap<string, Instrument> {
    return this.#rest.instruments;
  }

  instrument(symbol: string): Instrument | null {
    return this.#rest.instruments.get(symbol) ?? null;
  }

  counters(): BybitExchangeCounters {
    return { rest: { ...this.#rest.counters }, streams: this.#streams.counters() };
  }

  /** The streamed order book of a symbol (for tests and diagnostics). */
  orderBook(symbol: string): ReturnType<BybitStreams['book']> {
    return this.#streams.book(symbol);
  }

  async loadInstruments(symbols: readonly string[]): Promise<ReadonlyMap<string, Instrument>> {
    const out = await this.#rest.loadInstruments(symbols);
    if (this.#signed && !this.#accountChecked) {
      const modes = await this.#rest.fetchAccountModes(symbols);
      if (modes.positionMode === 'hedge') throw hedgeModeError(modes.hedgeSymbol ?? symbols[0] ?? '');
      this.#accountChecked = true;
      this.#log.info('account read', { marginMode: modes.marginMode === '' ? 'not stated' : modes.marginMode, positionMode: 'one-way' });
    }
    if (this.#refreshTimer === null && this.#refreshMs > 0) {
      this.#refreshTimer = setInterval(() => {
        this.#rest.refreshInstruments().catch((err: unknown) => this.#log.warn('instrument refresh failed', { error: err instanceof Error ? err.message : String(err) }));
      }, this.#refreshMs);
      this.#refreshTimer.unref();
    }
    return out;
  }

  fetchBalance(): Promise<Balance> {
    return this.#rest.fetchBalance();
  }

  fetchFeeRates(symbols: readonly string[]): Promise<ReadonlyMap<string, FeeRate>> {
    return this.#rest.fetchFeeRates(symbols);
  }

  fetchPositions(symbols: readonly string[]): Promise<readonly Position[]> {
    return this.#rest.fetchPositions(symbols);
  }

  fetchOpenOrders(symbol: string): Promise<readonly Order[]> {
    return this.#rest.fetchOpenOrders(symbol);
  }

  fetchOrder(symbol: string, orderLinkId: string): Promise<Order | null> {
    return this.#rest.fetchOrder(symbol, orderLinkId);
  }

  /** Fills returned here are never pushed again by the stream (one delivery per execId). */
  async fetchFills(symbol: string, sinceMs: number): Promise<readonly Fill[]> {
    const fills = await this.#rest.fetchFills(symbol, sinceMs);
    this.#streams.markFillsSeen(fills);
    return fills;
  }

  /** From the REST ticker (best bid and ask), so it is live even where no book stream is open. */
  async fetchBookTop(symbol: string): Promise<BookTop | null> {
    const t = (await this.#rest.fetchTickers(symbol)).find((x) => x.symbol === symbol);
    if (t === undefined || t.bidPrice === null || t.askPrice === null) return null;
    return { symbol, bidPrice: t.bidPrice.toNumber(), bidQty: 0, askPrice: t.askPrice.toNumber(), askQty: 0, ts: this.#clockNow() };
  }

  fetchCandles(symbol: string, intervalMinutes: number, sinceMs: number, limit: number): Promise<readonly Candle[]> {
    return this.#rest.fetchCandles(symbol, intervalMinutes, sinceMs, limit);
  }

  placeOrder(request: OrderRequest): Promise<PlaceResult> {
    return this.#rest.placeOrder(request);
  }

  amendOrder(request: AmendRequest): Promise<void> {
    return this.#rest.amendOrder(request);
  }

  cancelOrder(symbol: string, orderLinkId: string): Promise<boolean> {
    return this.#rest.cancelOrder(symbol, orderLinkId);
  }

  cancelAllOrders(symbol: string): Promise<void> {
    return this.#rest.cancelAllOrders(symbol);
  }

  setLeverage(symbol: string, leverage: Decimal): Promise<void> {
    return this.#rest.setLeverage(symbol, leverage);
  }

  setTradingStop(request: TradingStopRequest): Promise<void> {
    return this.#rest.setTradingStop(request);
  }

  subscribe(markets: readonly MarketSubscription[], events: ExchangeEvents): Promise<void> {
    return this.#streams.start(markets, events);
  }

  async close(): Promise<void> {
    if (this.#refreshTimer !== null) clearInterval(this.#refreshTimer);
    this.#refreshTimer = null;
    this.#rest.close();
    await this.#streams.close();
  }
}

export function createBybitExchange(opts: BybitExchangeOptions): BybitExchange {
  return new BybitExchange(opts);
}
