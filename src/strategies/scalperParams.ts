/**
 * Parameters of the pivot + StochRSI scalper (DESIGN section 5), one set per symbol. The config
 * loader embeds this schema as each symbol's `params`, and `signals --set k=v` validates against it,
 * so `v.parse(scalperParamsSchema, {})` yields the full defaults. Percentages are in percent:
 * `proximityPct: 0.3` means 0.3 %.
 */
import * as v from 'valibot';
import { intInRange as int, numInRange as num, positiveUpTo as positive } from './paramChecks.js';
import { scoreParamsSchema } from './scoreParams.js';

export const STOP_MODES = ['pivot', 'atr'] as const;
export type StopMode = (typeof STOP_MODES)[number];

export const scalperParamsSchema = v.strictObject({
  /** Candles before a pivot that must be strictly lower (highs) / higher (lows). */
  pivotLeft: v.optional(int(1, 50), 2),
  /** Candles after a pivot; the pivot is confirmed (known) only this many candles later. */
  pivotRight: v.optional(int(0, 50), 1),
  rsiLength: v.optional(int(2, 500), 14),
  stochLength: v.optional(int(1, 500), 14),
  kSmoothing: v.optional(int(1, 100), 3),
  dSmoothing: v.optional(int(1, 100), 3),
  /** StochRSI K level (0–100) that K must be below, before crossing up, for a long. */
  oversold: v.optional(num(0, 100), 20),
  /** StochRSI K level (0–100) that K must be above, before crossing down, for a short. */
  overbought: v.optional(num(0, 100), 80),
  /** Maximum distance of the close from the pivot, in percent of the pivot price. */
  proximityPct: v.optional(positive(100), 0.3),
  /** Candles after a signal during which no new signal is given. */
  cooldownCandles: v.optional(int(0, 10_000), 3),
  /** Require volume[t] >= volumeFactor × SMA(volume, volumeLength). */
  volumeFilter: v.optional(v.boolean('must be true or false'), false),
  volumeFactor: v.optional(num(0, 1000), 1.5),
  volumeLength: v.optional(int(1, 1000), 20),
  /** 'pivot': stop beyond the triggering pivot by stopBufferPct; 'atr': atrMultiple × ATR from the close. */
  stopMode: v.optional(v.picklist(STOP_MODES, 'must be "pivot" or "atr"'), 'pivot'),
  /** Buffer beyond the pivot for the stop, in percent of the pivot price. */
  stopBufferPct: v.optional(num(0, 50), 0.1),
  atrLength: v.optional(int(1, 500), 14),
  atrMultiple: v.optional(positive(100), 1.5),
  /** Take-profit ladder in R multiples of the stop distance, nearest first. */
  takeProfitR: v.optional(
    v.pipe(
      v.array(positive(1000), 'must be a list of numbers, e.g. [1,2,3]'),
      v.minLength(1, 'must hold at least one R multiple'),
      v.maxLength(10, 'must hold at most 10 R multiples'),
      v.check((rs) => rs.every((r, i) => i === 0 || r > rs[i - 1]!), 'must be strictly increasing (nearest target first)'),
    ),
    () => [1, 2, 3, 4],
  ),
  /** The signal score of DESIGN section 5b (scoreParams.ts); absent or without minScore: off. */
  score: v.optional(scoreParamsSchema),
});

export type ScalperParams = v.InferOutput<typeof scalperParamsSchema>;

const defaults = v.parse(scalperParamsSchema, {});
export const DEFAULT_SCALPER_PARAMS: Readonly<ScalperParams> = Object.freeze({ ...defaults, takeProfitR: Object.freeze(defaults.takeProfitR) as number[] });
