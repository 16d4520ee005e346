/**
 * The backtest's terminal text (issue 9 item 3), sized for a phone in Termux (about 40 columns):
 * a metrics table, an equity sparkline, and for sweeps a ranked comparison table. Colour through
 * kleur only when the caller says so (NO_COLOR / FORCE_COLOR / TTY, decided by `colourEnabled`).
 */
import kleur from 'kleur';
import { asCurve, type Curve } from './curveValues.js';
import type { BacktestMetrics } from './metrics.js';

const BARS = '▁▂▃▄▅▆▇█';

export interface Paint {
  readonly good: (s: string) => string;
  readonly bad: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

const PLAIN: Paint = { good: (s) => s, bad: (s) => s, dim: (s) => s, bold: (s) => s };

/** kleur decides colour once for stdout; we decide per stream, so switch it on just while painting. */
function withKleur(f: (s: string) => string): (s: string) => string {
  return (s) => {
    const was = kleur.enabled;
    kleur.enabled = true;
    try {
      return f(s);
    } finally {
      kleur.enabled = was;
    }
  };
}

export function paintFor(colour: boolean): Paint {
  if (!colour) return PLAIN;
  return { good: withKleur((s) => kleur.green(s)), bad: withKleur((s) => kleur.red(s)), dim: withKleur((s) => kleur.dim(s)), bold: withKleur((s) => kleur.bold(s)) };
}

/** `width` block characters, each the last equity value of its share of the curve, scaled min..max. */
export function sparkline(curve: Curve | ArrayLike<number>, width: number): string {
  const values = asCurve(curve);
  const n = values.length;
  if (n === 0 || width <= 0) return '';
  const cols = Math.min(width, n);
  const picked: number[] = [];
  for (let i = 0; i < cols; i++) picked.push(values.at(Math.min(n - 1, Math.floor(((i + 1) * n) / cols) - 1)));
  const lo = Math.min(...picked); // at most `width` values
  const hi = Math.max(...picked);
  return picked.map((v) => (hi === lo ? BARS[3]! : BARS[Math.min(BARS.length - 1, Math.floor(((v - lo) / (hi - lo)) * BARS.length))]!)).join('');
}

export function fmtNumber(x: number, decimals: number): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export interface SummaryInput {
  readonly title: string;
  readonly subtitle: string;
  readonly metrics: BacktestMetrics;
  readonly equity: Curve | ArrayLike<number>;
  readonly startEquity: number;
  readonly notes: readonly string[];
  readonly width?: number;
}

/** The metrics table and the equity sparkline, one line per item, at most `width` (40) columns. */
export function renderSummary(s: SummaryInput, paint: Paint = PLAIN): string {
  const width = s.width ?? 40;
  const m = s.metrics;
  const signed = (x: number, text: string): string => (x > 0 ? paint.good(text) : x < 0 ? paint.bad(text) : text);
  const rows: [string, string][] = [
    ['Net PnL', signed(m.netPnl, `${fmtNumber(m.netPnl, 2)} USDT`)],
    ['Return', signed(m.returnPct, `${fmtNumber(m.returnPct, 2)} %`)],
    ['Trades', `${m.trades}${m.trades > 0 ? ` (win ${fmtNumber(m.winRate * 100, 1)} %)` : ''}`],
    ['Profit factor', m.profitFactor === null ? 'no losses' : fmtNumber(m.profitFactor, 2)],
    ['Max drawdown', `${fmtNumber(m.maxDrawdownPct, 2)} %`],
    ['Sharpe', fmtNumber(m.sharpe, 2)],
    ['Sortino', fmtNumber(m.sortino, 2)],
    ['Fees', `${fmtNumber(m.fees, 2)} USDT`],
    ['Exposure', `${fmtNumber(m.exposurePct, 1)} %`],
  ];
  const rule = paint.dim('─'.repeat(width));
  const lines = [paint.bold(s.title.slice(0, width)), paint.dim(s.subtitle.slice(0, width)), rule];
  for (const [k, v] of rows) lines.push(`${k.padEnd(14)}${' '.repeat(Math.max(1, width - 14 - visibleLength(v)))}${v}`);
  lines.push(rule);
  const equity = asCurve(s.equity);
  const last = equity.length > 0 ? equity.at(equity.length - 1) : s.startEquity;
  lines.push(`Equity ${fmtNumber(s.startEquity, 2)} → ${signed(last - s.startEquity, fmtNumber(last, 2))}`);
  lines.push(signed(last - s.startEquity, sparkline(equity, width)));
  for (const n of s.notes.slice(0, 3)) lines.push(paint.dim(`! ${n}`));
  if (s.notes.length > 3) lines.push(paint.dim(`! … and ${s.notes.length - 3} more`));
  return lines.join('\n') + '\n';
}

export interface SweepRow {
  /** The swept values, e.g. "proximityPct=0.5 timeExitCandles=30". */
  readonly label: string;
  readonly metrics: BacktestMetrics;
  /** Entry locks that refused signals: the column (short names, "-" for none) and the line below the label. */
  readonly locks?: { readonly column: string; readonly summary: string };
}

/** Ranked comparison of a sweep: one compact block per run, best first. */
export function renderSweep(rows: readonly SweepRow[], rankedBy: string, paint: Paint = PLAIN, width = 40): string {
  const head = `${'#'.padStart(3)} ${'net'.padStart(9)} ${'shrp'.padStart(6)} ${'dd%'.padStart(5)} ${'trd'.padStart(4)}${rows.some((r) => r.locks) ? ' locks' : ''}`;
  const lines = [paint.bold(`Sweep: ${rows.length} runs, best ${rankedBy} first`), paint.dim(head)];
  rows.forEach((r, i) => {
    const m = r.metrics;
    const net = fmtNumber(m.netPnl, 2).padStart(9);
    lines.push(
      `${String(i + 1).padStart(3)} ${m.netPnl > 0 ? paint.good(net) : m.netPnl < 0 ? paint.bad(net) : net} ${fmtNumber(m.sharpe, 2).padStart(6)} ${fmtNumber(m.maxDrawdownPct, 1).padStart(5)} ${String(m.trades).padStart(4)}${r.locks ? ` ${r.locks.column}` : ''}`,
    );
    lines.push(paint.dim(`    ${r.label}`.slice(0, width)));
    if (r.locks?.summary) lines.push(paint.dim(`    refused by locks: ${r.locks.summary}`));
  });
  return lines.join('\n') + '\n';
}

function visibleLength(s: string): number {
  // Colour codes take no columns.
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}
