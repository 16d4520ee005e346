/**
 * Trading statistics derived from the journal alone (issue 6, part 2: "never hand-maintained"):
 * each `exit` record is one closed trade, its `pnl` net of its `fees`.
 *
 * - win: pnl > 0; loss: pnl < 0; a trade at exactly 0 is neither and ends both streaks.
 * - Realised equity curve: the starting equity (the first `equity` record in the journal, or the
 *   caller's `startingEquity`) plus the cumulative net PnL after each exit, in time order.
 * - Max drawdown (DESIGN section 5): the largest peak-to-trough fall of that curve, in percent of the
 *   peak; the starting equity is the first peak. Without a starting equity only the absolute
 *   drawdown (of cumulative PnL from 0) is known, and the percentage is null.
 * - `dailySharpe`: DESIGN section 5 defines Sharpe on per-candle returns of the equity curve, which
 *   a trade journal does not have. This is the nearest honest equivalent, named apart so it is never
 *   compared with the backtest's per-candle Sharpe: returns of the realised equity per UTC day, from
 *   the day of the first exit to the day of the last (days without exits count as 0 return), sample
 *   standard deviation (n − 1), risk-free 0, annualised by sqrt(365) (crypto trades every day).
 *   Null with fewer than two days, without a starting equity, or with zero deviation.
 */
import { Dec, ZERO } from '../domain/money.js';
import type { ExitRecord, JournalRecord } from '../domain/journalRecord.js';

const DAY_MS = 86_400_000;

export interface StatisticsOptions {
  /** Starting equity when the journal has no `equity` record (e.g. from config). */
  readonly startingEquity?: Dec;
}

export interface TradeStatistics {
  readonly trades: number;
  readonly wins: number;
  readonly losses: number;
  /** Trades with pnl exactly 0. */
  readonly breakeven: number;
  /** wins / trades × 100; null without trades. */
  readonly winRatePct: number | null;
  readonly longestWinStreak: number;
  readonly longestLossStreak: number;
  /** Largest and smallest single-trade net PnL; null without trades. */
  readonly bestPnl: Dec | null;
  readonly worstPnl: Dec | null;
  /** Fees of the closed trades (sum of `exit.fees`). */
  readonly fees: Dec;
  /** Sum of `exit.pnl` (net of fees). */
  readonly netPnl: Dec;
  /** The equity the curve starts from, or null when unknown. */
  readonly startingEquity: Dec | null;
  /** Largest peak-to-trough fall of the realised equity (absolute). */
  readonly maxDrawdown: Dec;
  /** Same, in percent of the peak; null without a starting equity. */
  readonly maxDrawdownPct: number | null;
  /** See the file comment: daily realised-equity returns × sqrt(365). Not the backtest's Sharpe. */
  readonly dailySharpe: number | null;
  /** Days in the `dailySharpe` return series. */
  readonly sharpeDays: number;
  readonly firstExitMs: number | null;
  readonly lastExitMs: number | null;
}

export function computeStatistics(records: readonly JournalRecord[], options: StatisticsOptions = {}): TradeStatistics {
  const exits: ExitRecord[] = [];
  let startingEquity: Dec | null = options.startingEquity ?? null;
  let firstEquitySeen = false;
  for (const r of records) {
    if (r.type === 'exit') exits.push(r);
    else if (r.type === 'equity' && !firstEquitySeen && options.startingEquity === undefined) {
      startingEquity = new Dec(r.equity);
      firstEquitySeen = true;
    }
  }
  // Stable sort: exits with equal ts keep journal order.
  exits.sort((a, b) => a.ts - b.ts);

  let wins = 0;
  let losses = 0;
  let breakeven = 0;
  let winStreak = 0;
  let lossStreak = 0;
  let longestWinStreak = 0;
  let longestLossStreak = 0;
  let best: Dec | null = null;
  let worst: Dec | null = null;
  let fees = ZERO;
  let net = ZERO;
  const base = startingEquity ?? ZERO;
  let peak = base;
  let maxDrawdown = ZERO;
  let maxDrawdownPct: Dec | null = startingEquity === null ? null : ZERO;

  for (const e of exits) {
    const pnl = new Dec(e.pnl);
    fees = fees.add(new Dec(e.fees));
    net = net.add(pnl);
    if (best === null || pnl.gt(best)) best = pnl;
    if (worst === null || pnl.lt(worst)) worst = pnl;
    if (pnl.gt(0)) {
      wins++;
      winStreak++;
      lossStreak = 0;
    } else if (pnl.lt(0)) {
      losses++;
      lossStreak++;
      winStreak = 0;
    } else {
      breakeven++;
      winStreak = 0;
      lossStreak = 0;
    }
    longestWinStreak = Math.max(longestWinStreak, winStreak);
    longestLossStreak = Math.max(longestLossStreak, lossStreak);

    const equity = base.add(net);
    if (equity.gt(peak)) peak = equity;
    const fall = peak.sub(equity);
    if (fall.gt(maxDrawdown)) maxDrawdown = fall;
    if (maxDrawdownPct !== null && peak.gt(0)) {
      const pct = fall.div(peak).mul(100);
      if (pct.gt(maxDrawdownPct)) maxDrawdownPct = pct;
    }
  }

  const sharpe = dailySharpe(exits, startingEquity);
  return {
    trades: exits.length,
    wins,
    losses,
    breakeven,
    winRatePct: exits.length === 0 ? null : (wins / exits.length) * 100,
    longestWinStreak,
    longestLossStreak,
    bestPnl: best,
    worstPnl: worst,
    fees,
    netPnl: net,
    startingEquity,
    maxDrawdown,
    maxDrawdownPct: maxDrawdownPct === null ? null : maxDrawdownPct.toNumber(),
    dailySharpe: sharpe.value,
    sharpeDays: sharpe.days,
    firstExitMs: exits[0]?.ts ?? null,
    lastExitMs: exits.at(-1)?.ts ?? null,
  };
}

function dailySharpe(exits: readonly ExitRecord[], startingEquity: Dec | null): { value: number | null; days: number } {
  if (startingEquity === null || exits.length === 0) return { value: null, days: 0 };
  const firstDay = Math.floor(exits[0]!.ts / DAY_MS);
  const lastDay = Math.floor(exits.at(-1)!.ts / DAY_MS);
  const pnlByDay = new Map<number, Dec>();
  for (const e of exits) {
    const day = Math.floor(e.ts / DAY_MS);
    pnlByDay.set(day, (pnlByDay.get(day) ?? ZERO).add(new Dec(e.pnl)));
  }
  const returns: number[] = [];
  let equity = startingEquity;
  for (let day = firstDay; day <= lastDay; day++) {
    const pnl = pnlByDay.get(day) ?? ZERO;
    // A return relative to a non-positive equity means nothing: stop the series there.
    if (equity.lte(0)) return { value: null, days: returns.length };
    returns.push(pnl.div(equity).toNumber());
    equity = equity.add(pnl);
  }
  if (returns.length < 2) return { value: null, days: returns.length };
  const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
  const variance = returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1);
  const sd = Math.sqrt(variance);
  if (sd === 0) return { value: null, days: returns.length };
  return { value: (mean / sd) * Math.sqrt(365), days: returns.length };
}
