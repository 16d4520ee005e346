/**
 * One full garbage collection after `run` has started (issue 18, the RSS goal). Start-up makes
 * garbage the running bot never touches again: the config's validation, ccxt's Bybit class
 * compiled from its text, the markets, the warm-up candles. V8 gives memory back to the system
 * through its memory reducer, which starts after a mark-compact; a start-up that stays under the
 * old generation's first limit has none, and then nothing starts the reducer in a quiet bot: its
 * heap keeps the start-up garbage. Node 24, after 5 minutes: 90 MB of RSS where V8 had run no
 * mark-compact, 76.5 MB where it had (BENCHMARKS.md, "Memory").
 *
 * Node offers no collection to a program started without `--expose-gc`. V8 installs `gc` in each
 * context made while the flag is set, so the flag is set only while one context is made for it,
 * and the program's own global never gets `gc`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { givenOptions } from './commandV8Flags.js';

/** How long after `run` reports running: the streams are subscribed and the first candles read by then. */
export const START_UP_GC_DELAY_MS = 10_000;

/**
 * A full, synchronous collection now: 20-25 ms for a running bot's 13-16 MB heap (Node 20 and 24,
 * on a busy 2-core machine), once; an order due then waits that long, a fraction of its way to Bybit.
 * Never throws (it runs from a timer in the trading process). A user who gave node `--expose-gc` or
 * `--expose-gc-as=NAME` keeps the flag as given: their `gc` is used if it is the global `gc`, and
 * otherwise nothing is collected. False when nothing was.
 */
export function collectGarbageOnce(): boolean {
  try {
    let gc: unknown = (globalThis as { gc?: unknown }).gc;
    if (typeof gc !== 'function' && !/--expose-gc/.test(givenOptions(process.execArgv, process.env.NODE_OPTIONS))) {
      setFlagsFromString('--expose-gc');
      try {
        gc = runInNewContext('typeof gc === "function" ? gc : undefined');
      } finally {
        setFlagsFromString('--no-expose-gc');
      }
    }
    if (typeof gc !== 'function') return false;
    (gc as () => void)();
    return true;
  } catch {
    return false;
  }
}

/** Collects once START_UP_GC_DELAY_MS from now, unless cancelled (the returned function); never keeps the process alive. */
export function collectStartUpGarbage(): () => void {
  const timer = setTimeout(() => void collectGarbageOnce(), START_UP_GC_DELAY_MS);
  timer.unref();
  return () => clearTimeout(timer);
}
