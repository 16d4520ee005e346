/**
 * The open times of a backtest's window candles, held as runs of evenly spaced candles: a year of
 * gap-free 1m candles is one run (a few numbers) instead of 525,600 (issue 21). `at(i)` gives back
 * exactly the time that was pushed: integer milliseconds below 2^53 add up exactly.
 */
export interface CandleTimesData {
  readonly stepMs: number;
  readonly runIndex: readonly number[];
  readonly runTs: readonly number[];
  readonly last: number;
  readonly length: number;
}

export class CandleTimes {
  readonly #stepMs: number;
  /** Index and time of the first candle of each run. */
  readonly #runIndex: number[] = [];
  readonly #runTs: number[] = [];
  #last = NaN;
  #length = 0;
  /** The run the last `at` found: reading in order costs no search. */
  #hint = 0;

  constructor(stepMs: number) {
    this.#stepMs = stepMs;
  }

  /** The runs as plain data (to hand to another thread), and back. */
  toData(): CandleTimesData {
    return { stepMs: this.#stepMs, runIndex: [...this.#runIndex], runTs: [...this.#runTs], last: this.#last, length: this.#length };
  }

  static fromData(d: CandleTimesData): CandleTimes {
    const t = new CandleTimes(d.stepMs);
    for (let i = 0; i < d.runIndex.length; i++) {
      t.#runIndex.push(d.runIndex[i]!);
      t.#runTs.push(d.runTs[i]!);
    }
    t.#last = d.last;
    t.#length = d.length;
    return t;
  }

  get length(): number {
    return this.#length;
  }

  /** The step between the candles of a run. */
  get stepMs(): number {
    return this.#stepMs;
  }

  push(ts: number): void {
    if (ts !== this.#last + this.#stepMs) {
      this.#runIndex.push(this.#length);
      this.#runTs.push(ts);
    }
    this.#last = ts;
    this.#length++;
  }

  /** Open time of the i-th candle (0 <= i < length). */
  at(i: number): number {
    const r = this.#run(i);
    return this.#runTs[r]! + (i - this.#runIndex[r]!) * this.#stepMs;
  }

  /** Where the run of evenly spaced candles holding the i-th ends (exclusive): the candles from i to it are `stepMs` apart. */
  evenUntil(i: number): number {
    const r = this.#run(i);
    return r + 1 < this.#runIndex.length ? this.#runIndex[r + 1]! : this.#length;
  }

  /** The run holding the i-th candle. */
  #run(i: number): number {
    const idx = this.#runIndex;
    const h = this.#hint;
    if (h < idx.length && idx[h]! <= i && (h + 1 === idx.length || i < idx[h + 1]!)) return h;
    let lo = 0;
    let hi = idx.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (idx[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    this.#hint = lo;
    return lo;
  }
}
