/**
 * Exponential moving average, multiplier 2/(length+1), seeded with the simple average of the first
 * `length` inputs, as in StockCharts ChartSchool's worked example ("Moving Averages - Simple and
 * Exponential"): the first value appears at input `length`.
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';

export class Ema implements Indicator<number> {
  readonly requiredInputs: number;
  readonly #length: number;
  readonly #alpha: number;
  #count = 0;
  #seedSum = 0;
  #value: number | null = null;

  constructor(length: number) {
    assertLength(length, 1, 'Ema');
    this.#length = length;
    this.requiredInputs = length;
    this.#alpha = 2 / (length + 1);
  }

  get value(): number | null {
    return this.#value;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  update(x: number): number | null {
    assertFinite(x, 'Ema');
    const prev = this.#value;
    if (prev !== null) return (this.#value = prev + this.#alpha * (x - prev));
    this.#seedSum += x;
    if (++this.#count < this.#length) return null;
    return (this.#value = this.#seedSum / this.#length);
  }
}
