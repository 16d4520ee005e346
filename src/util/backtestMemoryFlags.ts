/**
 * The V8 flags a backtest sets for itself, to keep its memory down on the phone. Both can be set
 * once the process runs (`v8.setFlagsFromString`); both are process-wide, so a sweep's worker
 * threads, started later, run with them too. A flag the user gave node (NODE_OPTIONS or the
 * command line) on the same subject wins. Measured in BENCHMARKS.md, "Backtest memory".
 *
 * - `--semi-space-growth-factor=1`: the young generation stays at its size when the command
 *   starts. Left alone, V8 doubles it whenever much of it survives a collection (Node 20: up to
 *   16 MB semi-spaces, Node 24: 32 MB), a backtest's stream of short-lived objects grows it within
 *   the first month of candles, and the memory is not given back before the command ends. Node
 *   20, the month ten times: peak RSS 85–88 → 77–78 MB at the same speed. The growth factor is read
 *   each time V8 decides to grow; `--max-semi-space-size` only when the heap is made, too early.
 * - `--no-maglev`: V8's mid-tier compiler, on by default from Node 22 (off in Node 20), keeps
 *   about 10–20 MB of its own during a backtest. Without it the code tiers up as on Node 20.
 */

/** Node's own options that size the young generation. */
const YOUNG_SIZED = /--(?:(?:max|min)-)?semi-space|--scavenger-max-new-space|--minor-ms/;
/** `--maglev` or `--no-maglev`, not the options that tune it. */
const MAGLEV_CHOSEN = /--(?:no-)?maglev(?![-\w])/;

/** The flags to set, given the node options the process started with (`process.execArgv`, `NODE_OPTIONS`). */
export function backtestMemoryFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  // V8 reads `_` and `-` in a flag's name alike.
  const given = [...execArgv, nodeOptions ?? ''].join(' ').replaceAll('_', '-');
  const flags: string[] = [];
  if (!YOUNG_SIZED.test(given)) flags.push('--semi-space-growth-factor=1');
  if (!MAGLEV_CHOSEN.test(given)) flags.push('--no-maglev');
  return flags;
}
