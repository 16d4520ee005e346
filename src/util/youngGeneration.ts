/**
 * V8's young generation held at the size it starts with, for a backtest. Left alone, V8 doubles it
 * whenever much of it survives a collection (Node 20: semi-spaces up to 16 MB, Node 24: 32 MB), and a
 * backtest's stream of short-lived objects grows it within the first month of candles; the memory is
 * not given back before the command ends. Held, a year of 1m candles peaks about 12 MB lower and
 * runs as fast (BENCHMARKS.md, "Backtest memory"). `--semi-space-growth-factor` is read each time V8
 * decides to grow, so it can be set once the process runs; `--max-semi-space-size` is read only
 * when the heap is made, too early for the bot to set.
 *
 * The flag is process-wide: a sweep's worker threads hold theirs at its start size as well.
 */
import { setFlagsFromString } from 'node:v8';

/** Node's own options that size the young generation: the user's choice, left as it is. */
const USER_SIZED = /--(?:(?:max|min)-)?semi-space|--scavenger-max-new-space|--minor-ms/;

/**
 * Holds the young generation at its start size unless the node options the process started with
 * (`process.execArgv`, `NODE_OPTIONS`) size it themselves. Returns whether it did.
 */
export function holdYoungGeneration(execArgv: readonly string[], nodeOptions: string | undefined, setFlags: (flags: string) => void = setFlagsFromString): boolean {
  // V8 reads `_` and `-` in a flag's name alike.
  if (USER_SIZED.test([...execArgv, nodeOptions ?? ''].join(' ').replaceAll('_', '-'))) return false;
  setFlags('--semi-space-growth-factor=1');
  return true;
}
