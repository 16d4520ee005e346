/**
 * Per-key token buckets (issue 8 item 1: per-kind rate limits). A bucket holds up to `burst`
 * tokens and refills at `perHour`; an alert spends one. Time comes from the caller, so tests and
 * the router's injected clock decide what "now" is.
 */
import { AlertConfigError } from './AlertConfigError.js';

export interface RateLimit {
  /** Alerts that may go out back to back. */
  readonly burst: number;
  /** Sustained rate. */
  readonly perHour: number;
}

const HOUR_MS = 3_600_000;

interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(readonly limitFor: (key: string) => RateLimit | null) {}

  /** Spends a token for `key` at `nowMs`; false when the bucket is empty. Keys without a limit always pass. */
  tryTake(key: string, nowMs: number): boolean {
    const limit = this.limitFor(key);
    if (limit === null) return true;
    const bucket = this.#buckets.get(key) ?? { tokens: limit.burst, atMs: nowMs };
    const elapsed = Math.max(0, nowMs - bucket.atMs);
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (elapsed * limit.perHour) / HOUR_MS);
    bucket.atMs = nowMs;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

export function checkRateLimit(limit: RateLimit, what: string): RateLimit {
  if (!(Number.isFinite(limit.burst) && limit.burst >= 1)) throw new AlertConfigError(`${what}.burst must be a number ≥ 1, got ${String(limit.burst)}`);
  if (!(Number.isFinite(limit.perHour) && limit.perHour > 0)) throw new AlertConfigError(`${what}.perHour must be a number > 0, got ${String(limit.perHour)}`);
  return limit;
}
