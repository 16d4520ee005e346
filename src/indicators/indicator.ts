/**
 * The shape every incremental indicator shares (STYLE point 2, DESIGN section 2 "O(1) update per
 * candle, null until warmed up"). Readiness is `=== null`, never truthiness: 0 is a real value.
 */
export interface Indicator<In = number> {
  /** Feeds one input (in time order) and returns the new output, or null while not warmed up. */
  update(x: In): number | null;
  /** The output of the last `update`, or null. */
  readonly value: number | null;
  /** True once enough inputs were seen for `update` to return numbers (pivots: to decide at all). */
  readonly isStable: boolean;
  /** Number of inputs after which the first non-null output appears (pivots: the first decision). */
  readonly requiredInputs: number;
}

/** The high/low/close part of a candle, enough for range-based indicators (ATR). */
export interface HighLowClose {
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/** A non-finite input would poison a running average forever; refuse it and keep the state intact. */
export class IndicatorInputError extends Error {
  override name = 'IndicatorInputError';
}

/** Throws IndicatorInputError unless `x` is a finite number. */
export function assertFinite(x: number, what: string): void {
  if (!Number.isFinite(x)) throw new IndicatorInputError(`${what}: input must be a finite number, got ${x}`);
}

/** Validates an integer length parameter at construction time. */
export function assertLength(n: number, min: number, what: string): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${what}: length must be an integer >= ${min}, got ${n}`);
}
