/**
 * Money helpers. Every price, quantity and amount that reaches an order, a position or the ledger
 * goes through here, as Decimal; JSON stores them as strings.
 */
import { Decimal } from 'decimal.js';

/** A separate Decimal constructor so that nobody's global configuration changes ours. */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -30, toExpPos: 40 });
export type Dec = Decimal;
/** The Decimal type, for signatures: `import type { Decimal } from '../domain/money.js'`. */
export type { Decimal };

export const ZERO = new Dec(0);

/** Decimal from a wire string, a stored string or an integer. Throws on NaN/Infinity/empty. */
export function dec(value: Decimal.Value): Decimal {
  if (typeof value === 'string' && value.trim() === '') throw new RangeError('empty decimal string');
  const d = new Dec(value);
  if (!d.isFinite()) throw new RangeError(`not a finite decimal: ${String(value)}`);
  return d;
}

/**
 * The one place where strategy maths (number) becomes money (Decimal). `n.toString()` is the
 * shortest string that round-trips, so 106631.1 becomes exactly 106631.1.
 */
export function toPrice(n: number): Decimal {
  if (!Number.isFinite(n)) throw new RangeError(`not a finite number: ${n}`);
  return new Dec(n.toString());
}

export type RoundMode = 'down' | 'up' | 'nearest';

/** Rounds `value` to a multiple of `step` (tick size or qty step). */
export function roundToStep(value: Decimal, step: Decimal, mode: RoundMode): Decimal {
  if (step.lte(0)) throw new RangeError('step must be positive');
  const units = value.div(step);
  const r = mode === 'down' ? units.floor() : mode === 'up' ? units.ceil() : units.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  return r.mul(step);
}

/** Plain string for JSON and the wire: never exponent notation. */
export function money(d: Decimal): string {
  return d.toFixed();
}

/** Rounds to 1e-8 and converts to a plain number, for JSON reports (DESIGN section 4). */
export function reportNumber(d: Decimal): number {
  return d.toDecimalPlaces(8, Decimal.ROUND_HALF_EVEN).toNumber();
}
