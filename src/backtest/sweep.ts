/**
 * Parameter sweeps (issue 9 item 4): `--set key=v1,v2,v3`, for one or several keys, runs the grid
 * (every combination), ranks the results and saves each as `<stateDir>/results/backtest-<timestamp>.json`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSweepArg, type SetOverride } from '../config/set.js';
import { UsageError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import type { BacktestMetrics } from './metrics.js';

export interface GridPoint {
  /** Every override of this run, in command-line order. */
  readonly overrides: readonly SetOverride[];
  /** Only the swept ones, "key=value" joined by spaces ("" for a single run). */
  readonly label: string;
}

/** The most runs one command may ask for: a phone should not be kept busy for hours by a typo. */
export const MAX_GRID = 1000;

/** Expands `--set` arguments into the grid; a single run when no argument lists several values. */
export function expandGrid(args: readonly string[]): GridPoint[] {
  const axes = args.map(parseSweepArg);
  const total = axes.reduce((n, a) => n * a.length, 1);
  if (total > MAX_GRID) throw new UsageError(`the --set values make a grid of ${total} runs; at most ${MAX_GRID} are allowed`);
  let points: SetOverride[][] = [[]];
  for (const axis of axes) points = points.flatMap((p) => axis.map((o) => [...p, o]));
  const swept = new Set(axes.flatMap((a, i) => (a.length > 1 ? [i] : [])));
  return points.map((overrides) => ({
    overrides,
    label: overrides
      .filter((_, i) => swept.has(i))
      .map((o) => o.raw)
      .join(' '),
  }));
}

export const RANK_METRICS = ['netPnl', 'sharpe', 'sortino', 'returnPct', 'profitFactor', 'winRate', 'maxDrawdownPct'] as const;
export type RankMetric = (typeof RANK_METRICS)[number];

export function rankMetricArg(s: string | undefined): RankMetric {
  if (s === undefined) return 'netPnl';
  if ((RANK_METRICS as readonly string[]).includes(s)) return s as RankMetric;
  throw new UsageError(`--rank must be one of ${RANK_METRICS.join(', ')}, got "${s}"`);
}

/** Best first: highest value, except drawdown (lowest first); profit factor null (no losses) is best. */
export function rankResults<T extends { readonly metrics: BacktestMetrics }>(results: readonly T[], by: RankMetric): T[] {
  const value = (m: BacktestMetrics): number => {
    const v = m[by];
    if (v === null) return Infinity;
    return by === 'maxDrawdownPct' ? -v : v;
  };
  return [...results].sort((a, b) => value(b.metrics) - value(a.metrics));
}

/** `backtest-20250601T120000123Z` (UTC, file-name safe), with `-<n>` for the members of a sweep. */
export function resultFileName(atMs: number, index: number | null): string {
  const stamp = new Date(atMs).toISOString().replace(/[-:.]/g, '');
  return `backtest-${stamp}${index === null ? '' : `-${String(index + 1).padStart(3, '0')}`}.json`;
}

/** Writes one result document under `<stateDir>/results/` with `write(path)` (the report is streamed, src/backtest/reportJson.ts); returns its path. */
export function saveResult(stateDir: string, name: string, write: (path: string) => void): string {
  const dir = join(stateDir, 'results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  write(path);
  return path;
}

/** Entry locks by the names the engine gives them, and the short form the sweep table shows. */
const LOCK_NAMES: Readonly<Record<string, string>> = { drawdown: 'dd', dailyLoss: 'day', consecutiveLoss: 'strk', lossStreak: 'strk', killSwitch: 'kill', paused: 'pause' };
const LOCK_WORDS: Readonly<Record<string, string>> = { drawdown: 'drawdown', dailyLoss: 'daily loss', consecutiveLoss: 'loss streak', lossStreak: 'loss streak', killSwitch: 'kill switch', paused: 'pause' };

/**
 * Counts the signals each entry lock refused in one run: a logger for the backtest engine, which
 * says "BTCUSDT long signal not traded: drawdown: …" for each. A sweep whose runs trade alike
 * often does so because a lock (a 15 % drawdown, say) stopped entries early in all of them.
 */
export class LockRefusals implements Logger {
  readonly counts = new Map<string, number>();

  debug(message: string): void {
    this.#note(message);
  }
  info(message: string): void {
    this.#note(message);
  }
  warn(): void {}
  error(): void {}
  child(): Logger {
    return this;
  }

  /** "drawdown 4210, daily loss 12"; "" when no lock refused a signal. */
  summary(): string {
    return [...this.counts].map(([name, n]) => `${LOCK_WORDS[name] ?? name} ${n}`).join(', ');
  }

  /** The table's column: short names, e.g. "dd,day"; "-" for none. */
  column(): string {
    return [...this.counts.keys()].map((n) => LOCK_NAMES[n] ?? n).join(',') || '-';
  }

  #note(message: string): void {
    const m = / signal not traded: (\w+): /.exec(message);
    if (m && m[1]! in LOCK_NAMES) this.counts.set(m[1]!, (this.counts.get(m[1]!) ?? 0) + 1);
  }
}
