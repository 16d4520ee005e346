/**
 * Valibot building blocks for strategy parameter schemas, so every range error reads the same
 * ("must be at least 1") when the config loader or `--set` reports it next to the key.
 */
import * as v from 'valibot';

/** A whole number in [min, max]. */
export const intInRange = (min: number, max: number) =>
  v.pipe(
    v.number('must be a number'),
    v.integer('must be a whole number'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

/** A finite number in [min, max]. */
export const numInRange = (min: number, max: number) =>
  v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`));

/** A finite number in (0, max]. */
export const positiveUpTo = (max: number) =>
  v.pipe(v.number('must be a number'), v.finite('must be finite'), v.gtValue(0, 'must be greater than 0'), v.maxValue(max, `must be at most ${max}`));
