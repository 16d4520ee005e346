/**
 * Money Flow Index(n) (DESIGN section 5b): TP = (high + low + close)/3, flow = TP × volume; over the
 * last n candles (each compared with the one before) the flow counts as positive where TP rose and
 * negative where it fell (unchanged: neither). MFI = 100 − 100/(1 + pos/neg); 100 when neg = 0 < pos;
 * 50 when both are 0. First value at t = n. The two sums are taken afresh over their ring buffers in
 * slot order (n adds, no allocation), so a flow that left the window leaves no residue: neg is exactly
 * 0 when no falling candle is left, as the 100 and 50 rules need.
 * Reference: StockCharts ChartSchool, "Money Flow Index (MFI)", worked example cs-mfi.xls.
 */
import { assertFinite, assertLength, type HighLowClose, type Indicator } from './indicator.js';
import { RingBuffer } from './ringBuffer.js';

export interface HighLowCloseVolume extends HighLowClose {
  readonly volume: number;
}

export class Mfi implements Indicator<HighLowCloseVolume> {
  readonly requiredInputs: number;
  readonly #positive: RingBuffer;
  readonly #negative: RingBuffer;
  #prevTp = NaN;
  #pos = 0;
  #neg = 0;
  #value: number | null = null;

  constructor(length: number) {
    assertLength(length, 1, 'Mfi');
    this.requiredInputs = length + 1;
    this.#positive = new RingBuffer(length);
    this.#negative = new RingBuffer(length);
  }

  get value(): number | null {
    return this.#value;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  /** Positive money flow of the last window. */
  get positiveFlow(): number {
    return this.#pos;
  }

  /** Negative money flow of the last window (a positive number). */
  get negativeFlow(): number {
    return this.#neg;
  }

  update(c: HighLowCloseVolume): number | null {
    assertFinite(c.high, 'Mfi high');
    assertFinite(c.low, 'Mfi low');
    assertFinite(c.close, 'Mfi close');
    assertFinite(c.volume, 'Mfi volume');
    const tp = (c.high + c.low + c.close) / 3;
    const prev = this.#prevTp;
    this.#prevTp = tp;
    if (prev !== prev) return null;
    const flow = tp * c.volume;
    this.#positive.push(tp > prev ? flow : 0);
    this.#negative.push(tp < prev ? flow : 0);
    if (!this.#positive.isFull) return null;
    const pos = (this.#pos = this.#positive.sum());
    const neg = (this.#neg = this.#negative.sum());
    if (neg === 0) return (this.#value = pos > 0 ? 100 : 50);
    return (this.#value = 100 - 100 / (1 + pos / neg));
  }
}
