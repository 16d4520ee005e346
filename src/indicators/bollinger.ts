/**
 * Bollinger Bands(n, k) (DESIGN section 5b): middle = SMA(close, n); upper/lower = middle ± k × the
 * population standard deviation (divide by n) of the window's closes. `update` returns the middle;
 * `upper` and `lower` are read after it. Two passes over the window of n closes (the mean as the SMA
 * takes it, then Σ(x − mean)²), no running sums: a flat window has a deviation of exactly 0, so the
 * bands close exactly on the price. Reference: StockCharts ChartSchool, "Bollinger Bands",
 * worked example cs-bollinger.xls (population standard deviation, as here).
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';
import { RingBuffer } from './ringBuffer.js';
import { windowMean } from './windowMean.js';

export class Bollinger implements Indicator<number> {
  readonly requiredInputs: number;
  readonly #k: number;
  readonly #window: RingBuffer;
  #middle: number | null = null;
  #upper: number | null = null;
  #lower: number | null = null;

  constructor(length: number, k: number) {
    assertLength(length, 1, 'Bollinger');
    if (!(Number.isFinite(k) && k >= 0)) throw new RangeError(`Bollinger: k must be a finite number >= 0, got ${k}`);
    this.requiredInputs = length;
    this.#k = k;
    this.#window = new RingBuffer(length);
  }

  /** The middle band. */
  get value(): number | null {
    return this.#middle;
  }

  get upper(): number | null {
    return this.#upper;
  }

  get lower(): number | null {
    return this.#lower;
  }

  get isStable(): boolean {
    return this.#middle !== null;
  }

  update(x: number): number | null {
    assertFinite(x, 'Bollinger');
    const w = this.#window;
    w.push(x);
    if (!w.isFull) return null;
    const mean = windowMean(w);
    const n = w.capacity;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const d = w.at(i) - mean;
      ss += d * d;
    }
    const width = this.#k * Math.sqrt(ss / n);
    this.#upper = mean + width;
    this.#lower = mean - width;
    return (this.#middle = mean);
  }
}
