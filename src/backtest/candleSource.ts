/**
 * Where a backtest's candles come from (issue 21): either candles already in memory, or a candle
 * file read again for every run in batches of about 140, so that the history a run holds
 * does not grow with the length of the file. A file is read once first, to check it whole and count
 * it, so a bad line is reported before any run starts, as it always was.
 */
import { readCandleBatches, scanCandleFile, type CandleFileScan } from '../domain/candleCsv.js';
import type { Candle } from '../domain/types.js';

export interface CandleSource {
  /** Candles in the source. */
  readonly count: number;
  /** Open time of the first and last candle. */
  readonly firstTs: number;
  readonly lastTs: number;
  /** Smallest step between consecutive candles (Infinity for fewer than two). */
  readonly minStepMs: number;
  /** The candles, ascending, in batches; each call starts from the first. */
  batches(): AsyncIterable<readonly Candle[]>;
  /** The file read, for a source that reads one (another thread can read it again with `scannedFileSource`). */
  readonly path?: string;
}

export function isCandleSource(x: readonly Candle[] | CandleSource): x is CandleSource {
  return !Array.isArray(x);
}

/** Candles already in memory (a download, a test's slice) as a source: one batch, no copy. */
export function arrayCandleSource(candles: readonly Candle[]): CandleSource {
  let minStepMs = Infinity;
  for (let i = 1; i < candles.length; i++) minStepMs = Math.min(minStepMs, candles[i]!.ts - candles[i - 1]!.ts);
  return {
    count: candles.length,
    firstTs: candles[0]?.ts ?? NaN,
    lastTs: candles.at(-1)?.ts ?? NaN,
    minStepMs,
    async *batches() {
      if (candles.length > 0) yield candles;
    },
  };
}

/**
 * A `.csv` or `.csv.gz` candle file as a source: reads it through once, checking every line, to
 * count it (CandleCsvError or the `fs` error as `readCandleFile` throws them), building no candle.
 */
export async function fileCandleSource(path: string): Promise<CandleSource> {
  return scannedFileSource(path, await scanCandleFile(path));
}

/** A file already checked (`scanCandleFile`) as a source: a backtest worker gets the figures, not the file again. */
export function scannedFileSource(path: string, scan: CandleFileScan): CandleSource {
  const { count, firstTs, lastTs, minStepMs } = scan;
  return { count, firstTs, lastTs, minStepMs, path, batches: () => readCandleBatches(path) };
}

/** Interval in minutes from the smallest step between rows, as `inferIntervalMinutes` gives it. */
export function sourceIntervalMinutes(source: CandleSource): number | null {
  const step = source.minStepMs;
  return Number.isFinite(step) && step % 60_000 === 0 ? step / 60_000 : null;
}

/**
 * The last candles before a backtest's window, the warm-up history the engine asks for: at most
 * `keep` of them are held however long the file is (the engine asks for its strategy's warm-up
 * plus five, src/engine/engine.ts #warmUpBefore).
 */
export class RecentCandles {
  readonly #keep: number;
  #candles: Candle[] = [];
  #seen = 0;

  constructor(keep: number) {
    this.#keep = keep;
  }

  /** Candles seen, held or not. */
  get seen(): number {
    return this.#seen;
  }

  push(c: Candle): void {
    this.#seen++;
    this.#candles.push(c);
    if (this.#candles.length >= 2 * this.#keep) this.#candles.splice(0, this.#candles.length - this.#keep);
  }

  /** The held candles, ascending (at most `keep`). */
  held(): Candle[] {
    return this.#candles.slice(-this.#keep);
  }
}
