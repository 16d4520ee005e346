/**
 * How a `Simulator` is set up (DESIGN section 5 defaults: Bybit linear fees, fills at the next path
 * point), and the error a bad set-up raises.
 */
import type { Instrument } from '../domain/types.js';

/** How market orders meet the price: at the next path point (backtest) or at once at the touch (sandbox). */
export type MarketFillMode = 'nextPrice' | 'touch';

export class SimConfigError extends Error {
  override name = 'SimConfigError';
}

export interface SimConfig {
  readonly instruments?: readonly Instrument[];
  /** Candle interval per symbol, for path times; default 60 000 ms. */
  readonly intervalMs?: number;
  /** USDT wallet balance at the start; default 10 000. */
  readonly initialBalance?: string | number;
  /** Default 0.0002 (0.02 %, Bybit linear maker). */
  readonly makerFeeRate?: string | number;
  /** Default 0.00055 (0.055 %, Bybit linear taker). */
  readonly takerFeeRate?: string | number;
  /** Default 10. */
  readonly defaultLeverage?: string | number;
  /** Against the taker, in basis points of price; default 0. */
  readonly slippageBps?: number;
  /** Default 'nextPrice' (backtest rule); the sandbox uses 'touch'. */
  readonly marketFill?: MarketFillMode;
  /** Fraction filled per fill event, or null for whole fills (default). */
  readonly partialFillRatio?: number | null;
  /**
   * A thin book: a market order finds only this share (0 < r < 1) of its quantity at the touch and,
   * being IOC on Bybit, has the rest cancelled. Null (default): the book is deep enough.
   */
  readonly thinBookRatio?: number | null;
  /** Seed of the id generator; default 1. */
  readonly seed?: number;
  /** Time stamped on orders and executions; default the market time of the last price move. */
  readonly clock?: () => number;
  /** How many finished orders and executions are kept for queries; default 10 000. */
  readonly historyLimit?: number;
}

/** A ratio strictly between 0 and 1, or null for "off". */
export function checkRatio(name: string, ratio: number | null): number | null {
  if (ratio !== null && !(ratio > 0 && ratio < 1)) throw new SimConfigError(`${name} must be between 0 and 1 (exclusive), got ${ratio}`);
  return ratio;
}
