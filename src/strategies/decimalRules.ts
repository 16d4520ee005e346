/**
 * The scalper's two bounds on decimal inputs (DESIGN section 5), decided on the decimals as written
 * in the candle file and the config, so that equality means equality:
 * - proximity `|close − pivot| ≤ (proximityPct / 100) × pivot` (0.3 % of 10200 is exactly 30.6,
 *   yet in doubles 10200 − 10169.4 = 30.600000000000364 > 30.6 and the bound would fail);
 * - volume `volume[t] ≥ volumeFactor × SMA(volume, n)`, i.e. `n × volume[t] ≥ volumeFactor × Σ volume`.
 * Doubles decide whenever the two sides are more than 1e-9 apart (relative): their rounding error is
 * below 1e-14 here, so the sign is then certain. Only a near-tie is re-decided in Decimal, through
 * `toPrice` (the one named number → Decimal conversion, STYLE point 8): rare, and exact.
 */
import { dec, toPrice } from '../domain/money.js';
import type { RingBuffer } from '../indicators/ringBuffer.js';

/** Relative gap beyond which the double comparison is trusted. */
const NEAR_TIE = 1e-9;

/** True when `close` is within `proximityPct` percent of `pivot` (equality included). */
export function withinProximity(close: number, pivot: number, proximityPct: number): boolean {
  const distance = Math.abs(close - pivot);
  const bound = (proximityPct / 100) * pivot;
  if (Math.abs(distance - bound) > NEAR_TIE * Math.abs(pivot)) return distance < bound;
  const p = toPrice(pivot);
  return toPrice(close).minus(p).abs().lte(p.times(dec(proximityPct.toString())).div(100));
}

/**
 * True when `volume` is at least `factor` times the mean of `window` (the last n volumes, `volume`
 * included; the caller waits until it is full). A window of zeros passes: 0 ≥ factor × 0.
 */
export function volumeAtLeast(volume: number, factor: number, window: RingBuffer): boolean {
  const n = window.capacity;
  const sum = window.sum();
  const lhs = n * volume;
  const rhs = factor * sum;
  if (Math.abs(lhs - rhs) > NEAR_TIE * Math.max(lhs, rhs)) return lhs > rhs;
  let exactSum = dec(0);
  for (let i = 0; i < n; i++) exactSum = exactSum.plus(toPrice(window.at(i)));
  return toPrice(volume).times(n).gte(exactSum.times(dec(factor.toString())));
}
