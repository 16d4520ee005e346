/**
 * Parabolic SAR(step, max) (Wilder; DESIGN section 5b fixes the start and the steps):
 * - t = 1: short when low[0] − low[1] > high[1] − high[0] and low[0] − low[1] > 0, else long;
 *   long: sar = low[0], ep = max(high[0], high[1]); short: sar = high[0], ep = min(low[0], low[1]);
 *   af = step.
 * - t ≥ 2, long: c = min(sar + af·(ep − sar), low[t−1], low[t−2]); low[t] < c reverses (sar = ep,
 *   ep = low[t], af = step, short); else sar = c, and a new high raises ep and af (capped at max).
 *   Short mirrors it.
 * The value for candle t is the sar after these steps; O(1), two candles of memory.
 * Reference: J. Welles Wilder, "New Concepts in Technical Trading Systems" (1978), Parabolic Time/Price.
 */
import { assertFinite, type Indicator } from './indicator.js';

export interface HighLow {
  readonly high: number;
  readonly low: number;
}

export class ParabolicSar implements Indicator<HighLow> {
  readonly requiredInputs = 2;
  readonly #step: number;
  readonly #max: number;
  #seen = 0;
  #high1 = NaN;
  #low1 = NaN;
  #high2 = NaN;
  #low2 = NaN;
  #long = true;
  #sar = 0;
  #ep = 0;
  #af = 0;
  #value: number | null = null;

  constructor(step = 0.02, max = 0.2) {
    if (!(step > 0 && Number.isFinite(step))) throw new RangeError(`ParabolicSar: step must be positive, got ${step}`);
    if (!(max >= step && Number.isFinite(max))) throw new RangeError(`ParabolicSar: max must be at least step, got ${max}`);
    this.#step = step;
    this.#max = max;
  }

  get value(): number | null {
    return this.#value;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  /** True while the last value is below price (a long trend). */
  get isLong(): boolean {
    return this.#long;
  }

  update(c: HighLow): number | null {
    const { high, low } = c;
    assertFinite(high, 'ParabolicSar high');
    assertFinite(low, 'ParabolicSar low');
    const t = this.#seen++;
    if (t === 0) {
      this.#high1 = high;
      this.#low1 = low;
      return null;
    }
    if (t === 1) {
      const h0 = this.#high1;
      const l0 = this.#low1;
      const down = l0 - low;
      this.#long = !(down > high - h0 && down > 0);
      if (this.#long) {
        this.#sar = l0;
        this.#ep = Math.max(h0, high);
      } else {
        this.#sar = h0;
        this.#ep = Math.min(l0, low);
      }
      this.#af = this.#step;
    } else {
      let c1 = this.#sar + this.#af * (this.#ep - this.#sar);
      if (this.#long) {
        c1 = Math.min(c1, this.#low1, this.#low2);
        if (low < c1) this.#reverse(low);
        else {
          this.#sar = c1;
          if (high > this.#ep) this.#advance(high);
        }
      } else {
        c1 = Math.max(c1, this.#high1, this.#high2);
        if (high > c1) this.#reverse(high);
        else {
          this.#sar = c1;
          if (low < this.#ep) this.#advance(low);
        }
      }
    }
    this.#high2 = this.#high1;
    this.#low2 = this.#low1;
    this.#high1 = high;
    this.#low1 = low;
    return (this.#value = this.#sar);
  }

  #reverse(extreme: number): void {
    this.#sar = this.#ep;
    this.#ep = extreme;
    this.#af = this.#step;
    this.#long = !this.#long;
  }

  #advance(extreme: number): void {
    this.#ep = extreme;
    this.#af = Math.min(this.#af + this.#step, this.#max);
  }
}
