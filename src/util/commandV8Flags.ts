/**
 * The V8 flags a command sets for itself at start-up (`v8.setFlagsFromString`, in src/bot.ts,
 * before the command's code loads). Flags are process-wide: a sweep's worker threads, started
 * later, run with them too. A flag the user gave node (NODE_OPTIONS or the command line) on the
 * same subject wins. Measured in BENCHMARKS.md ("Backtest memory"; "Latency").
 */
import { setFlagsFromString } from 'node:v8';

/** Each function is given the node options the process started with (`process.execArgv`, `NODE_OPTIONS`). */
export type V8FlagRule = (execArgv: readonly string[], nodeOptions: string | undefined) => string[];

/** Sets the flags `rule` gives for this process's own node options: process-wide, from now on. */
export function applyV8FlagRule(rule: V8FlagRule): void {
  for (const flag of rule(process.execArgv, process.env.NODE_OPTIONS)) setFlagsFromString(flag);
}

/** What the user gave node, with `_` read as `-` (V8 reads them alike in a flag's name). */
export function givenOptions(execArgv: readonly string[], nodeOptions: string | undefined): string {
  return [...execArgv, nodeOptions ?? ''].join(' ').replaceAll('_', '-');
}

/** Node's own options that size the young generation. */
const YOUNG_SIZED = /--(?:(?:max|min)-)?semi-space|--scavenger-max-new-space|--minor-ms/;
/** `--maglev` or `--no-maglev`, not the options that tune it. */
const MAGLEV_CHOSEN = /--(?:no-)?maglev(?![-\w])/;

/**
 * `backtest`, to keep its memory down on the phone:
 * - `--semi-space-growth-factor=1`: the young generation stays at its size when the command
 *   starts. Left alone, V8 doubles it whenever much of it survives a collection (Node 20: up to
 *   16 MB semi-spaces, Node 24: 32 MB), a backtest's stream of short-lived objects grows it within
 *   the first month of candles, and the memory is not given back before the command ends. Node
 *   20, the month ten times: peak RSS 85–88 → 77–78 MB at the same speed. The growth factor is read
 *   each time V8 decides to grow; `--max-semi-space-size` only when the heap is made, too early.
 * - `--no-maglev`: V8's mid-tier compiler, on by default from Node 22 (off in Node 20), keeps
 *   about 10–20 MB of its own during a backtest. Without it the code tiers up as on Node 20.
 */
export const backtestMemoryFlags: V8FlagRule = (execArgv, nodeOptions) => {
  const given = givenOptions(execArgv, nodeOptions);
  const flags: string[] = [];
  if (!YOUNG_SIZED.test(given)) flags.push('--semi-space-growth-factor=1');
  if (!MAGLEV_CHOSEN.test(given)) flags.push('--no-maglev');
  return flags;
};

/** Node's options that choose how far V8 compiles JavaScript. */
const TIER_CHOSEN = /--(?:max-opt|(?:no-)?(?:turbofan|opt|maglev|sparkplug|concurrent-sparkplug|jitless|lite-mode))(?![-\w])/;

/**
 * `run`, the trading process: `--no-maglev --no-turbofan`, JavaScript compiled no further than
 * Sparkplug, V8's baseline compiler. The optimising compilers (Maglev, TurboFan) compile on V8's
 * worker threads, and each job wakes a worker; the kernel then often ran the worker on the main
 * thread's core and left the main thread waiting 2–4 ms while the other core sat idle (`perf
 * sched`). Those waits were the slow orders of the frame-to-order latency. A trading bot's code
 * runs a few times a second, seldom hot enough for the optimisers to pay. (`--max-opt=1` says the
 * same, but Node 24 and 26 read it only at start-up; these two they read when set.) And
 * `--no-concurrent-sparkplug`: Sparkplug compiles on the thread that runs the code, as Node 20 does
 * by default; Node 24 and 26 compile it on the worker threads too.
 */
export const runTierFlags: V8FlagRule = (execArgv, nodeOptions) => (TIER_CHOSEN.test(givenOptions(execArgv, nodeOptions)) ? [] : ['--no-maglev', '--no-turbofan', '--no-concurrent-sparkplug']);
