/**
 * Which config a backtest runs (issue 9 item 1): config.json when there is one, else the built-in
 * defaults, reduced to the one symbol entry being tested, then the command line on top:
 * - `--symbol S` picks the entry of S (a new default entry when the config has none); without it,
 *   the symbol of the data file, else the first entry;
 * - `--strategy scalper|maker` replaces the entry's strategy (its params/sizing/exits, which belong
 *   to the other strategy, are dropped);
 * - the entry's `intervalMinutes` becomes the data's interval, and the entry is enabled;
 * - `--set key=value` paths are inside the symbol entry (`exits.timeExitCandles=30`,
 *   `leverage=5`, `entry.type=limit`); a key that is not an entry field means `params.<key>` as in `signals`
 *   (`proximityPct=0.5`, `score.minScore=2`, `score.weights.fib=0.5`); paths starting with `risk.` or `paper.` address those top-level sections
 *   (`paper.slippagePct=0.05`), which symbol entries do not have.
 * - `--set key=v1,v2,v3` (./sweep.ts) turns one run into a grid.
 * Everything is then validated by the one config schema, so a bad value reads as it would in
 * config.json.
 */
import { parseConfigText, type LoadedConfig } from '../config/load.js';
import type { SetOverride } from '../config/set.js';
import type { StrategyName } from '../domain/types.js';
import { UsageError } from '../util/errors.js';

/** Fields of a symbol entry (src/config/schema.ts); any other bare `--set` key is a strategy parameter. */
const ENTRY_KEYS = new Set(['symbol', 'enabled', 'intervalMinutes', 'leverage', 'strategy', 'params', 'sizing', 'exits', 'entry', 'protectiveStopPct']);
/** Top-level sections a backtest `--set` may reach. */
const ROOT_SECTIONS = new Set(['risk', 'paper']);

export interface Selection {
  readonly symbol?: string;
  readonly strategy?: StrategyName;
  /** The data's interval. */
  readonly intervalMinutes: number;
  /** The symbol named by the data file, if any. */
  readonly dataSymbol?: string | null;
}

export interface SelectedConfig {
  /** The config as JSON-ready object, with exactly one symbol entry. */
  readonly raw: Record<string, unknown>;
  readonly symbol: string;
  /** Things the owner should know (e.g. the interval taken from the data). */
  readonly notes: readonly string[];
}

/** Reduces a raw config (the parsed file, or `{}`) to the symbol entry a backtest runs. */
export function selectEntry(rawConfig: Record<string, unknown>, sel: Selection): SelectedConfig {
  const entries = Array.isArray(rawConfig.symbols) ? (rawConfig.symbols as unknown[]).filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null) : [];
  const wanted = sel.symbol ?? sel.dataSymbol ?? (entries[0]?.symbol as string | undefined) ?? 'BTCUSDT';
  const notes: string[] = [];
  let entry: Record<string, unknown> = structuredClone(entries.find((e) => e.symbol === wanted) ?? { symbol: wanted, strategy: sel.strategy ?? 'scalper' });
  if (sel.symbol === undefined && sel.dataSymbol && sel.dataSymbol !== wanted) notes.push(`the data is ${sel.dataSymbol}; testing the config's ${wanted} entry on it`);
  if (sel.strategy !== undefined && entry.strategy !== sel.strategy) {
    entry = { symbol: wanted, strategy: sel.strategy, ...(entry.leverage !== undefined ? { leverage: entry.leverage } : {}) };
  }
  if (entry.intervalMinutes !== undefined && entry.intervalMinutes !== sel.intervalMinutes) {
    notes.push(`${wanted} is configured for ${String(entry.intervalMinutes)}m candles; the data is ${sel.intervalMinutes}m, so ${sel.intervalMinutes}m is used`);
  }
  entry.intervalMinutes = sel.intervalMinutes;
  entry.enabled = true;
  return { raw: { ...structuredClone(rawConfig), symbols: [entry] }, symbol: wanted, notes };
}

/** The config path a backtest `--set` key stands for (see the header). */
export function backtestSetPath(path: readonly string[]): string[] {
  const head = path[0]!;
  if (ROOT_SECTIONS.has(head) && path.length > 1) return [...path];
  if (!ENTRY_KEYS.has(head)) return ['symbols', '0', 'params', ...path];
  return ['symbols', '0', ...path];
}

/** Validates the selected config with the backtest's `--set` overrides applied (ConfigError if wrong). */
export function backtestConfig(selected: SelectedConfig, overrides: readonly SetOverride[], path: string): LoadedConfig {
  const sets = overrides.map((o) => {
    const text = o.raw.slice(o.raw.indexOf('=') + 1);
    return `${backtestSetPath(o.path).join('.')}=${text}`;
  });
  return parseConfigText(JSON.stringify(selected.raw), path, { sets });
}

/** Strategy name from `--strategy`, or a UsageError. */
export function strategyArg(s: string | undefined): StrategyName | undefined {
  if (s === undefined) return undefined;
  if (s === 'scalper' || s === 'maker') return s;
  throw new UsageError(`--strategy must be scalper or maker, got "${s}"`);
}
