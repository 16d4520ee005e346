/**
 * Types shared by every layer. Prices and quantities that reach an order, a position or the ledger
 * are Decimal (STYLE point 8); candles and indicator values are plain numbers, converted to Decimal
 * in one named place (`toPrice` in ./money.ts).
 */
import type { Decimal } from 'decimal.js';

/** One OHLCV candle; `ts` is the candle's open time in Unix ms UTC (DESIGN section 4). */
export interface Candle {
  readonly ts: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Base-asset volume. */
  readonly volume: number;
}

export type Side = 'buy' | 'sell';
export type PositionSide = 'long' | 'short';
export type OrderType = 'market' | 'limit';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'PostOnly';

export const STRATEGY_NAMES = ['scalper', 'maker'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export const MODES = ['paper', 'testnet', 'demo', 'mainnet'] as const;
export type Mode = (typeof MODES)[number];

/** Exchange trading rules for one symbol (Bybit `instruments-info`, linear). */
export interface Instrument {
  readonly symbol: string;
  readonly baseCoin: string;
  readonly quoteCoin: string;
  readonly tickSize: Decimal;
  readonly qtyStep: Decimal;
  readonly minQty: Decimal;
  readonly maxQty: Decimal;
  readonly maxMarketQty: Decimal;
  readonly minNotional: Decimal;
  readonly maxLeverage: Decimal;
  /** Bybit's `status` (PreLaunch, Trading, Delivering, Closed); absent where there is none (the simulator). */
  readonly status?: string;
}

/** A quote the market maker wants on the book. Numbers: strategy maths, not yet rounded. */
export interface DesiredQuote {
  readonly side: Side;
  readonly price: number;
  readonly qty: number;
  /** 0 for the innermost level. */
  readonly level: number;
}

/**
 * What a strategy asks for. A discriminated union, always with a human-readable `reason`, so that
 * the engine can log why it acted and the owner can see it.
 */
export type Intent =
  | {
      readonly kind: 'enter';
      readonly symbol: string;
      readonly side: PositionSide;
      /** Close time of the candle the decision was made on (Unix ms). */
      readonly decidedAtMs: number;
      /** Price the decision was made at (the candle close). */
      readonly refPrice: number;
      readonly stopLoss: number;
      /** Take-profit prices, nearest first (a ladder of R multiples). */
      readonly targets: readonly number[];
      readonly reason: string;
    }
  | {
      readonly kind: 'exit';
      readonly symbol: string;
      readonly decidedAtMs: number;
      readonly reason: string;
    }
  | {
      readonly kind: 'quote';
      readonly symbol: string;
      readonly decidedAtMs: number;
      readonly quotes: readonly DesiredQuote[];
      readonly reason: string;
    };

export type OrderStatus =
  | 'pending' // known locally, not yet acknowledged by the exchange
  | 'new'
  | 'partiallyFilled'
  | 'filled'
  | 'cancelled'
  | 'rejected'
  | 'lost'; // several look-ups failed to find it

export const TERMINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set(['filled', 'cancelled', 'rejected', 'lost']);

export interface Order {
  readonly orderLinkId: string;
  readonly orderId: string | null;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly price: Decimal | null;
  readonly qty: Decimal;
  readonly reduceOnly: boolean;
  readonly stopLoss: Decimal | null;
  readonly takeProfit: Decimal | null;
  readonly status: OrderStatus;
  readonly filledQty: Decimal;
  readonly avgFillPrice: Decimal | null;
  readonly rejectReason: string | null;
  readonly createdMs: number;
  readonly updatedMs: number;
  /**
   * Set on a conditional order (Bybit `stopOrderType`): a position's own TP/SL/trailing order, which
   * Bybit lists with an empty orderLinkId and status `Untriggered`, or another conditional order.
   */
  readonly conditional?: { readonly kind: ConditionalKind; readonly triggerPrice: Decimal | null };
}

/** Bybit `stopOrderType` of a conditional order, in our words. */
export type ConditionalKind = 'stopLoss' | 'takeProfit' | 'trailingStop' | 'stop';

/**
 * What kind of execution a fill is, when it is not an ordinary trade (Bybit `execType`): `funding`
 * moves money only (qty is the position's size, price the mark price, fee the funding paid, negative
 * when received); the others change the position without an order of ours.
 */
export type FillSource = 'funding' | 'adl' | 'liquidation' | 'blockTrade' | 'movePosition' | 'delivery';

export interface Fill {
  /** Unique per execution; fills are de-duplicated by it. */
  readonly execId: string;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly price: Decimal;
  readonly qty: Decimal;
  /** Positive = paid, negative = rebate. */
  readonly fee: Decimal;
  readonly isMaker: boolean;
  readonly ts: number;
  /**
   * Set when the exchange itself created the closing order because a position's stop loss, take
   * profit or trailing stop triggered (Bybit `stopOrderType`); absent for the bot's own orders.
   */
  readonly trigger?: 'stopLoss' | 'takeProfit' | 'trailingStop';
  /** Absent for an ordinary trade (Bybit execType `Trade`). */
  readonly source?: FillSource;
}

/** One-way position. `side` is null and `size` zero when flat. */
export interface Position {
  readonly symbol: string;
  readonly side: PositionSide | null;
  readonly size: Decimal;
  readonly entryPrice: Decimal;
  readonly stopLoss: Decimal | null;
  readonly takeProfit: Decimal | null;
  readonly trailingStop: Decimal | null;
  readonly unrealisedPnl: Decimal;
  readonly updatedMs: number;
}
