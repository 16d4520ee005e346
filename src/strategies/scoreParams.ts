/**
 * Parameters of the signal score (DESIGN section 5b), the scalper's `params.score`:
 * - `minScore`: unset (the default) turns the filter off, and the scalper then neither computes the
 *   extra indicators nor changes a single trade; set, a candidate entry becomes a signal only when
 *   its score is at least this.
 * - `weights`: one per vote, 1 each by default; 0 drops a vote, a negative weight inverts it.
 */
import * as v from 'valibot';
import { numInRange as num } from './paramChecks.js';

/** The votes of the score, in DESIGN's order. */
export const SCORE_VOTES = ['ema', 'momentum', 'cci', 'willr', 'psar', 'vwap', 'mfi', 'bb', 'fisher', 'obImbalance', 'volume', 'fib'] as const;
export type ScoreVote = (typeof SCORE_VOTES)[number];

const weight = v.optional(num(-100, 100), 1);

export const scoreWeightsSchema = v.strictObject({
  ema: weight,
  momentum: weight,
  cci: weight,
  willr: weight,
  psar: weight,
  vwap: weight,
  mfi: weight,
  bb: weight,
  fisher: weight,
  obImbalance: weight,
  volume: weight,
  fib: weight,
});

export const scoreParamsSchema = v.strictObject({
  /** Smallest score a candidate needs to become a signal; unset: no filter. */
  minScore: v.optional(num(-1000, 1000)),
  weights: v.optional(scoreWeightsSchema, {}),
});

export type ScoreWeights = v.InferOutput<typeof scoreWeightsSchema>;
export type ScoreParams = v.InferOutput<typeof scoreParamsSchema>;

export const DEFAULT_SCORE_WEIGHTS: Readonly<ScoreWeights> = Object.freeze(v.parse(scoreWeightsSchema, {}));
