/**
 * Simple moving average over the last `length` inputs, kept to the rules of a real-number mean
 * where a signal can hang on the last bit (DESIGN section 5 compares StochRSI's K = SMA(raw) with
 * D = SMA(K) by `≤`, so K = D must stay a tie, never a 1e-16 "cross"):
 * - the window is summed afresh on every update, in ring-slot order: the same contents give the
 *   same bits (a periodic input, e.g. raw 0, 0, x, 0, 0, x, keeps K exactly constant), and a small
 *   mean is as precise as its inputs (a running sum carries ~1e-14 of absolute error from values
 *   that left the window, enough to invert K 1.21e-14 vs D 1.30e-14);
 * - the mean is clamped to the window's [min, max], which rounding can overstep: a window of equal
 *   values averages to exactly that value (three K of 0 give D = 0, not −4e-16; 100s give 100).
 * O(length) per update (20 for the indicator set), no allocation.
 * Reference: StockCharts ChartSchool, "Moving Averages - Simple and Exponential".
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';
import { RingBuffer } from './ringBuffer.js';

export class Sma implements Indicator<number> {
  readonly requiredInputs: number;
  readonly #window: RingBuffer;
  /** NaN until warmed up (a double field: a `number | null` one stored a new heap number at every write). */
  #value = NaN;

  constructor(length: number) {
    assertLength(length, 1, 'Sma');
    this.requiredInputs = length;
    this.#window = new RingBuffer(length);
  }

  get value(): number | null {
    const v = this.#value;
    return v === v ? v : null;
  }

  get isStable(): boolean {
    return this.#value === this.#value;
  }

  update(x: number): number | null {
    assertFinite(x, 'Sma');
    const w = this.#window;
    w.push(x);
    if (!w.isFull) return null;
    // The sum in slot order, clamped to the window's [min, max] (ringBuffer.ts meanOfSlots).
    return (this.#value = w.mean());
  }
}
