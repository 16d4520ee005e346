/**
 * Where a backtest's candles come from (issue 21): either candles already in memory, or a candle
 * file read again for every run in batches of about 140, so that the history a run holds
 * does not grow with the length of the file. For a sweep a file is read once first, to check it whole
 * and count it, so a bad line is reported before any run starts; a single run checks it in the pass
 * that plays it (`onePassFileSource`, issue 18).
 */
import { CandleFileReading, readCandleBatches, scanCandleFile, scanCandleHead, type CandleFileScan } from '../domain/candleCsv.js';
import type { Candle } from '../domain/types.js';

export interface CandleSource {
  /** Candles in the source; Infinity for a file read once (`onePassFileSource`), counted only as it is read. */
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

/** Bytes of a file `onePassFileSource` checks before the run that reads it: about 1,100 1m candles. */
const HEAD_BYTES = 64 * 1024;

/** A candle file read once by a single run: figures from its head first, the whole file's after the run. */
export interface OnePassFile {
  /** The figures of the file's first HEAD_BYTES, every line of them checked. */
  readonly head: CandleFileScan;
  /** The file for the run: `count` Infinity (not known before the end), `batches()` once. */
  readonly source: CandleSource;
  /** After the run: reads on to the end of the file, checking every line; the whole file's figures. */
  rest(): CandleFileScan;
  close(): void;
}

/**
 * A `.csv` or `.csv.gz` candle file that a single run reads once (issue 18) instead of a check
 * first and the run's read after: its head is checked now, the run plays and checks the rest, and
 * `rest()` finishes the check. Null where that gains nothing or cannot be done: the head is the
 * whole file, or a `.gz` file must be streamed. Errors as `fileCandleSource` throws them.
 */
export function onePassFileSource(path: string): OnePassFile | null {
  const head = scanCandleHead(path, HEAD_BYTES);
  if (head === null || head.whole) return null;
  const reading = new CandleFileReading(path);
  const { firstTs, minStepMs } = head.scan;
  return {
    head: head.scan,
    source: { count: Infinity, firstTs, lastTs: NaN, minStepMs, batches: () => reading.batches() },
    rest: () => reading.rest(),
    close: () => reading.close(),
  };
}

/**
 * Plays a candle file once through `play` (a single run, given the file's head figures and the file
 * as a source) and checks it to its end; `agrees` then says whether the whole file's figures decide
 * what the head's did. The run's result, or null where the caller must check the file first and
 * run again (the two-pass way, whose answer is the one to give): the file is small (its head is
 * all of it), anything failed (a bad line, a run that needs the count), or the figures disagree.
 * `play` must write nothing: its result is thrown away on null.
 */
export async function playFileOnce<T>(path: string, play: (source: CandleSource, head: CandleFileScan) => Promise<T>, agrees: (whole: CandleFileScan) => boolean = () => true): Promise<T | null> {
  let file: OnePassFile | null = null;
  try {
    file = onePassFileSource(path);
    if (file === null) return null;
    const result = await play(file.source, file.head);
    return agrees(file.rest()) ? result : null;
  } catch {
    return null;
  } finally {
    file?.close();
  }
}

/** Interval in minutes from the smallest step between rows, as `inferIntervalMinutes` gives it. */
export function sourceIntervalMinutes(source: Pick<CandleSource, 'minStepMs'>): number | null {
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
