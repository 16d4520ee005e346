/**
 * The interface the engine drives for every strategy (STYLE point 3): a closed candle, or for the
 * market maker a top-of-book snapshot, plus read-only position info and the current time in; an
 * `Intent` (DESIGN section 2, src/domain/types.ts) or null out. Strategies do no I/O and never read
 * the clock themselves, so backtest, paper and live run them identically. One instance per symbol;
 * it owns its indicator state.
 */
import type { Candle, Intent, Position, PositionSide, StrategyName } from '../domain/types.js';

/**
 * What a strategy may know about the open position in its symbol, as plain numbers for strategy
 * maths. Build it with `positionView`, the one place Decimal becomes number here (STYLE point 8).
 */
export interface PositionView {
  /** null when flat. */
  readonly side: PositionSide | null;
  /** Absolute size in base units; 0 when flat. */
  readonly sizeBase: number;
  /** Average entry price; 0 when flat. */
  readonly entryPrice: number;
}

export const FLAT: PositionView = Object.freeze({ side: null, sizeBase: 0, entryPrice: 0 });

/** Converts the engine's Decimal position (or none) into the read-only view strategies see. */
export function positionView(position: Position | null | undefined): PositionView {
  if (!position || position.side === null || position.size.isZero()) return FLAT;
  return { side: position.side, sizeBase: position.size.abs().toNumber(), entryPrice: position.entryPrice.toNumber() };
}

/** Best bid and ask of the order book (Bybit orderbook.1 / tickers), as numbers. */
export interface BookTop {
  readonly bidPrice: number;
  readonly bidQty: number;
  readonly askPrice: number;
  readonly askQty: number;
  /** Exchange timestamp of the snapshot (Unix ms). */
  readonly ts: number;
}

export interface Strategy {
  readonly name: StrategyName;
  readonly symbol: string;
  /** Closed candles the strategy needs before it can decide; the engine preloads this much history. */
  readonly warmupCandles: number;
  /**
   * Called once per closed candle, in time order. A candle whose `ts` is not after the previous one
   * (a stream/REST overlap after a reconnect) is ignored and yields null.
   */
  onCandle(candle: Candle, position: PositionView, nowMs: number): Intent | null;
  /** Called on each top-of-book update. The scalper ignores it (returns null). */
  onBook(top: BookTop, position: PositionView, nowMs: number): Intent | null;
}
