/** The `status --json` document: the report with money as plain numbers rounded to 1e-8 (like the backtest JSON). */
import { type Dec, reportNumber } from '../domain/money.js';
import type { StatusReport } from './buildStatusReport.js';

const num = (d: Dec | null): number | null => (d === null ? null : reportNumber(d));

/** The `--json` document. */
export function statusJson(r: StatusReport): unknown {
  const s = r.statistics;
  return {
    stateDir: r.stateDir,
    nowMs: r.nowMs,
    hasState: r.hasState,
    running: r.running,
    mode: r.mode,
    updatedMs: r.updatedMs,
    clock: r.clock,
    symbols: r.symbols.map((x) => ({
      symbol: x.symbol,
      position:
        x.position === null
          ? null
          : {
              side: x.position.side,
              size: num(x.position.size),
              entryPrice: num(x.position.entryPrice),
              openedMs: x.position.openedMs,
              stopPrice: num(x.position.stopPrice),
              targetsFilled: x.position.targetsFilled,
              targets: x.position.targets,
              unrealisedPnl: num(x.position.unrealisedPnl),
            },
      openOrders: x.openOrders.map((o) => ({ ...o, price: num(o.price), qty: num(o.qty), filledQty: num(o.filledQty) })),
      otherOrders: x.otherOrders.map((o) => ({ ...o, price: num(o.price), qty: num(o.qty), triggerPrice: num(o.triggerPrice) })),
      cooldownUntilMs: x.cooldownUntilMs,
    })),
    protections: r.protections,
    today: r.today === null ? null : { dayStartMs: r.today.dayStartMs, realisedPnl: num(r.today.realisedPnl), stale: r.today.stale, lossLimit: num(r.today.lossLimit), limitUsedPct: r.today.limitUsedPct },
    statistics: {
      trades: s.trades,
      wins: s.wins,
      losses: s.losses,
      breakeven: s.breakeven,
      winRatePct: s.winRatePct,
      longestWinStreak: s.longestWinStreak,
      longestLossStreak: s.longestLossStreak,
      bestPnl: num(s.bestPnl),
      worstPnl: num(s.worstPnl),
      fees: num(s.fees),
      netPnl: num(s.netPnl),
      startingEquity: num(s.startingEquity),
      maxDrawdown: num(s.maxDrawdown),
      maxDrawdownPct: s.maxDrawdownPct,
      dailySharpe: s.dailySharpe,
      sharpeDays: s.sharpeDays,
      sharpe: s.sharpe,
      sortino: s.sortino,
      returnHours: s.returnHours,
      byReason: s.byReason.map((r) => ({ reason: r.reason, trades: r.trades, pnl: num(r.pnl) })),
    },
    journalProblems: r.journalProblems,
  };
}
