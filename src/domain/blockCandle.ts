/**
 * A candle read from a block of parsed rows (issue 18): the six numbers of a row stay in a
 * Float64Array the CSV reader fills, six to a row, and the candle is a view of its row. A candle
 * built as an object holds each number as a boxed double of its own (V8 with pointer compression
 * keeps no double unboxed in an object), six boxes and the object per row, about half of what a
 * backtest allocated per candle; a view is one small object. A block is written once, never reused,
 * so a view reads the same numbers however long it is kept (the engine's history, the warm-up).
 *
 * The numbers come from own-property-free getters, so code that spreads a candle or compares its
 * keys would see none: `toJSON` gives the plain candle, and `plainCandle` makes one.
 */
import type { Candle } from './types.js';

/** Numbers per row: ts, open, high, low, close, volume. */
export const ROW_WIDTH = 6;

export class BlockCandle implements Candle {
  readonly #rows: Float64Array;
  readonly #at: number;

  /** The row starting at `at` (a multiple of ROW_WIDTH) of `rows`; the row must be written and never changed after. */
  constructor(rows: Float64Array, at: number) {
    this.#rows = rows;
    this.#at = at;
  }

  get ts(): number {
    return this.#rows[this.#at]!;
  }
  get open(): number {
    return this.#rows[this.#at + 1]!;
  }
  get high(): number {
    return this.#rows[this.#at + 2]!;
  }
  get low(): number {
    return this.#rows[this.#at + 3]!;
  }
  get close(): number {
    return this.#rows[this.#at + 4]!;
  }
  get volume(): number {
    return this.#rows[this.#at + 5]!;
  }

  toJSON(): Candle {
    return plainCandle(this);
  }
}

/** The candle as a plain object with the same six numbers. */
export function plainCandle(c: Candle): Candle {
  return { ts: c.ts, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
}
