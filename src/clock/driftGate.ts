/**
 * The drift gate (DESIGN section 1): whether the offset we measured can be trusted for signing right
 * now. A large offset is not a reason to refuse: it is measured, so it is corrected. Only an offset we
 * do not know well enough is. Pure: times come in as data. The reasons, each precise:
 *
 * - `no-measurement`, `stale`: no good measurement, or the last one is older than `maxAgeMs`.
 * - `uncertainty`: the NTP offset's uncertainty (half round trip + root distance + precision, plus
 *   the spread of the servers used) is above `maxUncertaintyMs`.
 * - `disagreement` (issue 20, item 5): NTP and the exchange's server time (Bybit `/v5/market/time`)
 *   disagree: |θ_ntp − θ_exchange| > u_ntp + u_exchange + `maxDisagreementMs`, where u_exchange is half
 *   the exchange round trip plus the stamp's resolution. Each side's uncertainty is its own error bound,
 *   so two honest sources never exceed it; the margin absorbs what the bounds do not model.
 * - `spread`: the NTP offset came only from servers whose samples of one round disagree with each
 *   other beyond their bounds (|θᵢ − θ_best| > uᵢ + u_best + 10 ms): a server answering different
 *   times to different packets cannot be believed whichever answer we kept.
 * - `clock-stepped`: the machine clock was set since the measurement.
 * - `exchange-rejected`: the exchange refused a signed timestamp (10002) and no measurement with the
 *   exchange's time has cleared it since (ClockService keeps that suspicion).
 */
import type { ClockMeasurement } from './clockMeasurement.js';
import type { ClockOptions } from './clockOptions.js';
import { isInconsistent } from './combineNtpResults.js';

export const CLOCK_REASON_CODES = ['no-measurement', 'stale', 'uncertainty', 'disagreement', 'spread', 'clock-stepped', 'exchange-rejected'] as const;
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
  /** Why the exchange's refusal of a signed timestamp is not cleared yet; null or absent: none pending. */
  readonly rejectedByExchange?: string | null;
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

const signed = (ms: number): string => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)}`;

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
    const exchange = good.exchange;
    if (good.source === 'ntp' && exchange?.ok === true && exchange.offsetMs !== undefined) {
      const gapMs = Math.abs(good.offsetMs - exchange.offsetMs);
      const exchangeUncertaintyMs = exchange.uncertaintyMs ?? 0;
      const limitMs = uncertaintyMs + exchangeUncertaintyMs + maxDisagreementMs;
      if (gapMs > limitMs) {
        reasons.push({
          code: 'disagreement',
          message:
            `NTP and the exchange's time disagree by ${gapMs.toFixed(1)} ms (NTP ${signed(good.offsetMs)} ms ±${uncertaintyMs.toFixed(1)}, ` +
            `exchange ${signed(exchange.offsetMs)} ms ±${exchangeUncertaintyMs.toFixed(1)}; limit ${limitMs.toFixed(1)} ms with a margin of ${maxDisagreementMs} ms)`,
        });
      }
    }
    if (good.sampleSpread !== undefined) {
      const { server, spreadMs, limitMs } = good.sampleSpread;
      reasons.push({
        code: 'spread',
        message: `NTP server ${server} answered inconsistent times within one round: samples ${spreadMs.toFixed(1)} ms apart, beyond their error bounds of ${limitMs.toFixed(1)} ms`,
      });
    }
    if (Math.abs(good.offsetMs) > LARGE_OFFSET_WARN_MS) {
      warnings.push(`the machine clock is ${Math.abs(good.offsetMs / 1000).toFixed(3)} s ${good.offsetMs > 0 ? 'behind' : 'ahead'}; corrected`);
    }
    if (good.exchange !== undefined && !good.exchange.ok) warnings.push(`exchange time not checked: ${good.exchange.error ?? 'failed'}`);
    const falsetickers = good.servers.filter((s) => s.falseticker === true).map((s) => s.server);
    if (falsetickers.length > 0) warnings.push(`NTP servers out of agreement, ignored: ${falsetickers.join(', ')}`);
    const inconsistent = good.sampleSpread === undefined ? good.servers.filter(isInconsistent).map((s) => s.server) : [];
    if (inconsistent.length > 0) warnings.push(`NTP servers answering inconsistent times, ignored: ${inconsistent.join(', ')}`);
    if (good.source === 'exchange') warnings.push('no NTP server answered; using exchange time alone');
    if (lastError !== undefined) warnings.push(`the latest re-measurement failed: ${lastError}`);
  }
  if (input.rejectedByExchange) reasons.push({ code: 'exchange-rejected', message: input.rejectedByExchange });
  return { reasons, warnings, ageMs, stepped };
}
