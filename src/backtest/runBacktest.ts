/**
 * The backtest runner (issue 9 item 1): historical candles replayed through the **same** Engine and
 * Strategy code as live (DESIGN section 2), with the one simulator (src/sim) as the exchange, in
 * memory (MemoryStore, MemoryJournal: no state directory, no fsync per order).
 *
 * - Warm-up: the candles before the window are the exchange's history; the engine warms its
 *   strategy up from them through `fetchCandles` exactly as it does live at start-up, so the first
 *   candle of the window already has valid indicators. Without an explicit start the window begins
 *   right after the history the engine asks for.
 * - No look-ahead: the engine only ever sees a candle after the simulator has played it, and its
 *   clock (`now`) is the close time of the candle just fed. The simulator itself only knows the
 *   candle being played.
 * - Fills: DESIGN section 5 through `marketFill: 'nextPrice'`: a decision at the close of candle t
 *   fills at the open of t+1 plus slippage; resting limits fill only when the path trades strictly
 *   through them; stop before target inside one candle. Fees and slippage from the config.
 * - The market maker gets one top of book per candle, the simulator's synthetic touch at the close
 *   (src/sim/syntheticBook.ts): its quotes rest and fill only when the next candles' paths trade
 *   through them.
 * - The kill switch (`risk.killSwitchDrawdownPct`) acts as live: the trade it closes carries the exit
 *   reason `killSwitch`, and nothing opens after it (no one runs `resume` in a backtest).
 * - At the end, whatever is still open is closed at the last close (market order, taker fee,
 *   slippage) so that the sum of the trades' PnL equals the equity change; that trade's exit reason
 *   is `endOfData`.
 */
import type { Candle } from '../domain/types.js';
import { BacktestError, type BacktestInput, type BacktestRun } from './backtestRun.js';
import { arrayCandleSource, isCandleSource, RecentCandles } from './candleSource.js';
import { startReplay, type Replay } from './startReplay.js';

export { BacktestError, type BacktestCosts, type BacktestInput, type BacktestRun, type BacktestTrade } from './backtestRun.js';
export { lowerBound } from './startReplay.js';

/** Replays the window and returns the equity curve, trades and journal. */
export async function runBacktest(input: BacktestInput): Promise<BacktestRun> {
  const t0 = performance.now();
  const { intervalMinutes, settings, strategy } = input;
  const source = isCandleSource(input.candles) ? input.candles : arrayCandleSource(input.candles);
  if (settings.symbols.length !== 1) throw new BacktestError(`a backtest runs one symbol, got ${settings.symbols.length}`);
  const sym = settings.symbols[0]!;
  if (sym.intervalMinutes !== intervalMinutes) throw new BacktestError(`${sym.symbol} is configured for ${sym.intervalMinutes}m candles but the data is ${intervalMinutes}m`);
  if (source.count === 0) throw new BacktestError('no candles to backtest');

  // The engine warms the strategy up on the warmupCandles + 5 closed candles before its first
  // streamed one (src/engine/strategyRunner.ts #warmUpBefore). The default window starts right after exactly
  // that many, so the strategy sees every candle of the file from the first, as `signals` does: with
  // more, the first ones were skipped, and since Wilder's RSI remembers where it started, the
  // backtest's StochRSI crosses could land a candle away from the signals `signals` prints (issue 17).
  const warmNeed = strategy.warmupCandles + 5;
  const { fromMs, toMs } = input;
  const startIndex = fromMs === undefined ? Math.min(warmNeed, source.count - 1) : -1;
  const inWindow = (c: Candle, index: number): boolean => (fromMs === undefined ? index >= startIndex : c.ts >= fromMs);
  // Candles stream through (issue 21): only the last ones before the window are held, for the
  // engine's warm-up, and the window's last candle is known once the next one is read.
  const recent = new RecentCandles(Math.max(2 * warmNeed, 1000));
  let replay: Replay | null = null;
  let pending: Candle | null = null;
  let index = 0;
  outer: for await (const batch of source.batches()) {
    // Indexed, not `for of`: an array iterator's result object per candle where the loop runs unoptimised.
    for (let i = 0; i < batch.length; i++) {
      const c = batch[i]!;
      if (toMs !== undefined && c.ts >= toMs) break outer;
      if (replay === null) {
        if (!inWindow(c, index)) {
          recent.push(c);
          index++;
          continue;
        }
        replay = await startReplay(input, recent, c, warmNeed);
      } else {
        const busy = replay.play(pending!, false);
        if (busy) await busy;
      }
      pending = c;
      index++;
    }
    input.onProgress?.(index);
  }
  if (replay === null || pending === null) throw new BacktestError('the window holds no candles (check --from/--to against the data)');
  await replay.play(pending, true);
  return replay.finish(t0);
}
