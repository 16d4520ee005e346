/**
 * The time source the Bybit adapter signs with (issue 4: "the corrected time is the only time used to
 * sign: ccxt's timestamp and the WS auth `expires`"). `ClockService` (src/clock/clockService.ts)
 * satisfies it as it is; tests may pass a fixed one.
 */
export interface SigningClock {
  /** Corrected time, whole epoch ms. */
  now(): number;
  /** The drift gate: false means nothing may be signed. */
  isTrusted(): boolean;
  /** Why the gate is shut (the reasons' messages go into ClockNotTrustedError). */
  status(): { readonly trusted: boolean; readonly reasons: readonly { readonly message: string }[] };
  /** Measure again right away, e.g. after Bybit answered 10002. */
  remeasureNow(): Promise<unknown>;
}

/** Why the clock is not trusted, as one line. */
export function untrustedReason(clock: SigningClock): string {
  const reasons = clock.status().reasons.map((r) => r.message);
  return reasons.length > 0 ? reasons.join('; ') : 'the drift gate is shut';
}

/**
 * A clock that is always trusted and `offsetMs` off the machine clock. For tests and benchmarks only:
 * a live bot signs with a measured ClockService.
 */
export function fixedSigningClock(offsetMs = 0): SigningClock {
  return {
    now: () => Date.now() + offsetMs,
    isTrusted: () => true,
    status: () => ({ trusted: true, reasons: [] }),
    remeasureNow: () => Promise.resolve(),
  };
}
