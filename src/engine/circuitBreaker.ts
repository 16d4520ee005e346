/**
 * The circuit breaker on order requests (the `max_consecutive_errors = 5` of the bots this grew
 * from): after `risk.circuitBreaker.failures` order requests in a row failed (refused, or with an
 * unknown outcome, after the adapter's own retries), no new entries or quotes for
 * `cooldownSeconds`. Then one opening request is let through: a success closes the breaker, a
 * failure opens it again for twice as long (at most 15 minutes). Any successful order request
 * closes it. Stops, closes and cancels are never blocked: the breaker only answers "may I open?".
 *
 * The open breaker is kept in the store as the `circuitBreaker` protection, so `status` shows it.
 */
import type { EngineContext } from './engineContext.js';

export const BREAKER_DEFAULTS = { failures: 5, cooldownSeconds: 60 } as const;
const MAX_WAIT_MS = 15 * 60_000;

export class CircuitBreaker {
  readonly #ctx: EngineContext;
  #failures = 0;
  #lastError = '';
  /** The current wait; null while the breaker is closed. */
  #waitMs: number | null = null;
  #openUntilMs = 0;
  /** When the one request of a half-open breaker was let through; null when none is out. */
  #trialAtMs: number | null = null;

  constructor(ctx: EngineContext) {
    this.#ctx = ctx;
  }

  /** The outcome of one order request; `error` is what the exchange said, as it said it. */
  record(ok: boolean, error: string | null): void {
    if (ok) {
      this.#failures = 0;
      if (this.#waitMs === null) return;
      this.#waitMs = null;
      this.#trialAtMs = null;
      this.#ctx.store.update((d) => {
        d.protections.circuitBreaker = null;
      });
      this.#ctx.logger.info('circuit breaker closed: an order request went through; new entries and quotes allowed again');
      this.#ctx.alert('info', 'control', 'Order requests work again', 'The circuit breaker closed: new entries and quotes are allowed again.');
      return;
    }
    this.#failures++;
    this.#lastError = error ?? 'unknown error';
    const limits = this.#ctx.settings().risk.circuitBreaker ?? BREAKER_DEFAULTS;
    const now = this.#ctx.now();
    if (this.#waitMs !== null) {
      // Open or half-open: a failure while the trial was out opens it again, for twice as long.
      if (now < this.#openUntilMs) return;
      this.#open(Math.min(MAX_WAIT_MS, this.#waitMs * 2), now, false);
      return;
    }
    if (this.#failures >= limits.failures) this.#open(limits.cooldownSeconds * 1000, now, true);
  }

  /** Why new entries and quotes must wait, or null; a half-open breaker lets one request through. Only checks. */
  blocks(now: number): string | null {
    if (this.#waitMs === null) return null;
    if (now < this.#openUntilMs) return this.#reason();
    if (this.#trialAtMs !== null && now - this.#trialAtMs < this.#waitMs) return `${this.#reason()}; one request is being tried`;
    return null;
  }

  /**
   * An opening order (entry or quote) is leaving: a half-open breaker's one trial is taken now, not
   * when the checks before it ran (a signal they refuse sends nothing and must not use it up).
   */
  openingSent(now: number): void {
    if (this.#waitMs !== null && now >= this.#openUntilMs) this.#trialAtMs = now;
  }

  #open(waitMs: number, now: number, first: boolean): void {
    this.#waitMs = waitMs;
    this.#openUntilMs = now + waitMs;
    this.#trialAtMs = null;
    const reason = this.#reason();
    this.#ctx.store.update((d) => {
      d.protections.circuitBreaker = { reason, sinceMs: now, untilMs: now + waitMs };
    });
    if (first) {
      this.#ctx.logger.error(`circuit breaker open: ${reason}`);
      this.#ctx.alert('critical', 'error', 'Order requests failing: entries stopped', `${reason}. Stops, closes and cancels still go out.`);
    } else {
      this.#ctx.logger.warn(`circuit breaker open again: ${reason}`);
    }
  }

  #reason(): string {
    const secs = Math.round((this.#waitMs ?? 0) / 1000);
    return `${this.#failures} order requests failed in a row (last: ${this.#lastError}); no new entries or quotes for ${secs} s, then one is tried`;
  }
}
