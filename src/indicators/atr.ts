/**
 * Average True Range, Wilder's smoothing. True range = max(high − low, |high − prevClose|,
 * |low − prevClose|), and high − low for the very first candle (no previous close). The first ATR is
 * the simple mean of the first `length` true ranges, then `atr = (prev·(length−1) + tr)/length`.
 * Reference: StockCharts ChartSchool, "Average True Range (ATR)", worked example cs-atr.xls.
 */
import { assertFinite, assertLength, type HighLowClose, type Indicator } from './indicator.js';

export class Atr implements Indicator<HighLowClose> {
  readonly requiredInputs: number;
  readonly #length: number;
  #prevClose = NaN;
  #count = 0;
  #acc = 0;
  /** NaN until warmed up (a double field: a `number | null` one stored a new heap number at every write). */
  #value = NaN;

  constructor(length: number) {
    assertLength(length, 1, 'Atr');
    this.#length = length;
    this.requiredInputs = length;
  }

  get value(): number | null {
    const v = this.#value;
    return v === v ? v : null;
  }

  get isStable(): boolean {
    return this.#value === this.#value;
  }

  update(c: HighLowClose): number | null {
    const { high, low, close } = c;
    assertFinite(high, 'Atr high');
    assertFinite(low, 'Atr low');
    assertFinite(close, 'Atr close');
    const pc = this.#prevClose;
    let tr = high - low;
    if (pc === pc) {
      const up = high - pc;
      const down = pc - low;
      if (up > tr) tr = up;
      if (down > tr) tr = down;
    }
    this.#prevClose = close;
    const n = this.#length;
    const prev = this.#value;
    if (prev === prev) return (this.#value = (prev * (n - 1) + tr) / n);
    this.#acc += tr;
    if (++this.#count < n) return null;
    return (this.#value = this.#acc / n);
  }
}
