/**
 * Fibonacci retracement levels(n) (DESIGN section 5b): HH/LL the highest high and lowest low of the
 * last n candles; level(R) = HH − R × (HH − LL) for R = 0.382, 0.5, 0.618. `update` returns the 0.5
 * level; `level382`, `level500`, `level618` are read after it. O(1) amortised (monotonic deques).
 * Reference: StockCharts ChartSchool, "Fibonacci Retracements".
 */
import { assertLength, type Indicator } from './indicator.js';
import type { HighLow } from './parabolicSar.js';
import { RollingExtreme } from './rollingExtreme.js';

export const FIB_RATIOS = [0.382, 0.5, 0.618] as const;

export class Fibonacci implements Indicator<HighLow> {
  readonly requiredInputs: number;
  readonly #hh: RollingExtreme;
  readonly #ll: RollingExtreme;
  #l382: number | null = null;
  #l500: number | null = null;
  #l618: number | null = null;

  constructor(length: number) {
    assertLength(length, 1, 'Fibonacci');
    this.requiredInputs = length;
    this.#hh = new RollingExtreme(length, 'max');
    this.#ll = new RollingExtreme(length, 'min');
  }

  get value(): number | null {
    return this.#l500;
  }

  get isStable(): boolean {
    return this.#l500 !== null;
  }

  get level382(): number | null {
    return this.#l382;
  }

  get level500(): number | null {
    return this.#l500;
  }

  get level618(): number | null {
    return this.#l618;
  }

  update(c: HighLow): number | null {
    const hh = this.#hh.update(c.high);
    const ll = this.#ll.update(c.low);
    if (hh === null || ll === null) return null;
    const range = hh - ll;
    this.#l382 = hh - 0.382 * range;
    this.#l618 = hh - 0.618 * range;
    return (this.#l500 = hh - 0.5 * range);
  }
}
