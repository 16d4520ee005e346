/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a uniform delay in [floor, min(cap, base·2^attempt)], so that many clients that lost the same
 * server do not come back in lock-step (bybit-api retries at a fixed 500 ms: STYLE point 9).
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Never wait less than this (a zero delay would hammer a server that just refused us). */
  readonly minMs: number;
}

/** `attempt` counts from 0 (the first retry). `random` returns [0, 1). */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  const low = Math.min(policy.minMs, ceiling);
  return low + random() * (ceiling - low);
}
