/**
 * The scalper's entry rule (DESIGN section 5), candle by candle, independent of positions; decided
 * at the close of candle t. This is what `signals` prints and what the Scalper strategy trades.
 * - long:  K[t−1] ≤ D[t−1] and K[t] > D[t] and K[t−1] < oversold, and |close − P| ≤ (proximityPct / 100) × P
 *          with P the latest confirmed pivot low;
 * - short: K[t−1] ≥ D[t−1] and K[t] < D[t] and K[t−1] > overbought, with P the latest confirmed pivot high.
 * "Latest confirmed" is by confirmation candle (pivot candle + pivotRight), and a pivot confirmed
 * at t itself counts. With the volume filter on, also volume[t] ≥ volumeFactor × SMA(volume,
 * volumeLength) over candles t−n+1..t (none before n candles). A signal at t blocks candles
 * t+1..t+cooldownCandles; a blocked candidate does not restart the count.
 * With `params.score.minScore` set (DESIGN section 5b, signalScore.ts), a candidate (the rule above
 * without cooldown) becomes a signal only when its score is at least minScore, and the cooldown
 * follows signals. Unset, the extra indicators are not even built: the signals are today's, as fast.
 * Every comparison is of the real numbers DESIGN defines, equality included: K = D is a tie, not a
 * cross (K flat over dSmoothing candles makes D = K), and a close exactly on the proximity bound is
 * within it. Doubles keep that promise because RSI keeps its value on a flat close, raw is exactly
 * 0 and 100 at the window's ends, the SMA of equal values is that value (src/indicators), and the
 * two bounds on decimal inputs are settled on the decimals as written (decimalRules.ts).
 * Bounded work per candle and no allocation (but for a rare near-tie settled in Decimal): every
 * output is a field read through a getter.
 */
import type { Candle, PositionSide } from '../domain/types.js';
import { Atr } from '../indicators/atr.js';
import { Pivot } from '../indicators/pivot.js';
import { RingBuffer } from '../indicators/ringBuffer.js';
import { StochRsi } from '../indicators/stochRsi.js';
import { volumeAtLeast, withinProximity } from './decimalRules.js';
import type { ScalperParams } from './scalperParams.js';
import { DEFAULT_SCORE_WEIGHTS } from './scoreParams.js';
import { SignalScore } from './signalScore.js';

export interface ScalperSignalsOptions {
  /** Compute the indicator set and the score of every candidate even with the filter off (`signals --indicators`). */
  readonly indicators?: boolean;
}

export class ScalperSignals {
  /** Candles after which a signal is possible at all (K and D at t−1 and t defined, pivots decided). */
  readonly warmupCandles: number;
  readonly #p: ScalperParams;
  readonly #stoch: StochRsi;
  readonly #pivotHigh: Pivot;
  readonly #pivotLow: Pivot;
  readonly #atr: Atr;
  /** The last volumeLength volumes, when the volume filter is on. */
  readonly #volumes: RingBuffer | null;
  /**
   * K and D of the previous candle, NaN before they exist; NaN stands for null in every number field
   * here (double fields: a `number | null` one stored a new heap number at every write).
   */
  #prevK = NaN;
  #prevD = NaN;
  #lastPivotHigh = NaN;
  #lastPivotLow = NaN;
  #cooldownLeft = 0;
  #signal: PositionSide | null = null;
  #triggerPivot = NaN;
  /** The indicator set and score (DESIGN 5b): null unless a minScore is set or indicators are asked for. */
  readonly #score: SignalScore | null;
  readonly #minScore: number | undefined;
  #candidateScore = NaN;

  constructor(params: ScalperParams, options: ScalperSignalsOptions = {}) {
    this.#p = params;
    this.#minScore = params.score?.minScore;
    this.#score =
      this.#minScore !== undefined || options.indicators === true
        ? new SignalScore({ weights: params.score?.weights ?? DEFAULT_SCORE_WEIGHTS, volumeFactor: params.volumeFactor, proximityPct: params.proximityPct })
        : null;
    this.#stoch = new StochRsi(params);
    this.#pivotHigh = new Pivot('high', params.pivotLeft, params.pivotRight);
    this.#pivotLow = new Pivot('low', params.pivotLeft, params.pivotRight);
    this.#atr = new Atr(params.atrLength);
    this.#volumes = params.volumeFilter ? new RingBuffer(params.volumeLength) : null;
    this.warmupCandles = Math.max(
      this.#stoch.requiredInputsD + 1,
      params.pivotLeft + params.pivotRight + 1,
      params.stopMode === 'atr' ? params.atrLength : 0,
      params.volumeFilter ? params.volumeLength : 0,
      this.#minScore !== undefined ? this.#score!.warmupCandles : 0,
    );
  }

  get rsi(): number | null {
    return this.#stoch.rsi;
  }
  get stochK(): number | null {
    return this.#stoch.k;
  }
  get stochD(): number | null {
    return this.#stoch.d;
  }
  /** Pivot high confirmed at the last candle (its price), else null. */
  get pivotHighConfirmed(): number | null {
    return this.#pivotHigh.value;
  }
  /** Pivot low confirmed at the last candle (its price), else null. */
  get pivotLowConfirmed(): number | null {
    return this.#pivotLow.value;
  }
  /** Latest confirmed pivot high so far. */
  get lastPivotHigh(): number | null {
    return orNull(this.#lastPivotHigh);
  }
  get lastPivotLow(): number | null {
    return orNull(this.#lastPivotLow);
  }
  get atr(): number | null {
    return this.#atr.value;
  }
  /** The signal of the last candle. */
  get signal(): PositionSide | null {
    return this.#signal;
  }
  /** The pivot price that triggered the last signal (pivot low for long, high for short). */
  get triggerPivot(): number | null {
    return orNull(this.#triggerPivot);
  }

  /** The indicator set, when computed (score filter on, or asked for). */
  get indicators(): SignalScore | null {
    return this.#score;
  }
  /** Score of the last candle's candidate entry (cooldown ignored), when the indicators are computed; else null. */
  get candidateScore(): number | null {
    return orNull(this.#candidateScore);
  }
  /** The minimum score a candidate needs, or undefined (filter off). */
  get minScore(): number | undefined {
    return this.#minScore;
  }

  /** Feeds one closed candle; returns its signal, cooldown (and the score filter) applied. */
  update(c: Candle): PositionSide | null {
    const ph = this.#pivotHigh.update(c.high);
    if (ph !== null) this.#lastPivotHigh = ph;
    const pl = this.#pivotLow.update(c.low);
    if (pl !== null) this.#lastPivotLow = pl;
    const stoch = this.#stoch;
    stoch.step(c.close);
    this.#atr.update(c);
    const volumes = this.#volumes;
    if (volumes !== null) volumes.push(c.volume);
    const score = this.#score;
    if (score !== null) score.update(c);

    const k = stoch.kOrNaN;
    const d = stoch.dOrNaN;
    const prevK = this.#prevK;
    const prevD = this.#prevD;
    this.#prevK = k;
    this.#prevD = d;
    this.#signal = null;
    this.#triggerPivot = NaN;

    this.#candidateScore = NaN;
    let cooling = false;
    if (this.#cooldownLeft > 0) {
      this.#cooldownLeft--;
      // Without the indicator set nothing else is decided here: today's path, untouched.
      if (score === null) return null;
      cooling = true;
    }
    // The cross first (a NaN K or D, before they exist, fails every comparison), then the volume
    // filter: a conjunction of pure tests in another order, the cheap one that fails most first.
    const p = this.#p;
    let long: boolean;
    if (prevK <= prevD && k > d && prevK < p.oversold) long = true;
    else if (prevK >= prevD && k < d && prevK > p.overbought) long = false;
    else return null;
    if (volumes !== null && (!volumes.isFull || !volumeAtLeast(c.volume, p.volumeFactor, volumes))) return null;

    const pivot = long ? this.#lastPivotLow : this.#lastPivotHigh;
    if (pivot !== pivot || !withinProximity(c.close, pivot, p.proximityPct)) return null;
    const side: PositionSide = long ? 'long' : 'short';
    if (score !== null) {
      // DESIGN 5b: every candidate is scored; cooldown follows signals, so it is applied after.
      this.#candidateScore = score.scoreFor(side, c);
      if (cooling) return null;
      if (this.#minScore !== undefined && !score.meets(this.#minScore)) return null;
    }
    this.#signal = side;
    this.#triggerPivot = pivot;
    this.#cooldownLeft = p.cooldownCandles;
    return side;
  }
}

function orNull(x: number): number | null {
  return x === x ? x : null;
}
