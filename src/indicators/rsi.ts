/**
 * Wilder's RSI (DESIGN section 5): the first average gain/loss is the simple mean of the first
 * `length` changes, then `avg = (prev*(length-1) + x)/length`. RSI = 100 − 100/(1 + avgGain/avgLoss);
 * 100 when avgLoss = 0 < avgGain; 50 when both are 0. The first value appears at input length+1.
 * An unchanged close leaves RSI bit for bit unchanged, as it is in exact arithmetic.
 * Reference: StockCharts ChartSchool, "Relative Strength Index (RSI)", worked example cs-rsi.xls.
 */
import { assertFinite, assertLength, type Indicator } from './indicator.js';

export class Rsi implements Indicator<number> {
  readonly requiredInputs: number;
  readonly #length: number;
  #prev = NaN;
  #changes = 0;
  #avgGain = 0;
  #avgLoss = 0;
  /** NaN until warmed up (a double field: a `number | null` one stored a new heap number at every write). */
  #value = NaN;

  constructor(length: number) {
    assertLength(length, 1, 'Rsi');
    this.#length = length;
    this.requiredInputs = length + 1;
  }

  get value(): number | null {
    const v = this.#value;
    return v === v ? v : null;
  }

  get isStable(): boolean {
    return this.#value === this.#value;
  }

  update(x: number): number | null {
    assertFinite(x, 'Rsi');
    const prev = this.#prev;
    this.#prev = x;
    if (prev !== prev) return null; // first input: no change yet
    const change = x - prev;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    const n = this.#length;
    const changes = ++this.#changes;
    if (changes < n) {
      // Seed phase: accumulate sums; turned into means at the n-th change.
      this.#avgGain += gain;
      this.#avgLoss += loss;
      return null;
    }
    if (changes === n) {
      this.#avgGain = (this.#avgGain + gain) / n;
      this.#avgLoss = (this.#avgLoss + loss) / n;
    } else {
      this.#avgGain = (this.#avgGain * (n - 1) + gain) / n;
      this.#avgLoss = (this.#avgLoss * (n - 1) + loss) / n;
      // An unchanged close shrinks both averages by (n−1)/n, which leaves their ratio, so RSI, exactly
      // as it was; recomputed in floating point it would wobble by an ulp, and StochRSI would turn
      // that wobble into a raw of 99.99999999999997 instead of 100 and a K/D tie into a cross.
      if (change === 0) return this.value;
    }
    return (this.#value = rsiFromAverages(this.#avgGain, this.#avgLoss));
  }
}

/** RSI from Wilder averages, with DESIGN section 5's rules for a zero average loss. */
export function rsiFromAverages(avgGain: number, avgLoss: number): number {
  if (avgLoss === 0) return avgGain === 0 ? 50 : 100;
  return 100 - 100 / (1 + avgGain / avgLoss);
}
