/**
 * Pivot high / pivot low (DESIGN section 5): the value at candle i is a pivot high when it is
 * strictly greater than the `left` values before it and the `right` values after it (a pivot low:
 * strictly less). It is known only at candle i + right, so `update` returns the pivot's price on the
 * input that confirms it, and null on every other input: no look-ahead by construction.
 * Feed highs to a 'high' pivot and lows to a 'low' pivot. Defaults 2/1 come from the original scalper.
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';
import { RingBuffer } from './ringBuffer.js';

export type PivotKind = 'high' | 'low';

export class Pivot implements Indicator<number> {
  readonly requiredInputs: number;
  readonly kind: PivotKind;
  readonly left: number;
  readonly right: number;
  readonly #window: RingBuffer;
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
    this.#window = new RingBuffer(left + right + 1);
  }

  /** The pivot confirmed by the last input, or null. */
  get value(): number | null {
    const v = this.#value;
    return v === v ? v : null;
  }

  /** True once the window holds enough candles to decide. */
  get isStable(): boolean {
    return this.#window.isFull;
  }

  update(x: number): number | null {
    assertFinite(x, 'Pivot');
    const w = this.#window;
    w.push(x);
    if (!w.isFull) {
      this.#value = NaN;
      return null;
    }
    const candidate = w.at(this.left);
    const size = w.capacity;
    for (let i = 0; i < size; i++) {
      if (i === this.left) continue;
      const v = w.at(i);
      if (this.#isHigh ? !(candidate > v) : !(candidate < v)) {
        this.#value = NaN;
        return null;
      }
    }
    return (this.#value = candidate);
  }
}
