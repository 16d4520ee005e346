/**
 * Ehlers' Fisher transform(n) (DESIGN section 5b): m = (high + low)/2; HH/LL the highest/lowest m
 * of the last n candles; x = 0 when HH = LL, else (m − LL)/(HH − LL) − 0.5;
 * v = 0.66·x + 0.67·v[t−1], clamped to ±0.999; fisher = 0.5·ln((1 + v)/(1 − v)) + 0.5·fisher[t−1];
 * v and fisher start from 0, the first value is at t = n−1. `previous` holds fisher[t−1] (null at
 * the first value) for the score's vote. O(1) amortised (monotonic deques for HH/LL).
 * Reference: J. F. Ehlers, "Using The Fisher Transform", Stocks & Commodities, November 2002.
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';
import type { HighLow } from './parabolicSar.js';
import { RollingExtreme } from './rollingExtreme.js';

export class EhlersFisher implements Indicator<HighLow> {
  readonly requiredInputs: number;
  readonly #hh: RollingExtreme;
  readonly #ll: RollingExtreme;
  #v = 0;
  #fisher = 0;
  #value: number | null = null;
  #previous: number | null = null;

  constructor(length: number) {
    assertLength(length, 1, 'EhlersFisher');
    this.requiredInputs = length;
    this.#hh = new RollingExtreme(length, 'max');
    this.#ll = new RollingExtreme(length, 'min');
  }

  get value(): number | null {
    return this.#value;
  }

  /** fisher[t−1], null until two values exist. */
  get previous(): number | null {
    return this.#previous;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  update(c: HighLow): number | null {
    assertFinite(c.high, 'EhlersFisher high');
    assertFinite(c.low, 'EhlersFisher low');
    const m = (c.high + c.low) / 2;
    const hh = this.#hh.update(m);
    const ll = this.#ll.update(m);
    if (hh === null || ll === null) return null;
    const x = hh === ll ? 0 : (m - ll) / (hh - ll) - 0.5;
    let v = 0.66 * x + 0.67 * this.#v;
    if (v > 0.999) v = 0.999;
    else if (v < -0.999) v = -0.999;
    this.#v = v;
    this.#fisher = 0.5 * Math.log((1 + v) / (1 - v)) + 0.5 * this.#fisher;
    this.#previous = this.#value;
    return (this.#value = this.#fisher);
  }
}
