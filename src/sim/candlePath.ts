/**
 * The deterministic price path inside one candle (issue 3, "Market data replay"), shared by the
 * backtester, paper mode and the sandbox so that they all fill orders the same way.
 *
 * Rule: open → the extreme nearer to the open → the other extreme → close. When the high and the
 * low are equally far from the open, the low comes first (the pessimistic choice for a long, which
 * the stop-first rule in DESIGN section 5 also takes). Between two points price moves linearly, so
 * every price between them trades; fill rules (`Simulator`) are judged on these segments.
 *
 * Point k (0..3) happens at `ts + round(k * (intervalMs - 1) / 3)`: the open at the candle's start,
 * the close in its last millisecond.
 */
import type { Candle } from '../domain/types.js';

export const PATH_POINTS = 4;

/** Writes the four path prices of `c` into `out` (reused to avoid allocation) and returns it. */
export function candlePath(c: Candle, out: number[] = [0, 0, 0, 0]): number[] {
  const highFirst = c.high - c.open < c.open - c.low;
  out[0] = c.open;
  out[1] = highFirst ? c.high : c.low;
  out[2] = highFirst ? c.low : c.high;
  out[3] = c.close;
  return out;
}

/** Time of path point `k` of a candle that opens at `ts`. */
export function pathPointTime(ts: number, intervalMs: number, k: number): number {
  return ts + Math.round((k * (intervalMs - 1)) / (PATH_POINTS - 1));
}

/**
 * The candle as seen after path point `k` (0-based): what a kline push with `confirm:false` shows.
 * Volume grows linearly with the points seen; at k = 3 it is the whole candle.
 */
export function partialCandle(c: Candle, k: number): Candle {
  if (k >= PATH_POINTS - 1) return c;
  const p = candlePath(c);
  let high = p[0]!;
  let low = p[0]!;
  for (let i = 1; i <= k; i++) {
    high = Math.max(high, p[i]!);
    low = Math.min(low, p[i]!);
  }
  return { ts: c.ts, open: c.open, high, low, close: p[k]!, volume: (c.volume * (k + 1)) / PATH_POINTS };
}
