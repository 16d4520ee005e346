/**
 * The backtest's input and result types (src/backtest/runBacktest.ts runs it), apart so that the
 * runner and the window replay can share them.
 */
import type { JournalRecord } from '../domain/journalRecord.js';
import type { Decimal } from '../domain/money.js';
import type { Candle, Instrument } from '../domain/types.js';
import type { EngineSettings } from '../engine/ports.js';
import type { Strategy } from '../strategies/strategy.js';
import type { Logger } from '../util/logger.js';
import type { CandleSource } from './candleSource.js';
import type { CandleTimes } from './candleTimes.js';
import type { CurveValues } from './curveValues.js';

export class BacktestError extends Error {
  override name = 'BacktestError';
}

/** Fees and slippage in percent, and the starting balance (config `paper`). */
export interface BacktestCosts {
  readonly startBalanceUsdt: number;
  readonly makerFeePct: number;
  readonly takerFeePct: number;
  readonly slippagePct: number;
}

export interface BacktestInput {
  /**
   * All candles available, ascending; those before the window are warm-up history. A source
   * streams them (a file is never held whole); an array is played as it is.
   */
  readonly candles: readonly Candle[] | CandleSource;
  readonly intervalMinutes: number;
  /** Engine settings holding exactly one symbol entry: the one backtested. */
  readonly settings: EngineSettings;
  /** A fresh strategy instance for that symbol (it keeps indicator state). */
  readonly strategy: Strategy;
  readonly costs: BacktestCosts;
  /** First candle of the window (open time, inclusive); default: right after the warm-up. */
  readonly fromMs?: number;
  /** End of the window (open time, exclusive); default: the end of the data. */
  readonly toMs?: number;
  /** Default: derived from the symbol and the first price (src/sim/instruments.ts). */
  readonly instrument?: Instrument;
  readonly logger?: Logger;
  /** Called as the candles stream in (about every 140), with the number read so far. */
  readonly onProgress?: (candlesRead: number) => void;
}

/** One closed trade, money rounded to 1e-8 (DESIGN section 4). `pnl` is net of `fees`. */
export interface BacktestTrade {
  readonly side: 'long' | 'short';
  readonly entryTs: number;
  readonly entryPrice: number;
  readonly exitTs: number;
  readonly exitPrice: number;
  readonly qty: number;
  readonly fees: number;
  readonly pnl: number;
  readonly exitReason: string;
}

export interface BacktestRun {
  readonly symbol: string;
  readonly strategy: Strategy['name'];
  readonly intervalMinutes: number;
  /** Open time of the first and last candle of the window. */
  readonly fromTs: number;
  readonly toTs: number;
  readonly candles: number;
  readonly warmupCandles: number;
  readonly startEquity: number;
  /** Open time of each window candle. */
  readonly times: CandleTimes;
  /** Equity at each window candle's close (1e-8), the curve the metrics are computed from. */
  readonly equity: CurveValues;
  /** The maker only (empty otherwise): signed position size in base units at each candle's close (long > 0). */
  readonly inventory: CurveValues;
  readonly trades: readonly BacktestTrade[];
  /** Sum of fees paid, exact. */
  readonly fees: Decimal;
  /** Final equity minus starting equity, exact. */
  readonly netPnl: Decimal;
  /** Window candles at whose close a position was open. */
  readonly exposedCandles: number;
  /** Every journal record, for parity checks against paper mode. */
  readonly journal: readonly JournalRecord[];
  /** Protection locks and other warnings the engine raised (e.g. "Entries stopped: drawdown"). */
  readonly notes: readonly string[];
  /** Wall time of the candle loop alone (start-up excluded). */
  readonly loopMs: number;
  readonly wallMs: number;
}
