/**
 * Exponential backoff with jitter (STYLE point 9: backoff with jitter, never a fixed retry), in the
 * two shapes the project uses. Which one applies is chosen by the options passed:
 *
 * - `BackoffOptions` (alert channels, issue 8): "equal jitter". `attempt` counts from 1 (the first
 *   retry); half the exponential step is fixed, half random (scaled by `jitter`), so retries spread
 *   out but never collapse to zero; whole milliseconds.
 * - `BackoffPolicy` (streams and REST, recognised by its `minMs`): "full jitter" (AWS Architecture
 *   Blog, "Exponential Backoff And Jitter"): `attempt` counts from 0; a uniform delay in
 *   [min(minMs, step), step], so that many clients that lost the same server do not come back in
 *   lock-step (bybit-api retries at a fixed 500 ms); fractional milliseconds.
 */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** 0 = none, 1 = up to half the step randomised. Default 1. */
  readonly jitter?: number;
  /** Absent: this is the equal-jitter shape. */
  readonly minMs?: undefined;
}

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Never wait less than this (a zero delay would hammer a server that just refused us). */
  readonly minMs: number;
}

/** Delay before retry number `attempt` (see above for where it counts from). `random` returns [0, 1). */
export function backoffDelayMs(attempt: number, options: BackoffOptions | BackoffPolicy, random: () => number = Math.random): number {
  if (options.minMs !== undefined) {
    const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
    const low = Math.min(options.minMs, ceiling);
    return low + random() * (ceiling - low);
  }
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 1));
  return Math.round(step * (1 - jitter / 2) + step * (jitter / 2) * random());
}
