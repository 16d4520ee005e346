/**
 * Backtest metrics exactly as DESIGN section 5 defines them, from the equity curve (one point per
 * candle) and the closed trades:
 * - per-candle returns r_i = E_i / E_(i−1) − 1 between consecutive points of the curve;
 * - Sharpe = mean(r) / stdev(r) · sqrt(525600 / intervalMinutes): sample standard deviation (n − 1),
 *   risk-free 0, annualised for markets that trade 24/7 (never 252 days);
 * - Sortino = mean(r) / downside deviation · the same factor; downside deviation =
 *   sqrt(Σ min(r_i, 0)² / (n − 1)) over all n returns (target 0, the same n − 1 as the Sharpe);
 * - max drawdown = the largest peak-to-trough fall of the curve, in percent of that peak;
 * - profit factor = gross profit / gross loss of the trades' net PnL;
 * - win rate = share of trades with net PnL > 0, a fraction from 0 to 1;
 * - exposure = share of the window's candles at whose close a position was open, in percent.
 * A ratio with a zero denominator (a flat curve, no losing trade) is reported as 0 (Sharpe,
 * Sortino) or null (profit factor: infinite), since JSON has no Infinity.
 */
import { INTERVALS_MINUTES } from '../config/schema.js';
import { dec, reportNumber, type Decimal } from '../domain/money.js';
import { asCurve, CurveValues, type Curve } from './curveValues.js';

export class UnknownIntervalError extends Error {
  override name = 'UnknownIntervalError';
}

/** Minutes in a (365-day) year: 60 · 24 · 365. */
export const MINUTES_PER_YEAR = 525_600;

/** sqrt(525600 / intervalMinutes) for the Bybit kline intervals; anything else is an error. */
export function annualisationFactor(intervalMinutes: number): number {
  if (!(INTERVALS_MINUTES as readonly number[]).includes(intervalMinutes)) {
    throw new UnknownIntervalError(`cannot annualise ${intervalMinutes}-minute candles: the interval must be one of ${INTERVALS_MINUTES.join(', ')} minutes`);
  }
  return Math.sqrt(MINUTES_PER_YEAR / intervalMinutes);
}

/** r_i = E_i / E_(i−1) − 1 for consecutive points. */
export function perCandleReturns(values: Curve | ArrayLike<number>): number[] {
  const equity = asCurve(values);
  const out: number[] = new Array(Math.max(0, equity.length - 1));
  for (let i = 1; i < equity.length; i++) out[i - 1] = equity.at(i) / equity.at(i - 1) - 1;
  return out;
}

/** The i-th of `length` values: returns read from an array, or worked out from the curve as needed. */
interface Series {
  readonly length: number;
  at(i: number): number;
}

const listed = (xs: readonly number[]): Series => ({ length: xs.length, at: (i) => xs[i]! });

/**
 * Sharpe and Sortino of the curve's per-candle returns without an array of them (issue 21: a year
 * of 1m candles would make one of 525,599), in two passes over the curve: the mean, then both sums
 * of squares (issue 18: the returns were worked out four times, each from two points of the curve).
 * r_i is computed with the same operations, and each sum adds the same numbers in the same order,
 * as `sharpeRatio` and `sortinoRatio` over `perCandleReturns(equity)`: the same results, bit for bit.
 * Along a run of equal points (`flatRunEnd`: most candles, no position open) each return is
 * E / E − 1 = +0 exactly, read without the curve (issue 18): the mean's sum skips them (adding +0
 * changes no sum, and this one is never −0), the sums of squares add (0 − m)·(0 − m) and nothing.
 */
export function curveRatios(equity: Curve, intervalMinutes: number): { readonly sharpe: number; readonly sortino: number } {
  const factor = annualisationFactor(intervalMinutes);
  const n = Math.max(0, equity.length - 1);
  if (n < 2) return { sharpe: 0, sortino: 0 };
  const m = returnSum(equity, n) / n;
  const { ss, down } = squareSums(equity, n, m);
  const sd = Math.sqrt(ss / (n - 1));
  const dd = Math.sqrt(down / (n - 1));
  return { sharpe: sd > 0 ? (m / sd) * factor : 0, sortino: dd > 0 ? (m / dd) * factor : 0 };
}

/**
 * Where the run of points equal to point i that `curveRatios` and `maxDrawdownPct` may skip ends
 * (exclusive, at most `end`): i + 1 unless point i is finite and not 0 and the curve can say which
 * points after it are the same number (CurveValues).
 */
function flatRunEnd(equity: Curve, i: number, e: number, end: number): number {
  if (!(equity instanceof CurveValues) || e === 0 || !Number.isFinite(e)) return i + 1;
  return Math.min(equity.sameUntil(i), end);
}

/** Σ r_i, i = 1..n, in order (a function of its own: each loop is compiled while it runs). */
function returnSum(equity: Curve, n: number): number {
  let sum = 0;
  let prev = equity.at(0);
  for (let i = 1; i <= n; ) {
    const e = equity.at(i);
    sum += e / prev - 1;
    prev = e;
    i = flatRunEnd(equity, i, e, n + 1);
  }
  return sum;
}

/** Σ (r_i − m)² and Σ min(r_i, 0)², i = 1..n, in order. */
function squareSums(equity: Curve, n: number, m: number): { readonly ss: number; readonly down: number } {
  let ss = 0;
  let down = 0;
  let prev = equity.at(0);
  // (r − m)·(r − m) for r = +0, the same operations.
  const zero = 0;
  const flatTerm = (zero - m) * (zero - m);
  for (let i = 1; i <= n; ) {
    const e = equity.at(i);
    const r = e / prev - 1;
    ss += (r - m) * (r - m);
    if (r < 0) down += r * r;
    prev = e;
    const end = flatRunEnd(equity, i, e, n + 1);
    for (i++; i < end; i++) ss += flatTerm;
  }
  return { ss, down };
}

function mean(xs: Series): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs.at(i);
  return s / xs.length;
}

function sharpeOf(returns: Series, intervalMinutes: number): number {
  const factor = annualisationFactor(intervalMinutes);
  if (returns.length < 2) return 0;
  const m = mean(returns);
  let ss = 0;
  for (let i = 0; i < returns.length; i++) {
    const r = returns.at(i);
    ss += (r - m) * (r - m);
  }
  const sd = Math.sqrt(ss / (returns.length - 1));
  return sd > 0 ? (m / sd) * factor : 0;
}

function sortinoOf(returns: Series, intervalMinutes: number): number {
  const factor = annualisationFactor(intervalMinutes);
  if (returns.length < 2) return 0;
  let ss = 0;
  for (let i = 0; i < returns.length; i++) {
    const r = returns.at(i);
    if (r < 0) ss += r * r;
  }
  const dd = Math.sqrt(ss / (returns.length - 1));
  return dd > 0 ? (mean(returns) / dd) * factor : 0;
}

/** Annualised Sharpe ratio of per-candle returns (sample stdev, risk-free 0). */
export function sharpeRatio(returns: readonly number[], intervalMinutes: number): number {
  return sharpeOf(listed(returns), intervalMinutes);
}

/** Annualised Sortino ratio: downside deviation below 0 over all returns, n − 1. */
export function sortinoRatio(returns: readonly number[], intervalMinutes: number): number {
  return sortinoOf(listed(returns), intervalMinutes);
}

/** Largest peak-to-trough fall, percent of the peak (0 for a curve that never falls). */
export function maxDrawdownPct(values: Curve | ArrayLike<number>): number {
  const equity = asCurve(values);
  let peak = -Infinity;
  let worst = 0;
  // The points after point i that equal it change neither the peak nor the worst fall (issue 18).
  for (let i = 0; i < equity.length; i = flatRunEnd(equity, i, equity.at(i), equity.length)) {
    const e = equity.at(i);
    if (e > peak) peak = e;
    else if (peak > 0) {
      const dd = (peak - e) / peak;
      if (dd > worst) worst = dd;
    }
  }
  return worst * 100;
}

/** Drawdown at each point, percent below the running peak (for the HTML chart; flat where the curve is). */
export function drawdownSeries(values: Curve | ArrayLike<number>): CurveValues {
  const equity = asCurve(values);
  let peak = -Infinity;
  const out = new CurveValues();
  for (let i = 0; i < equity.length; i++) {
    const e = equity.at(i);
    if (e > peak) peak = e;
    out.push(peak > 0 ? ((peak - e) / peak) * 100 : 0);
  }
  return out;
}

export interface BacktestMetrics {
  readonly trades: number;
  /** Fraction 0–1. */
  readonly winRate: number;
  readonly netPnl: number;
  readonly returnPct: number;
  readonly maxDrawdownPct: number;
  readonly sharpe: number;
  readonly sortino: number;
  /** Null when no trade lost (infinite). */
  readonly profitFactor: number | null;
  readonly fees: number;
  readonly exposurePct: number;
}

export interface MetricsInput {
  readonly equity: Curve | ArrayLike<number>;
  readonly tradePnls: readonly number[];
  readonly startEquity: number;
  readonly netPnl: Decimal;
  readonly fees: Decimal;
  readonly exposedCandles: number;
  readonly intervalMinutes: number;
}

const round8 = (x: number): number => Math.round(x * 1e8) / 1e8;

export function computeMetrics(m: MetricsInput): BacktestMetrics {
  const equity = asCurve(m.equity);
  let wins = 0;
  let grossProfit = dec(0);
  let grossLoss = dec(0);
  for (const p of m.tradePnls) {
    // The trades' PnL are 1e-8 numbers; their decimal strings sum exactly.
    const d = dec(String(p));
    if (d.gt(0)) {
      wins++;
      grossProfit = grossProfit.plus(d);
    } else if (d.lt(0)) grossLoss = grossLoss.minus(d);
  }
  const n = m.tradePnls.length;
  const ratios = curveRatios(equity, m.intervalMinutes);
  return {
    trades: n,
    winRate: n === 0 ? 0 : round8(wins / n),
    netPnl: reportNumber(m.netPnl),
    returnPct: reportNumber(m.netPnl.div(m.startEquity).mul(100)),
    maxDrawdownPct: round8(maxDrawdownPct(equity)),
    sharpe: round8(ratios.sharpe),
    sortino: round8(ratios.sortino),
    profitFactor: grossLoss.isZero() ? (grossProfit.isZero() ? 0 : null) : reportNumber(grossProfit.div(grossLoss)),
    fees: reportNumber(m.fees),
    exposurePct: equity.length === 0 ? 0 : round8((m.exposedCandles / equity.length) * 100),
  };
}
