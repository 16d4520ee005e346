/**
 * Pivot high / pivot low (DESIGN section 5): the value at candle i is a pivot high when it is
 * strictly greater than the `left` values before it and the `right` values after it (a pivot low:
 * strictly less). It is known only at candle i + right, so `update` returns the pivot's price on the
 * input that confirms it, and null on every other input: no look-ahead by construction.
 * Feed highs to a 'high' pivot and lows to a 'low' pivot. Defaults 2/1 come from the original scalper.
 * The window is a shift register (oldest first, so the candidate sits at index `left`), and the
 * failed comparisons are counted over the whole window, the candidate's own included (it is never
 * strictly beyond itself): a pivot is a count of exactly 1. No branch per comparison, whose outcome
 * is a coin toss on real prices, and no ring index arithmetic (~35 → ~25 ns for the two pivots of
 * the scalper). The same AND of strict comparisons (tests/indicators/pivotFast.test.ts).
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';

export type PivotKind = 'high' | 'low';

export class Pivot implements Indicator<number> {
  readonly requiredInputs: number;
  readonly kind: PivotKind;
  readonly left: number;
  readonly right: number;
  /** The last left + right + 1 inputs, oldest at index 0. */
  readonly #window: Float64Array;
  readonly #size: number;
  #count = 0;
  readonly #isHigh: boolean;
  /** NaN when the last candle confirmed no pivot (a double field: a `number | null` one stored a new heap number at every write). */
  #value = NaN;

  constructor(kind: PivotKind, left: number, right: number) {
    assertLength(left, 1, 'Pivot left');
    assertLength(right, 0, 'Pivot right');
    this.kind = kind;
    this.left = left;
    this.right = right;
    this.#isHigh = kind === 'high';
    this.requiredInputs = left + right + 1;
    this.#size = left + right + 1;
    this.#window = new Float64Array(this.#size);
  }

  /** The pivot confirmed by the last input, or null. */
  get value(): number | null {
    const v = this.#value;
    return v === v ? v : null;
  }

  /** True once the window holds enough candles to decide. */
  get isStable(): boolean {
    return this.#count === this.#size;
  }

  update(x: number): number | null {
    assertFinite(x, 'Pivot');
    const w = this.#window;
    const size = this.#size;
    for (let i = 1; i < size; i++) w[i - 1] = w[i]!;
    w[size - 1] = x;
    if (this.#count < size && ++this.#count < size) {
      this.#value = NaN;
      return null;
    }
    const left = this.left;
    const candidate = w[left]!;
    // Every comparison, counted without a branch per comparison (their outcomes are a coin toss).
    let fails = 0;
    if (this.#isHigh) {
      for (let i = 0; i < size; i++) fails += +!(candidate > w[i]!);
    } else {
      for (let i = 0; i < size; i++) fails += +!(candidate < w[i]!);
    }
    if (fails !== 1) return this.#none(); // the candidate fails against itself, once
    return (this.#value = candidate);
  }

  #none(): null {
    this.#value = NaN;
    return null;
  }
}
