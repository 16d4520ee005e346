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
 * - The bot's equity curve: its `equity` records of source `bot` (written hourly and at each close,
 *   unrealised PnL included). Its largest fall counts toward max drawdown too, and `sharpe` and
 *   `sortino` are DESIGN section 5's, on its hourly returns (the last record of each hour, an hour
 *   without a record repeating the one before), annualised by sqrt(8760); null below two returns
 *   or with zero deviation.
 * - `byReason`: closed trades and their net PnL per exit reason: stop, breakeven (a stop after the
 *   stop moved to breakeven), target N (the trade's last target filled), trailing, time, signal,
 *   close-all, kill switch, and any other reason as journaled.
 */
import { Dec, ZERO } from '../domain/money.js';
import type { AlertRecord, ExitRecord, FillRecord, JournalRecord } from '../domain/journalRecord.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface ReasonTotal {
  readonly reason: string;
  readonly trades: number;
  readonly pnl: Dec;
}

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
  /** Funding the closed trades paid, negative when received (sum of `exit.funding`); already in the net PnL. */
  readonly funding: Dec;
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
  /** On the bot's hourly equity returns, annualised by sqrt(8760); see the file comment. */
  readonly sharpe: number | null;
  readonly sortino: number | null;
  /** Hourly returns behind `sharpe` and `sortino`. */
  readonly returnHours: number;
  /** Per exit reason, most trades first. */
  readonly byReason: readonly ReasonTotal[];
}

export function computeStatistics(records: readonly JournalRecord[], options: StatisticsOptions = {}): TradeStatistics {
  const exits: ExitRecord[] = [];
  const botEquity: { ts: number; equity: Dec }[] = [];
  let startingEquity: Dec | null = options.startingEquity ?? null;
  let firstEquitySeen = false;
  for (const r of records) {
    if (r.type === 'exit') exits.push(r);
    if (r.type === 'equity' && r.source === 'bot') botEquity.push({ ts: r.ts, equity: new Dec(r.equity) });
    if (r.type === 'equity' && !firstEquitySeen && options.startingEquity === undefined) {
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
  let funding = ZERO;
  let net = ZERO;
  const base = startingEquity ?? ZERO;
  let peak = base;
  let maxDrawdown = ZERO;
  let maxDrawdownPct: Dec | null = startingEquity === null ? null : ZERO;

  for (const e of exits) {
    const pnl = new Dec(e.pnl);
    fees = fees.add(new Dec(e.fees));
    if (e.funding !== undefined) funding = funding.add(new Dec(e.funding));
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

  // The bot's own curve (unrealised PnL included) can fall further between closes.
  botEquity.sort((a, b) => a.ts - b.ts);
  let botPeak: Dec | null = null;
  for (const p of botEquity) {
    if (botPeak === null || p.equity.gt(botPeak)) botPeak = p.equity;
    if (botPeak.gt(0)) {
      const pct = botPeak.sub(p.equity).div(botPeak).mul(100);
      if (maxDrawdownPct === null || pct.gt(maxDrawdownPct)) maxDrawdownPct = pct;
    }
    if (botPeak.sub(p.equity).gt(maxDrawdown)) maxDrawdown = botPeak.sub(p.equity);
  }
  const hourly = hourlyReturns(botEquity);

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
    funding,
    netPnl: net,
    startingEquity,
    maxDrawdown,
    maxDrawdownPct: maxDrawdownPct === null ? null : maxDrawdownPct.toNumber(),
    dailySharpe: sharpe.value,
    sharpeDays: sharpe.days,
    firstExitMs: exits[0]?.ts ?? null,
    lastExitMs: exits.at(-1)?.ts ?? null,
    ...ratios(hourly),
    returnHours: hourly.length,
    byReason: reasonTotals(exits, records),
  };
}

/** Returns between the last bot equity of consecutive hours; an hour without a record repeats the last. */
function hourlyReturns(points: readonly { ts: number; equity: Dec }[]): number[] {
  if (points.length === 0) return [];
  const lastOfHour = new Map<number, Dec>();
  for (const p of points) lastOfHour.set(Math.floor(p.ts / HOUR_MS), p.equity);
  const first = Math.floor(points[0]!.ts / HOUR_MS);
  const last = Math.floor(points.at(-1)!.ts / HOUR_MS);
  const out: number[] = [];
  let prev = lastOfHour.get(first)!;
  for (let h = first + 1; h <= last; h++) {
    const cur = lastOfHour.get(h) ?? prev;
    if (prev.lte(0)) break;
    out.push(cur.div(prev).minus(1).toNumber());
    prev = cur;
  }
  return out;
}

/** DESIGN section 5: sample deviation (n − 1), risk-free 0; Sortino's downside deviation over all n returns. */
function ratios(returns: readonly number[]): { sharpe: number | null; sortino: number | null } {
  if (returns.length < 2) return { sharpe: null, sortino: null };
  const factor = Math.sqrt(8760);
  const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
  const sd = Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1));
  const down = Math.sqrt(returns.reduce((s, r) => s + (r < 0 ? r * r : 0), 0) / (returns.length - 1));
  return { sharpe: sd > 0 ? (mean / sd) * factor : null, sortino: down > 0 ? (mean / down) * factor : null };
}

const REASON_LABELS: Readonly<Record<string, string>> = {
  stopLoss: 'stop',
  trailingStop: 'trailing',
  timeExit: 'time',
  signal: 'signal',
  closeAll: 'close-all',
  killSwitch: 'kill switch',
  takeProfit: 'target',
};

/** Net PnL per exit reason; a target names its index, a stop after a breakeven move is `breakeven`. */
function reasonTotals(exits: readonly ExitRecord[], records: readonly JournalRecord[]): ReasonTotal[] {
  const fills = records.filter((r): r is FillRecord => r.type === 'fill');
  const breakevens = records.filter((r): r is AlertRecord => r.type === 'alert' && r.kind === 'breakeven');
  const totals = new Map<string, { trades: number; pnl: Dec }>();
  for (const e of exits) {
    let label = REASON_LABELS[e.reason] ?? e.reason;
    if (e.reason === 'takeProfit') {
      const last = fills.find((f) => f.symbol === e.symbol && f.ts === e.ts && /-T\d+-/.test(f.orderLinkId));
      const index = last ? /-T(\d+)-/.exec(last.orderLinkId)?.[1] : undefined;
      if (index !== undefined) label = `target ${index}`;
    } else if (e.reason === 'stopLoss' && breakevens.some((a) => a.symbol === e.symbol && a.ts >= e.entryTs && a.ts <= e.ts)) {
      label = 'breakeven';
    }
    const t = totals.get(label) ?? { trades: 0, pnl: ZERO };
    totals.set(label, { trades: t.trades + 1, pnl: t.pnl.add(new Dec(e.pnl)) });
  }
  return [...totals].map(([reason, t]) => ({ reason, ...t })).sort((a, b) => b.trades - a.trades || a.reason.localeCompare(b.reason));
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
