/**
 * The indicator set and the signal score of DESIGN section 5b. Fed every closed candle; `scoreFor`
 * gives the score of a candidate entry of one side at that candle:
 *   score = Σ wᵢ·voteᵢ·s (s = +1 long, −1 short) + w_volume·[volRatio ≥ volumeFactor]
 *         + w_fib·[|close − fibR| ≤ proximityPct % of fibR for some R],
 * each vote 0 while its indicator is undefined. Lengths are DESIGN's defaults. Thresholds are
 * decided the way the definitions read them, not through a rounded ratio: CCI < −100 as
 * TP − SMA < −1.5 × mean deviation, MFI < 20 as 4·pos < neg, %R against −80/−20 on HH, LL and the
 * close (a near-tie settled in Decimal on the prices as written), volume and Fibonacci proximity by
 * decimalRules.ts, and `meets(minScore)` re-adds a near-tie score in Decimal from the weights as
 * written (0.1 + 0.2 is 0.3 here). Bollinger's "+1 at or below lower, −1 at or above upper" is read
 * in that order: a flat window (upper = lower = close) votes +1.
 * The order-book imbalance comes from `setBookImbalance` (live); a backtest has none: 0.
 */
import { dec, toPrice } from '../domain/money.js';
import type { Candle, PositionSide } from '../domain/types.js';
import { Atr } from '../indicators/atr.js';
import { Bollinger } from '../indicators/bollinger.js';
import { Cci } from '../indicators/cci.js';
import { EhlersFisher } from '../indicators/ehlersFisher.js';
import { Ema } from '../indicators/ema.js';
import { Fibonacci } from '../indicators/fibonacci.js';
import { Mfi } from '../indicators/mfi.js';
import { Momentum } from '../indicators/momentum.js';
import { ParabolicSar } from '../indicators/parabolicSar.js';
import { Sma } from '../indicators/sma.js';
import { VolumeRatio } from '../indicators/volumeRatio.js';
import { Vwap } from '../indicators/vwap.js';
import { WilliamsR } from '../indicators/williamsR.js';
import { volumeAtLeast, withinProximity } from './decimalRules.js';
import { SCORE_VOTES, type ScoreWeights } from './scoreParams.js';

/** DESIGN section 5b's default lengths. */
export const SCORE_LENGTHS = { ema: 21, sma: 20, momentum: 10, atr: 14, cci: 20, willr: 14, mfi: 14, bb: 20, bbK: 2, fisher: 10, fib: 100, volume: 20 } as const;

export interface SignalScoreSettings {
  readonly weights: Readonly<ScoreWeights>;
  readonly volumeFactor: number;
  /** In percent, as the scalper's proximityPct. */
  readonly proximityPct: number;
}

const NEAR_TIE = 1e-9;

export class SignalScore {
  /** Candles after which every indicator (and the Fisher vote) is defined. */
  readonly warmupCandles = SCORE_LENGTHS.fib;
  readonly ema = new Ema(SCORE_LENGTHS.ema);
  readonly sma = new Sma(SCORE_LENGTHS.sma);
  readonly momentum = new Momentum(SCORE_LENGTHS.momentum);
  readonly atr = new Atr(SCORE_LENGTHS.atr);
  readonly cci = new Cci(SCORE_LENGTHS.cci);
  readonly willr = new WilliamsR(SCORE_LENGTHS.willr);
  readonly psar = new ParabolicSar(0.02, 0.2);
  readonly vwap = new Vwap();
  readonly mfi = new Mfi(SCORE_LENGTHS.mfi);
  readonly bb = new Bollinger(SCORE_LENGTHS.bb, SCORE_LENGTHS.bbK);
  readonly fisher = new EhlersFisher(SCORE_LENGTHS.fisher);
  readonly fib = new Fibonacci(SCORE_LENGTHS.fib);
  readonly volRatio = new VolumeRatio(SCORE_LENGTHS.volume);
  readonly #settings: SignalScoreSettings;
  /** Weighted terms of the last `scoreFor`, in SCORE_VOTES order (votes already times s). */
  readonly #terms = new Float64Array(SCORE_VOTES.length);
  #bookImbalance = 0;
  #score = 0;

  constructor(settings: SignalScoreSettings) {
    this.#settings = settings;
  }

  /** Feeds one closed candle to every indicator. */
  update(c: Candle): void {
    const close = c.close;
    this.ema.update(close);
    this.sma.update(close);
    this.momentum.update(close);
    this.atr.update(c);
    this.cci.update(c);
    this.willr.update(c);
    this.psar.update(c);
    this.vwap.update(c);
    this.mfi.update(c);
    this.bb.update(close);
    this.fisher.update(c);
    this.fib.update(c);
    this.volRatio.update(c.volume);
  }

  /** The live order-book imbalance (−1..1) for the next score; never set in a backtest. */
  setBookImbalance(imbalance: number): void {
    this.#bookImbalance = Number.isFinite(imbalance) ? imbalance : 0;
  }

  /** Each vote (−1, 0, +1, for a long; the side is applied in `scoreFor`), in SCORE_VOTES order. */
  votes(c: Candle): number[] {
    return SCORE_VOTES.map((name) => this.#vote(name, c));
  }

  /** The score of a candidate entry of `side` at candle `c` (the last one fed). */
  scoreFor(side: PositionSide, c: Candle): number {
    const s = side === 'long' ? 1 : -1;
    const w = this.#settings.weights;
    const terms = this.#terms;
    let score = 0;
    for (let i = 0; i < SCORE_VOTES.length; i++) {
      const name = SCORE_VOTES[i]!;
      const vote = this.#vote(name, c);
      // Volume and Fibonacci are conditions, not directions: they count the same for both sides.
      const term = vote === 0 ? 0 : name === 'volume' || name === 'fib' ? vote : vote * s;
      terms[i] = term;
      score += w[name] * term;
    }
    return (this.#score = score === 0 ? 0 : score);
  }

  /** True when the last `scoreFor` is at least `minScore`, a near-tie re-added in Decimal. */
  meets(minScore: number): boolean {
    const score = this.#score;
    if (Math.abs(score - minScore) > NEAR_TIE * Math.max(1, Math.abs(minScore))) return score > minScore;
    const w = this.#settings.weights;
    let exact = dec(0);
    SCORE_VOTES.forEach((name, i) => {
      const term = this.#terms[i]!;
      if (term !== 0) exact = exact.plus(dec(w[name].toString()).times(term));
    });
    return exact.gte(dec(minScore.toString()));
  }

  #vote(name: (typeof SCORE_VOTES)[number], c: Candle): number {
    const close = c.close;
    switch (name) {
      case 'ema':
        return sign(this.ema.value, close);
      case 'momentum': {
        const m = this.momentum.value;
        return m === null ? 0 : m > 0 ? 1 : m < 0 ? -1 : 0;
      }
      case 'cci': {
        if (this.cci.value === null) return 0;
        const bound = 1.5 * this.cci.meanDeviation;
        const d = this.cci.deviation;
        return d < -bound ? 1 : d > bound ? -1 : 0;
      }
      case 'willr':
        return this.#willrVote(close);
      case 'psar': {
        const sar = this.psar.value;
        return sar === null ? 0 : sar < close ? 1 : sar > close ? -1 : 0;
      }
      case 'vwap':
        return sign(this.vwap.value, close);
      case 'mfi': {
        if (this.mfi.value === null) return 0;
        const pos = this.mfi.positiveFlow;
        const neg = this.mfi.negativeFlow;
        return 4 * pos < neg ? 1 : pos > 4 * neg ? -1 : 0;
      }
      case 'bb': {
        const lower = this.bb.lower;
        const upper = this.bb.upper;
        if (lower === null || upper === null) return 0;
        return close <= lower ? 1 : close >= upper ? -1 : 0;
      }
      case 'fisher': {
        const f = this.fisher.value;
        const prev = this.fisher.previous;
        return f === null || prev === null ? 0 : f > prev ? 1 : f < prev ? -1 : 0;
      }
      case 'obImbalance':
        return this.#bookImbalance > 0.2 ? 1 : this.#bookImbalance < -0.2 ? -1 : 0;
      case 'volume':
        return this.volRatio.value !== null && volumeAtLeast(c.volume, this.#settings.volumeFactor, this.volRatio.window) ? 1 : 0;
      case 'fib': {
        const pct = this.#settings.proximityPct;
        const f = this.fib;
        if (f.level500 === null) return 0;
        return withinProximity(close, f.level382!, pct) || withinProximity(close, f.level500, pct) || withinProximity(close, f.level618!, pct) ? 1 : 0;
      }
    }
  }

  /**
   * %R below −80 means (HH − close) > 0.8·(HH − LL), above −20 means (HH − close) < 0.2·(HH − LL);
   * HH = LL makes %R 0, above −20. Decided on the prices, in Decimal when the doubles are too close.
   */
  #willrVote(close: number): number {
    const r = this.willr.value;
    if (r === null) return 0;
    const hh = this.willr.highestHigh!;
    const ll = this.willr.lowestLow!;
    if (Math.abs(r + 80) > NEAR_TIE * 100 && Math.abs(r + 20) > NEAR_TIE * 100) return r < -80 ? 1 : r > -20 ? -1 : 0;
    if (!(hh > ll)) return -1;
    const from = toPrice(hh).minus(toPrice(close));
    const range = toPrice(hh).minus(toPrice(ll));
    if (from.times(5).gt(range.times(4))) return 1;
    if (from.times(5).lt(range)) return -1;
    return 0;
  }
}

/** sign(close − value), 0 while value is undefined. */
function sign(value: number | null, close: number): number {
  return value === null ? 0 : close > value ? 1 : close < value ? -1 : 0;
}
