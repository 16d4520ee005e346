/**
 * Commodity Channel Index(n) (DESIGN section 5b): TP = (high + low + close)/3,
 * CCI = (TP − SMA(TP, n)) / (0.015 × mean |TP_i − SMA(TP, n)| over the window); 0 when that mean
 * deviation is 0. The mean deviation is about the current SMA, so each update scans the window of n
 * typical prices (bounded work, no allocation): there is no exact running form of it.
 * Reference: StockCharts ChartSchool, "Commodity Channel Index (CCI)", worked example cs-cci.xls.
 */
import { assertFinite, assertLength, type HighLowClose, type Indicator } from './indicator.js';
import { RingBuffer } from './ringBuffer.js';
import { windowMean } from './windowMean.js';

export class Cci implements Indicator<HighLowClose> {
  readonly requiredInputs: number;
  readonly #window: RingBuffer;
  #value: number | null = null;
  #deviation = 0;
  #meanDeviation = 0;

  constructor(length: number) {
    assertLength(length, 1, 'Cci');
    this.requiredInputs = length;
    this.#window = new RingBuffer(length);
  }

  get value(): number | null {
    return this.#value;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  /** TP − SMA(TP) of the last candle (the numerator), for threshold votes without the division. */
  get deviation(): number {
    return this.#deviation;
  }

  /** Mean absolute deviation of the last window (0 when flat). */
  get meanDeviation(): number {
    return this.#meanDeviation;
  }

  update(c: HighLowClose): number | null {
    assertFinite(c.high, 'Cci high');
    assertFinite(c.low, 'Cci low');
    assertFinite(c.close, 'Cci close');
    const tp = (c.high + c.low + c.close) / 3;
    const w = this.#window;
    w.push(tp);
    if (!w.isFull) return null;
    const mean = windowMean(w);
    const n = w.capacity;
    let dev = 0;
    for (let i = 0; i < n; i++) dev += Math.abs(w.at(i) - mean);
    const md = dev / n;
    this.#deviation = tp - mean;
    this.#meanDeviation = md;
    return (this.#value = md === 0 ? 0 : (tp - mean) / (0.015 * md));
  }
}
