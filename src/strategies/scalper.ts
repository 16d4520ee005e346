/**
 * The pivot + StochRSI scalper as an engine-driven Strategy (issue 5, DESIGN section 5). Pure: it
 * turns closed candles into `enter` intents carrying the protective levels, and nothing else.
 * - Entry: ScalperSignals' rule, never while a position in the symbol is open. The cooldown counts
 *   from every signal, traded or not, so backtest entries are a subset of what `signals` prints.
 * - Stop: 'pivot' mode puts it beyond the pivot that triggered the entry by stopBufferPct of the
 *   pivot; 'atr' mode atrMultiple·ATR from the close. A stop on the wrong side of the close (the
 *   close already broke through the pivot) means no entry.
 * - Targets: close ± r·R for r in takeProfitR, R = |close − stop|, nearest first.
 * - With `params.score.minScore` set, only candidates scoring at least that are signals (DESIGN 5b).
 * - A signal from a candle that closed more than `maxDecisionDelayMs` before `nowMs` (a catch-up
 *   after the phone slept) is not traded; the indicators still take the candle.
 */
import * as v from 'valibot';
import type { Candle, Intent, PositionSide } from '../domain/types.js';
import { scalperParamsSchema, type ScalperParams } from './scalperParams.js';
import { ScalperSignals } from './scalperSignals.js';
import type { BookTop, PositionView, Strategy } from './strategy.js';

export interface ScalperOptions {
  readonly symbol: string;
  /** Candle interval; a candle's close time is `ts + intervalMs`. */
  readonly intervalMs: number;
  /** Raw parameters (validated and defaulted here), e.g. the config's per-symbol `params`. */
  readonly params?: v.InferInput<typeof scalperParamsSchema>;
  /** Default: one interval. */
  readonly maxDecisionDelayMs?: number;
}

export class Scalper implements Strategy {
  readonly name = 'scalper' as const;
  readonly symbol: string;
  readonly params: Readonly<ScalperParams>;
  readonly warmupCandles: number;
  readonly #intervalMs: number;
  readonly #maxDelayMs: number;
  readonly #signals: ScalperSignals;
  #lastTs = -Infinity;

  constructor(options: ScalperOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`Scalper ${options.symbol}: intervalMs must be positive`);
    this.symbol = options.symbol;
    this.params = v.parse(scalperParamsSchema, options.params ?? {});
    this.#intervalMs = options.intervalMs;
    this.#maxDelayMs = options.maxDecisionDelayMs ?? options.intervalMs;
    this.#signals = new ScalperSignals(this.params);
    this.warmupCandles = this.#signals.warmupCandles;
  }

  /** Read-only access to the indicator state, for status screens. */
  get signals(): ScalperSignals {
    return this.#signals;
  }

  onCandle(candle: Candle, position: PositionView, nowMs: number): Intent | null {
    if (!(candle.ts > this.#lastTs)) return null;
    this.#lastTs = candle.ts;
    const side = this.#signals.update(candle);
    if (side === null || position.side !== null) return null;
    const decidedAtMs = candle.ts + this.#intervalMs;
    if (nowMs - decidedAtMs > this.#maxDelayMs) return null;
    const close = candle.close;
    const stop = this.#stopFor(side, close);
    if (stop === null || (side === 'long' ? !(stop < close) : !(stop > close))) return null;
    const r = Math.abs(close - stop);
    const dir = side === 'long' ? 1 : -1;
    const rs = this.params.takeProfitR;
    // Sized up front and filled by index, as map() did: an array grown by push from an empty literal
    // made the guard's read of the targets (intentProblem) several times slower.
    const targets = new Array<number>(rs.length);
    for (let i = 0; i < rs.length; i++) targets[i] = close + dir * rs[i]! * r;
    const s = this.#signals;
    const score = s.minScore === undefined ? null : s.candidateScore;
    // The text is built on first read, from the values of this candle: formatting it cost more than
    // the rest of a signal, and most signals are refused (a lock, the engine's cooldown) unread.
    return new ScalperEntry(this.symbol, side, decidedAtMs, close, stop, targets, this.params, s.triggerPivot!, s.stochK!, s.stochD!, r, score);
  }

  onBook(_top: BookTop, _position: PositionView, _nowMs: number): Intent | null {
    return null;
  }

  #stopFor(side: PositionSide, close: number): number | null {
    const p = this.params;
    if (p.stopMode === 'atr') {
      const atr = this.#signals.atr;
      if (atr === null) return null;
      return side === 'long' ? close - p.atrMultiple * atr : close + p.atrMultiple * atr;
    }
    const pivot = this.#signals.triggerPivot;
    if (pivot === null) return null;
    const buffer = p.stopBufferPct / 100;
    return side === 'long' ? pivot * (1 - buffer) : pivot * (1 + buffer);
  }
}

type EnterIntent = Extract<Intent, { kind: 'enter' }>;

/**
 * The scalper's entry intent. Its reason is a getter of the class, built at the first read from
 * fields kept for it: an object literal with its own getter costs V8 a new hidden class per signal,
 * and a closure over the values one more object (a backtest makes thousands, most refused unread).
 */
class ScalperEntry implements EnterIntent {
  readonly kind = 'enter' as const;
  readonly symbol: string;
  readonly side: PositionSide;
  readonly decidedAtMs: number;
  readonly refPrice: number;
  readonly stopLoss: number;
  readonly targets: readonly number[];
  /** Null once the reason is built. */
  #params: Readonly<ScalperParams> | null;
  readonly #pivot: number;
  readonly #k: number;
  readonly #d: number;
  readonly #r: number;
  readonly #score: number | null;
  #reason = '';

  constructor(
    symbol: string,
    side: PositionSide,
    decidedAtMs: number,
    refPrice: number,
    stopLoss: number,
    targets: readonly number[],
    params: Readonly<ScalperParams>,
    pivot: number,
    k: number,
    d: number,
    r: number,
    score: number | null,
  ) {
    this.symbol = symbol;
    this.side = side;
    this.decidedAtMs = decidedAtMs;
    this.refPrice = refPrice;
    this.stopLoss = stopLoss;
    this.targets = targets;
    this.#params = params;
    this.#pivot = pivot;
    this.#k = k;
    this.#d = d;
    this.#r = r;
    this.#score = score;
  }

  get reason(): string {
    const p = this.#params;
    if (p !== null) {
      const score = this.#score;
      this.#reason =
        reasonText(p, this.side, this.refPrice, this.#pivot, this.#k, this.#d, this.stopLoss, this.#r) + (score === null ? '' : `; score ${fmt(score)} (at least ${p.score!.minScore!})`);
      this.#params = null;
    }
    return this.#reason;
  }
}

function reasonText(p: Readonly<ScalperParams>, side: PositionSide, close: number, pivot: number, k: number, d: number, stop: number, r: number): string {
  return (
    `${side}: close ${close} within ${p.proximityPct}% of pivot ${side === 'long' ? 'low' : 'high'} ${pivot}; ` +
    `StochRSI K ${fmt(k)} crossed ${side === 'long' ? 'above' : 'below'} D ${fmt(d)} from ` +
    `${side === 'long' ? `below ${p.oversold}` : `above ${p.overbought}`}; stop ${fmt(stop)} (${p.stopMode}), R ${fmt(r)}`
  );
}

function fmt(x: number): string {
  return Number(x.toFixed(4)).toString();
}
