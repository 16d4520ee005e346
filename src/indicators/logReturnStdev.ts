/**
 * Rolling sample standard deviation (n − 1) of the last `length` log returns ln(x[t]/x[t−1]):
 * realised volatility per input interval, as a fraction (0.0005 = 0.05 % per candle). Unannualised;
 * multiply by sqrt(candles per year) to annualise. The first value appears at input length+1.
 * Running sums keep the update O(1); they are recomputed from the window once per `length` updates
 * so drift cannot build up. Reference: Hull, "Options, Futures, and Other Derivatives", the table
 * "Computation of volatility" (estimating volatility from historical data).
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';
import { RingBuffer } from './ringBuffer.js';

export class LogReturnStdev implements Indicator<number> {
  readonly requiredInputs: number;
  readonly #length: number;
  readonly #returns: RingBuffer;
  #prev = NaN;
  #sum = 0;
  #sumSq = 0;
  #sinceResync = 0;
  #value: number | null = null;

  constructor(length: number) {
    assertLength(length, 2, 'LogReturnStdev');
    this.#length = length;
    this.requiredInputs = length + 1;
    this.#returns = new RingBuffer(length);
  }

  get value(): number | null {
    return this.#value;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  update(x: number): number | null {
    assertFinite(x, 'LogReturnStdev');
    if (!(x > 0)) throw new RangeError(`LogReturnStdev: input must be positive, got ${x}`);
    const prev = this.#prev;
    this.#prev = x;
    if (prev !== prev) return null;
    const r = Math.log(x / prev);
    const evicted = this.#returns.push(r);
    if (evicted === evicted) {
      this.#sum += r - evicted;
      this.#sumSq += r * r - evicted * evicted;
    } else {
      this.#sum += r;
      this.#sumSq += r * r;
    }
    if (!this.#returns.isFull) return null;
    const n = this.#length;
    if (++this.#sinceResync === n) {
      this.#sinceResync = 0;
      this.#sum = this.#returns.sum();
      this.#sumSq = this.#returns.sumOfSquares();
    }
    const variance = (this.#sumSq - (this.#sum * this.#sum) / n) / (n - 1);
    // Rounding can make a zero variance slightly negative; volatility is never below 0.
    return (this.#value = variance > 0 ? Math.sqrt(variance) : 0);
  }
}
