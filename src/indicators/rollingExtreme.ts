/**
 * Highest (or lowest) of the last `length` inputs, by a monotonic deque held in fixed typed arrays:
 * amortised O(1) per update, no allocation. Used by StochRSI's min/max of RSI (DESIGN section 5).
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';

export type ExtremeKind = 'max' | 'min';

export class RollingExtreme implements Indicator<number> {
  readonly requiredInputs: number;
  readonly kind: ExtremeKind;
  readonly #length: number;
  readonly #isMax: boolean;
  /** Deque of candidate values and their input indices; ring of capacity `length`. */
  readonly #values: Float64Array;
  readonly #indices: Float64Array;
  #front = 0;
  #count = 0;
  #seen = 0;
  /** NaN until warmed up (a double field: a `number | null` one stored a new heap number at every write). */
  #value = NaN;

  constructor(length: number, kind: ExtremeKind) {
    assertLength(length, 1, 'RollingExtreme');
    this.#length = length;
    this.kind = kind;
    this.#isMax = kind === 'max';
    this.requiredInputs = length;
    this.#values = new Float64Array(length);
    this.#indices = new Float64Array(length);
  }

  get value(): number | null {
    const v = this.#value;
    return v === v ? v : null;
  }

  get isStable(): boolean {
    return this.#value === this.#value;
  }

  update(x: number): number | null {
    assertFinite(x, 'RollingExtreme');
    const cap = this.#length;
    const values = this.#values;
    const indices = this.#indices;
    const i = this.#seen++;
    // Drop candidates that left the window (only the front can be that old).
    if (this.#count > 0 && indices[this.#front]! <= i - cap) {
      this.#front = this.#front + 1 === cap ? 0 : this.#front + 1;
      this.#count--;
    }
    // Drop candidates from the back that x dominates; they can never be the extreme again.
    while (this.#count > 0) {
      let back = this.#front + this.#count - 1;
      if (back >= cap) back -= cap;
      const v = values[back]!;
      if (this.#isMax ? v > x : v < x) break;
      this.#count--;
    }
    let slot = this.#front + this.#count;
    if (slot >= cap) slot -= cap;
    values[slot] = x;
    indices[slot] = i;
    this.#count++;
    if (i + 1 < cap) return null;
    return (this.#value = values[this.#front]!);
  }
}
