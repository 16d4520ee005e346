/**
 * ExchangePort: everything the engine needs from an exchange, and nothing else. Implemented by the
 * Bybit adapter (live: testnet, demo, mainnet, or the sandbox) and by the in-process simulator
 * (paper mode and the backtester), so live, paper and backtest run the same engine code.
 *
 * Money is Decimal throughout. Every method either resolves or rejects with an `ExchangeError`
 * (src/domain/exchangeErrors.ts) whose `kind` says whether retrying can help.
 */
import type { Decimal } from '../domain/money.js';
import type { Candle, Fill, Instrument, Order, OrderType, Position, Side, TimeInForce } from '../domain/types.js';
import type { BookTop as StrategyBookTop } from '../strategies/strategy.js';

export interface OrderRequest {
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  /** Already rounded to the instrument's qtyStep. */
  readonly qty: Decimal;
  /** Limit price, already rounded to tickSize; null for market orders. */
  readonly price: Decimal | null;
  readonly timeInForce: TimeInForce;
  readonly reduceOnly: boolean;
  /** Deterministic client id (≤ 36 of [A-Za-z0-9_-]) with the bot's prefix; the idempotency key. */
  readonly orderLinkId: string;
  /** Attached protection (Bybit takeProfit/stopLoss on the order, tpslMode Full). */
  readonly stopLoss: Decimal | null;
  readonly takeProfit: Decimal | null;
}

export type PlaceResult =
  | { readonly status: 'placed'; readonly orderId: string }
  /** The orderLinkId was already used: the earlier attempt reached the exchange; this is its order. */
  | { readonly status: 'duplicate'; readonly orderId: string };

export interface AmendRequest {
  readonly symbol: string;
  readonly orderLinkId: string;
  readonly qty?: Decimal;
  readonly price?: Decimal;
  readonly stopLoss?: Decimal;
  readonly takeProfit?: Decimal;
}

/** Position-level protection (Bybit POST /v5/position/trading-stop, positionIdx 0, tpslMode Full). "0" clears. */
export interface TradingStopRequest {
  readonly symbol: string;
  readonly stopLoss?: Decimal;
  readonly takeProfit?: Decimal;
  /** Trailing distance in price units; 0 clears. */
  readonly trailingStop?: Decimal;
  /** Price at which the trailing stop activates. */
  readonly activePrice?: Decimal;
}

/** A symbol's fee rates as fractions (0.00055 = 0.055 %); negative maker = rebate. */
export interface FeeRate {
  readonly taker: Decimal;
  readonly maker: Decimal;
}

export interface Balance {
  readonly equity: Decimal;
  readonly walletBalance: Decimal;
  readonly available: Decimal;
}

/** Best bid and ask with sizes (the strategies' BookTop), for one symbol. */
export interface BookTop extends StrategyBookTop {
  readonly symbol: string;
}

/** One row of Bybit's linear tickers (REST `market/tickers`), for the scanner and the spread guard. */
export interface MarketTicker {
  readonly symbol: string;
  readonly lastPrice: Decimal;
  /** Null when the book is empty on that side. */
  readonly bidPrice: Decimal | null;
  readonly askPrice: Decimal | null;
  /** Quote-coin value traded over 24 h. */
  readonly turnover24h: Decimal;
  /** The current funding rate as a fraction (0.0001 = 0.01 %); null where none applies (futures). */
  readonly fundingRate: Decimal | null;
}

/** One instrument of Bybit's linear list (REST `market/instruments-info`), as the scanner reads it. */
export interface Listing {
  readonly symbol: string;
  /** LinearPerpetual, LinearFutures, ... */
  readonly contractType: string;
  /** Trading, PreLaunch, Settling, ... */
  readonly status: string;
  readonly quoteCoin: string;
  readonly minOrderQty: Decimal;
  /** Smallest order value in the quote coin (Bybit's minNotionalValue). */
  readonly minNotional: Decimal;
}

export type StreamName = 'public' | 'private';
export type StreamHealth = 'open' | 'stale' | 'reconnecting' | 'closed';

/** Pushes from the exchange. Each fill is delivered exactly once (de-duplicated by execId). */
export interface ExchangeEvents {
  /** A candle; `confirmed` marks the closed candle (decisions are made only on those). */
  onCandle?(symbol: string, intervalMinutes: number, candle: Candle, confirmed: boolean): void;
  onBookTop?(top: BookTop): void;
  onOrder?(order: Order): void;
  onFill?(fill: Fill): void;
  onPosition?(position: Position): void;
  onBalance?(balance: Balance): void;
  onStreamHealth?(stream: StreamName, health: StreamHealth, detail: string): void;
}

export interface MarketSubscription {
  readonly symbol: string;
  readonly intervalMinutes: number;
  /** Order-book top of book as well (the market maker). */
  readonly book: boolean;
  /**
   * Open time of the last confirmed candle the engine already has (e.g. from its warm-up
   * `fetchCandles`). Every confirmed candle after it is delivered, the first ones from REST if the
   * stream starts later. Omitted: delivery starts with the first confirmed candle streamed.
   */
  readonly afterCandleTs?: number;
}

export interface ExchangePort {
  /** e.g. "bybit-testnet", "bybit-sandbox", "paper". */
  readonly name: string;
  loadInstruments(symbols: readonly string[]): Promise<ReadonlyMap<string, Instrument>>;
  /**
   * The newest rules loaded for a symbol (a later `loadInstruments` replaces them: Bybit changes
   * steps, limits and status); the engine reads them at each closed candle. Absent where the rules
   * never change (the simulator).
   */
  instrument?(symbol: string): Instrument | null;
  fetchBalance(): Promise<Balance>;
  /** The account's own fee rates per symbol (Bybit GET /v5/account/fee-rate); absent for the simulator, which uses the paper fees. */
  fetchFeeRates?(symbols: readonly string[]): Promise<ReadonlyMap<string, FeeRate>>;
  fetchPositions(symbols: readonly string[]): Promise<readonly Position[]>;
  fetchOpenOrders(symbol: string): Promise<readonly Order[]>;
  /** Looks an order up by our id (open or recently closed); null when the exchange does not know it. */
  fetchOrder(symbol: string, orderLinkId: string): Promise<Order | null>;
  /** Executions since a time, oldest first (to record fills that happened while the bot was down). */
  fetchFills(symbol: string, sinceMs: number): Promise<readonly Fill[]>;
  /**
   * The live best bid and ask (the spread guard checks it before a market entry); null where there
   * is no live book (the backtester).
   */
  fetchBookTop(symbol: string): Promise<BookTop | null>;
  /**
   * The best bid and ask a new order is matched against, where that is not the live book above
   * (the simulator: its own synthetic book, in the backtest and paper mode); absent: `fetchBookTop`.
   * A post-only limit entry is priced so that it does not cross it.
   */
  fetchMatchingTop?(symbol: string): Promise<BookTop | null>;
  /** Closed candles from `sinceMs` (candle open time), ascending, at most `limit`. */
  fetchCandles(symbol: string, intervalMinutes: number, sinceMs: number, limit: number): Promise<readonly Candle[]>;
  /** Idempotent by orderLinkId: a retry after a timeout never creates a second order. */
  placeOrder(request: OrderRequest): Promise<PlaceResult>;
  amendOrder(request: AmendRequest): Promise<void>;
  /** Resolves false when the order was already gone (filled or cancelled). */
  cancelOrder(symbol: string, orderLinkId: string): Promise<boolean>;
  cancelAllOrders(symbol: string): Promise<void>;
  setLeverage(symbol: string, leverage: Decimal): Promise<void>;
  setTradingStop(request: TradingStopRequest): Promise<void>;
  /** Starts the streams (public market data for `markets`, private account pushes). */
  subscribe(markets: readonly MarketSubscription[], events: ExchangeEvents): Promise<void>;
  close(): Promise<void>;
}
