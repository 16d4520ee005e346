/**
 * Stochastic of a single series over the last `length` inputs: 100·(x − min)/(max − min), 0 when
 * max = min (DESIGN section 5, the "raw" of StochRSI). Scale 0–100 on every branch, both ends
 * exact: x at the window's min gives 0 and at its max gives 100, to the bit.
 * Reference: StockCharts ChartSchool, "StochRSI", worked example cs-stochrsi.xls.
 */
import { assertLength, type Indicator } from './indicator.js';
import { RollingExtreme } from './rollingExtreme.js';

export class RollingStochastic implements Indicator<number> {
  readonly requiredInputs: number;
  readonly #max: RollingExtreme;
  readonly #min: RollingExtreme;
  /** NaN until warmed up (a double field: a `number | null` one stored a new heap number at every write). */
  #value = NaN;

  constructor(length: number) {
    assertLength(length, 1, 'RollingStochastic');
    this.requiredInputs = length;
    this.#max = new RollingExtreme(length, 'max');
    this.#min = new RollingExtreme(length, 'min');
  }

  get value(): number | null {
    const v = this.#value;
    return v === v ? v : null;
  }

  get isStable(): boolean {
    return this.#value === this.#value;
  }

  update(x: number): number | null {
    const hi = this.#max.update(x);
    const lo = this.#min.update(x);
    if (hi === null || lo === null) return null;
    const range = hi - lo;
    // Ratio first: x = max gives exactly 1, so raw is exactly 100 at the top as it is 0 at the bottom.
    return (this.#value = range > 0 ? 100 * ((x - lo) / range) : 0);
  }
}
