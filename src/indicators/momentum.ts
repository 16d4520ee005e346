/**
 * Momentum(n) (DESIGN section 5b): close[t] − close[t−n], first defined at t = n. A ring buffer of
 * n + 1 closes; the difference of two doubles is zero exactly when they are equal, so its sign (the
 * score's vote) is exact. Reference: StockCharts ChartSchool, "Rate of Change (ROC) and Momentum".
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';
import { RingBuffer } from './ringBuffer.js';

export class Momentum implements Indicator<number> {
  readonly requiredInputs: number;
  readonly #window: RingBuffer;
  #value: number | null = null;

  constructor(length: number) {
    assertLength(length, 1, 'Momentum');
    this.requiredInputs = length + 1;
    this.#window = new RingBuffer(length + 1);
  }

  get value(): number | null {
    return this.#value;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  update(x: number): number | null {
    assertFinite(x, 'Momentum');
    const w = this.#window;
    w.push(x);
    if (!w.isFull) return null;
    return (this.#value = x - w.at(0));
  }
}
