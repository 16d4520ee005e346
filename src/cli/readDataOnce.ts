/**
 * A `--data` file for `backtest`: the figures its checks give (src/cli/backtest.ts), and the single
 * run that reads its file once (issue 18). A backtest checks its whole file before it reports
 * anything: every line, the count, and the interval the smallest step between candles gives. A
 * sweep checks the file first and then each run reads it again; a single run instead starts from
 * the figures of the file's head, plays the file while checking every line, reads on to the end
 * when its window ends early, and then compares. Where the whole file's figures decide anything
 * differently from the head's, or anything at all fails on the way, the caller does it the two-pass
 * way from the start, so the answer (the report, or the error, its text and exit code, with nothing
 * written) is the one the two passes give; only a bad line late in the file is found after the
 * candles before it were played.
 */
import { playFileOnce, sourceIntervalMinutes, type CandleSource } from '../backtest/candleSource.js';
import { INTERVALS_MINUTES } from '../config/schema.js';
import { describeCandleFile, type CandleFileScan } from '../domain/candleCsv.js';
import type { Candle } from '../domain/types.js';
import { UsageError } from '../util/errors.js';
import type { CommandIo } from './command.js';
import { dataPath } from './paths.js';

export interface DataSource {
  readonly candles: readonly Candle[] | CandleSource;
  readonly intervalMinutes: number;
  readonly file: string;
  readonly symbol: string | null;
}

/** What the checks of a `--data` file decide from its figures: its interval and symbol; UsageError saying why not. */
export function dataFigures(arg: string, path: string, scan: Pick<CandleFileScan, 'count' | 'minStepMs'>, intervalArg: number | undefined): { readonly intervalMinutes: number; readonly symbol: string | null } {
  if (scan.count < 2) throw new UsageError(`--data ${arg} holds ${scan.count} candle(s); a backtest needs more`);
  const named = describeCandleFile(path);
  const inferred = sourceIntervalMinutes(scan);
  const minutes = intervalArg ?? named.intervalMinutes ?? inferred;
  if (minutes === null || !(INTERVALS_MINUTES as readonly number[]).includes(minutes)) {
    throw new UsageError(`cannot tell the candle interval of ${arg}: name it like bybit-BTCUSDT-1m.csv or give --interval`);
  }
  if (inferred !== null && inferred !== minutes) throw new UsageError(`${arg}: the candles are ${inferred} minutes apart, not ${minutes}`);
  return { intervalMinutes: minutes, symbol: named.symbol };
}

/**
 * Plays the `--data` file once through `play` (a single run) and checks it to its end; the run's
 * result, or null where the caller must check the file first and run again: the file is small (its
 * head is all of it), anything failed, or the whole file's figures decide otherwise than the head's.
 * `play` must write nothing: its result is thrown away on null.
 */
export function readDataOnce<T>(arg: string, io: CommandIo, intervalArg: number | undefined, play: (data: DataSource & { readonly candles: CandleSource }) => Promise<T>): Promise<T | null> {
  const path = dataPath(arg, io);
  let intervalMinutes = 0;
  return playFileOnce(
    path,
    (candles, scan) => {
      const head = dataFigures(arg, path, scan, intervalArg);
      intervalMinutes = head.intervalMinutes;
      // The run's start decides from the count only whether the file holds the warm-up it wants, and
      // with an unknown count (Infinity) a file too short for it fails the run: the caller's retry.
      return play({ candles, intervalMinutes, file: arg, symbol: head.symbol });
    },
    (whole) => dataFigures(arg, path, whole, intervalArg).intervalMinutes === intervalMinutes,
  );
}
