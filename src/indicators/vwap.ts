/**
 * Session VWAP (DESIGN section 5b): Σ(TP × volume)/Σ volume over the candles of the current UTC day
 * (by candle open time) up to t, TP = (high + low + close)/3; null while Σ volume = 0. Running sums,
 * reset at each UTC midnight: O(1). The result is held within the day's lowest and highest TP (a
 * weighted mean cannot leave them; rounding can), so a day of one price has exactly that VWAP.
 * Reference: StockCharts ChartSchool, "Volume-Weighted Average Price (VWAP)".
 */
import { assertFinite, type Indicator } from './indicator.js';
import type { HighLowCloseVolume } from './mfi.js';

export interface TimedCandle extends HighLowCloseVolume {
  /** Candle open time, Unix ms UTC. */
  readonly ts: number;
}

const DAY_MS = 86_400_000;

export class Vwap implements Indicator<TimedCandle> {
  readonly requiredInputs = 1;
  #day = NaN;
  #sumPv = 0;
  #sumV = 0;
  #minTp = Infinity;
  #maxTp = -Infinity;
  #value: number | null = null;

  get value(): number | null {
    return this.#value;
  }

  get isStable(): boolean {
    return this.#value !== null;
  }

  update(c: TimedCandle): number | null {
    assertFinite(c.ts, 'Vwap ts');
    assertFinite(c.high, 'Vwap high');
    assertFinite(c.low, 'Vwap low');
    assertFinite(c.close, 'Vwap close');
    assertFinite(c.volume, 'Vwap volume');
    const day = Math.floor(c.ts / DAY_MS);
    if (day !== this.#day) {
      this.#day = day;
      this.#sumPv = 0;
      this.#sumV = 0;
      this.#minTp = Infinity;
      this.#maxTp = -Infinity;
    }
    const tp = (c.high + c.low + c.close) / 3;
    if (c.volume > 0) {
      this.#sumPv += tp * c.volume;
      this.#sumV += c.volume;
      if (tp < this.#minTp) this.#minTp = tp;
      if (tp > this.#maxTp) this.#maxTp = tp;
    }
    if (!(this.#sumV > 0)) return (this.#value = null);
    const vwap = this.#sumPv / this.#sumV;
    return (this.#value = vwap > this.#maxTp ? this.#maxTp : vwap < this.#minTp ? this.#minTp : vwap);
  }
}
