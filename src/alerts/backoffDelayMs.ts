/**
 * Exponential backoff with jitter, shared by the channels (issue 8: retried with backoff; STYLE
 * point 9: backoff with jitter, never a fixed retry). "Equal jitter": half the exponential step is
 * fixed, half random, so retries spread out but never collapse to zero.
 */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** 0 = none, 1 = up to half the step randomised. Default 1. */
  readonly jitter?: number;
}

/** Delay before retry number `attempt` (1 = first retry). `random` returns [0, 1). */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 1));
  return Math.round(step * (1 - jitter / 2) + step * (jitter / 2) * random());
}
