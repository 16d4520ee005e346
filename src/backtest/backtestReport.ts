/**
 * The backtest JSON (DESIGN section 4), exactly that shape:
 * `{ strategy, params, data: {file, symbol, interval, candles, from, to}, metrics: {...}, trades:
 * [...], equity: [[ts, equity], ...], perf: {wallMs, candlesPerSec} }`, plus `inventory` for the
 * market maker (issue 9 item 5; an extension, never a rename). Numbers are plain JSON numbers,
 * money rounded to 1e-8; one equity point per window candle, `ts` = the candle's open time and the
 * equity marked at its close. `data.interval` is in minutes; `data.from` is the open time of the
 * first window candle and `data.to` the close time of the last one (ISO 8601, UTC).
 */
import type { StrategyName } from '../domain/types.js';
import { computeMetrics, type BacktestMetrics } from './metrics.js';
import type { Curve } from './curveValues.js';
import type { BacktestRun, BacktestTrade } from './runBacktest.js';

export interface BacktestReport {
  readonly strategy: StrategyName;
  readonly params: Readonly<Record<string, unknown>>;
  readonly data: {
    readonly file: string;
    readonly symbol: string;
    readonly interval: number;
    readonly candles: number;
    readonly from: string;
    readonly to: string;
  };
  readonly metrics: BacktestMetrics;
  readonly trades: readonly BacktestTrade[];
  readonly equity: readonly (readonly [number, number])[];
  /** The maker only: signed position size (base units, long > 0) at each candle's close. */
  readonly inventory?: readonly (readonly [number, number])[];
  readonly perf: { readonly wallMs: number; readonly candlesPerSec: number };
}

export interface ReportMeta {
  /** The candle file read, or the cache file a download filled. */
  readonly file: string;
  /** The strategy's parameters as run (the config entry's `params`, defaults filled in). */
  readonly params: Readonly<Record<string, unknown>>;
}

export function metricsOf(run: BacktestRun): BacktestMetrics {
  return computeMetrics({
    equity: run.equity,
    tradePnls: run.trades.map((t) => t.pnl),
    startEquity: run.startEquity,
    netPnl: run.netPnl,
    fees: run.fees,
    exposedCandles: run.exposedCandles,
    intervalMinutes: run.intervalMinutes,
  });
}

/** The report without its curves, in the document's key order (the curves follow `trades`). */
export type ReportHead = Omit<BacktestReport, 'equity' | 'inventory'>;

/** The curves of a run the report is written from: one point per window candle. */
export type ReportCurves = Pick<BacktestRun, 'times' | 'equity' | 'inventory'>;

export function reportHead(run: BacktestRun, meta: ReportMeta, metrics: BacktestMetrics = metricsOf(run)): ReportHead {
  const wallMs = Math.round(run.wallMs * 1000) / 1000;
  return {
    strategy: run.strategy,
    params: meta.params,
    data: {
      file: meta.file,
      symbol: run.symbol,
      interval: run.intervalMinutes,
      candles: run.candles,
      from: new Date(run.fromTs).toISOString(),
      to: new Date(run.toTs + run.intervalMinutes * 60_000).toISOString(),
    },
    metrics,
    trades: run.trades,
    perf: { wallMs, candlesPerSec: wallMs > 0 ? Math.round((run.candles * 1000) / wallMs) : 0 },
  };
}

/**
 * The whole report as one object, its curves as `[ts, value]` pairs. For a long run prefer
 * `writeReportJson` (src/backtest/reportJson.ts), which writes the same text without them.
 */
export function backtestReport(run: BacktestRun, meta: ReportMeta, metrics: BacktestMetrics = metricsOf(run)): BacktestReport {
  const pairs = (values: Curve): [number, number][] => {
    const out: [number, number][] = new Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = [run.times.at(i), values.at(i)];
    return out;
  };
  const { perf, ...head } = reportHead(run, meta, metrics);
  return {
    ...head,
    equity: pairs(run.equity),
    ...(run.strategy === 'maker' ? { inventory: pairs(run.inventory) } : {}),
    perf,
  };
}
