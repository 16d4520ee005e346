/**
 * Williams %R(n) (DESIGN section 5b): −100 × (HH − close)/(HH − LL), HH/LL the highest high and
 * lowest low of the last n candles; 0 when HH = LL. Scale −100..0. HH and LL come from monotonic
 * deques (amortised O(1)) and are kept for exact threshold votes.
 * Reference: StockCharts ChartSchool, "Williams %R".
 */
import { assertFinite, assertLength, type HighLowClose, type Indicator } from './indicator.js';
import { RollingExtreme } from './rollingExtreme.js';

export class WilliamsR implements Indicator<HighLowClose> {
  readonly requiredInputs: number;
  readonly #hh: RollingExtreme;
  readonly #ll: RollingExtreme;
  #value: number | null = null;

  constructor(length: number) {
    assertLength(length, 1, 'WilliamsR');
    this.requiredInputs = length;
    this.#hh = new RollingExtreme(length, 'max');
    this.#ll = new RollingExtreme(length, 'min');
  }

  get value(): number | null {
    return this.#value;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  get highestHigh(): number | null {
    return this.#hh.value;
  }

  get lowestLow(): number | null {
    return this.#ll.value;
  }

  update(c: HighLowClose): number | null {
    assertFinite(c.close, 'WilliamsR close');
    const hh = this.#hh.update(c.high);
    const ll = this.#ll.update(c.low);
    if (hh === null || ll === null) return null;
    const range = hh - ll;
    if (!(range > 0)) return (this.#value = 0);
    const r = -100 * ((hh - c.close) / range);
    return (this.#value = r === 0 ? 0 : r);
  }
}
