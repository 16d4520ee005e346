/**
 * The drift gate (DESIGN section 1): whether the offset we measured can be trusted for signing right
 * now. A large offset is not a reason to refuse: it is measured, so it is corrected. Only an offset we
 * do not know well enough is: no fresh measurement, too much uncertainty, NTP and exchange
 * disagreeing, or the machine clock having been set since we measured. Pure: times come in as data.
 */
import type { ClockMeasurement } from './clockMeasurement.js';
import type { ClockOptions } from './clockOptions.js';

export const CLOCK_REASON_CODES = ['no-measurement', 'stale', 'uncertainty', 'disagreement', 'clock-stepped'] as const;
export type ClockReasonCode = (typeof CLOCK_REASON_CODES)[number];

export interface ClockReason {
  readonly code: ClockReasonCode;
  readonly message: string;
}

/** What the gate looks at. */
export interface DriftGateInput {
  /** The good measurement in use, if any, and the monotonic time at which it was taken. */
  readonly good: ClockMeasurement | null;
  readonly goodMonoMs: number;
  /** The latest attempt, good or not: its error is worth repeating in the reasons. */
  readonly lastAttempt: ClockMeasurement | null;
  /** Machine wall clock and monotonic clock now, ms. */
  readonly nowWallMs: number;
  readonly nowMonoMs: number;
  readonly options: Pick<ClockOptions, 'maxAgeMs' | 'maxUncertaintyMs' | 'maxDisagreementMs' | 'maxStepMs'>;
}

export interface DriftGateVerdict {
  /** Why the offset is not trusted; empty when it is. */
  readonly reasons: readonly ClockReason[];
  /** Things worth knowing that do not block signing. */
  readonly warnings: readonly string[];
  /** Age of the good measurement, ms; null without one. */
  readonly ageMs: number | null;
  /** The wall clock moved against the monotonic clock since the measurement: the caller re-measures. */
  readonly stepped: boolean;
}

/** Offsets beyond this are fine (we correct them) but worth telling the owner about. */
const LARGE_OFFSET_WARN_MS = 1000;

export function evaluateDriftGate(input: DriftGateInput): DriftGateVerdict {
  const { good, goodMonoMs, lastAttempt, nowWallMs, nowMonoMs } = input;
  const { maxAgeMs, maxUncertaintyMs, maxDisagreementMs, maxStepMs } = input.options;
  const reasons: ClockReason[] = [];
  const warnings: string[] = [];
  const lastError = lastAttempt !== null && !lastAttempt.ok ? lastAttempt.error : undefined;
  const lastErrorNote = lastError !== undefined ? ` (last attempt: ${lastError})` : '';
  let ageMs: number | null = null;
  let stepped = false;
  if (good === null || good.offsetMs === null) {
    reasons.push({ code: 'no-measurement', message: `the clock has not been measured yet${lastErrorNote}` });
  } else {
    ageMs = nowWallMs - good.measuredAtMs;
    const stepMs = ageMs - (nowMonoMs - goodMonoMs);
    if (Math.abs(stepMs) > maxStepMs) {
      reasons.push({
        code: 'clock-stepped',
        message: `the machine clock moved ${Math.round(stepMs)} ms against the monotonic clock since the last measurement (clock set, or device asleep); re-measuring`,
      });
      stepped = true;
    }
    if (ageMs > maxAgeMs) {
      reasons.push({ code: 'stale', message: `the last good measurement is ${Math.round(ageMs / 1000)} s old (limit ${Math.round(maxAgeMs / 1000)} s)${lastErrorNote}` });
    }
    const uncertaintyMs = good.uncertaintyMs ?? Infinity;
    if (uncertaintyMs > maxUncertaintyMs) {
      reasons.push({ code: 'uncertainty', message: `offset uncertainty ±${uncertaintyMs.toFixed(1)} ms exceeds the limit of ${maxUncertaintyMs} ms` });
    }
    if (good.disagreementMs !== undefined) {
      const allowedMs = maxDisagreementMs + (good.exchange?.uncertaintyMs ?? 0);
      if (good.disagreementMs > allowedMs) {
        reasons.push({
          code: 'disagreement',
          message: `NTP and exchange time disagree by ${good.disagreementMs.toFixed(1)} ms (limit ${maxDisagreementMs} ms + ${(good.exchange?.uncertaintyMs ?? 0).toFixed(1)} ms for the exchange round trip)`,
        });
      }
    }
    if (Math.abs(good.offsetMs) > LARGE_OFFSET_WARN_MS) {
      warnings.push(`the machine clock is ${Math.abs(good.offsetMs / 1000).toFixed(3)} s ${good.offsetMs > 0 ? 'behind' : 'ahead'}; corrected`);
    }
    if (good.exchange !== undefined && !good.exchange.ok) warnings.push(`exchange time not checked: ${good.exchange.error ?? 'failed'}`);
    const falsetickers = good.servers.filter((s) => s.falseticker === true).map((s) => s.server);
    if (falsetickers.length > 0) warnings.push(`NTP servers out of agreement, ignored: ${falsetickers.join(', ')}`);
    if (good.source === 'exchange') warnings.push('no NTP server answered; using exchange time alone');
    if (lastError !== undefined) warnings.push(`the latest re-measurement failed: ${lastError}`);
  }
  return { reasons, warnings, ageMs, stepped };
}
