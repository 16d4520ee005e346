/**
 * Battery awareness (issue 8 item 4), the pure part: from one `termux-battery-status` reading and
 * the conditions active so far, decide whether new entries pause or resume. Each condition has its
 * own hysteresis: it starts at its trigger threshold and clears only at its resume threshold, so a
 * battery hovering at the limit does not flap between pause and resume.
 */
import { AlertConfigError } from './AlertConfigError.js';

export interface BatteryReading {
  /** 0–100. */
  readonly percentage: number;
  /** "UNPLUGGED" | "PLUGGED_AC" | "PLUGGED_USB" | "PLUGGED_WIRELESS" … (termux-api BatteryStatus). */
  readonly plugged: string;
  /** Battery temperature in °C. */
  readonly temperatureC: number;
  /** "CHARGING" | "DISCHARGING" | "FULL" | "NOT_CHARGING" | "UNKNOWN". */
  readonly status: string;
}

export interface BatteryPolicy {
  /** Pause new entries below this charge while unplugged. */
  readonly minPercent: number;
  /** Resume once charge is back at or above this (or the phone is plugged in). Default minPercent + 5. */
  readonly resumePercent?: number;
  /** Pause new entries above this temperature. */
  readonly maxTemperatureC: number;
  /** Resume once at or below this. Default maxTemperatureC − 3. */
  readonly resumeTemperatureC?: number;
}

export const DEFAULT_BATTERY_POLICY: Required<BatteryPolicy> = { minPercent: 20, resumePercent: 25, maxTemperatureC: 45, resumeTemperatureC: 42 };

export type BatteryCondition = 'lowBattery' | 'hot';

export interface BatteryDecision {
  /** 'pause' and 'resume' are transitions; 'none' keeps the previous state (paused or not). */
  readonly action: 'pause' | 'resume' | 'none';
  readonly paused: boolean;
  /** Conditions active after this reading; pass them back in on the next call. */
  readonly conditions: readonly BatteryCondition[];
  /** Human text for the owner, e.g. "battery 15% and unplugged (pause below 20%)". */
  readonly reason: string;
}

export function resolveBatteryPolicy(policy: BatteryPolicy): Required<BatteryPolicy> {
  const resolved = {
    minPercent: policy.minPercent,
    resumePercent: policy.resumePercent ?? Math.min(100, policy.minPercent + 5),
    maxTemperatureC: policy.maxTemperatureC,
    resumeTemperatureC: policy.resumeTemperatureC ?? policy.maxTemperatureC - 3,
  };
  if (!(resolved.minPercent >= 0 && resolved.minPercent <= 100)) throw new AlertConfigError(`battery.minPercent must be 0–100, got ${policy.minPercent}`);
  if (!(resolved.resumePercent >= resolved.minPercent && resolved.resumePercent <= 100)) {
    throw new AlertConfigError(`battery.resumePercent must be between minPercent (${resolved.minPercent}) and 100, got ${resolved.resumePercent}`);
  }
  if (!Number.isFinite(resolved.maxTemperatureC)) throw new AlertConfigError(`battery.maxTemperatureC must be a number, got ${policy.maxTemperatureC}`);
  if (!(resolved.resumeTemperatureC <= resolved.maxTemperatureC)) {
    throw new AlertConfigError(`battery.resumeTemperatureC must be ≤ maxTemperatureC (${resolved.maxTemperatureC}), got ${resolved.resumeTemperatureC}`);
  }
  return resolved;
}

export function decideBattery(reading: BatteryReading, previous: readonly BatteryCondition[], policy: BatteryPolicy): BatteryDecision {
  const p = resolveBatteryPolicy(policy);
  const unplugged = reading.plugged === 'UNPLUGGED';
  const wasLow = previous.includes('lowBattery');
  const wasHot = previous.includes('hot');
  const low = unplugged && (wasLow ? reading.percentage < p.resumePercent : reading.percentage < p.minPercent);
  const hot = wasHot ? reading.temperatureC > p.resumeTemperatureC : reading.temperatureC > p.maxTemperatureC;

  const conditions: BatteryCondition[] = [];
  const reasons: string[] = [];
  if (low) {
    conditions.push('lowBattery');
    reasons.push(`battery ${reading.percentage}% and unplugged (pause below ${p.minPercent}%, resume at ${p.resumePercent}% or when plugged in)`);
  }
  if (hot) {
    conditions.push('hot');
    reasons.push(`battery at ${reading.temperatureC} °C (pause above ${p.maxTemperatureC} °C, resume at ${p.resumeTemperatureC} °C)`);
  }
  const wasPaused = previous.length > 0;
  const paused = conditions.length > 0;
  const action = paused && !wasPaused ? 'pause' : !paused && wasPaused ? 'resume' : 'none';
  const reason = paused
    ? reasons.join('; ')
    : `battery ${reading.percentage}%${unplugged ? '' : ' (plugged in)'}, ${reading.temperatureC} °C: ok`;
  return { action, paused, conditions, reason };
}
