/**
 * Simple moving average over the last `length` inputs. A running sum keeps the update O(1); it is
 * recomputed from the window once per `length` updates so floating-point drift cannot accumulate
 * over a long-running bot (amortised O(1)).
 * Reference: StockCharts ChartSchool, "Moving Averages - Simple and Exponential".
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';
import { RingBuffer } from './ringBuffer.js';

export class Sma implements Indicator<number> {
  readonly requiredInputs: number;
  readonly #length: number;
  readonly #window: RingBuffer;
  #sum = 0;
  #sinceResync = 0;
  #value: number | null = null;

  constructor(length: number) {
    assertLength(length, 1, 'Sma');
    this.#length = length;
    this.requiredInputs = length;
    this.#window = new RingBuffer(length);
  }

  get value(): number | null {
    return this.#value;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  update(x: number): number | null {
    assertFinite(x, 'Sma');
    const evicted = this.#window.push(x);
    if (evicted === evicted) this.#sum += x - evicted; // evicted is NaN until the window is full
    else this.#sum += x;
    if (!this.#window.isFull) return null;
    if (++this.#sinceResync === this.#length) {
      this.#sinceResync = 0;
      this.#sum = this.#window.sum();
    }
    return (this.#value = this.#sum / this.#length);
  }
}
