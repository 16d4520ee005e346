/**
 * Time sources for clock discipline (issue 4, item 1).
 *
 * - `createEpochClock()`: a sub-millisecond clock in Unix epoch ms, used to stamp NTP T1/T4 and the
 *   exchange round trip. `Date.now()` has 1 ms resolution, which alone would add up to 1 ms of bias
 *   to every offset, so the clock maps the monotonic high-resolution timer onto the wall clock,
 *   anchored at the instant `Date.now()` ticks over. The anchor is renewed when it gets old, because
 *   the monotonic timer does not advance while an Android phone is suspended.
 * - `TimeSource`: the machine wall clock plus a monotonic clock, injectable so tests of the drift
 *   gate can move time by hand. The monotonic clock lets the gate notice that the wall clock was set
 *   (or the device slept) since the last measurement.
 */

/** Returns the current machine time in Unix epoch milliseconds (fractional). */
export type EpochMs = () => number;

export interface TimeSource {
  /** Machine wall clock, Unix epoch ms (what `Date.now()` returns). */
  wallMs(): number;
  /** A monotonic clock in ms with an arbitrary origin (never set, never steps). */
  monoMs(): number;
}

export const systemTimeSource: TimeSource = {
  wallMs: () => Date.now(),
  monoMs: () => performance.now(),
};

interface Anchor {
  readonly epochMs: number;
  readonly hrMs: number;
}

/** Longest wait for one `Date.now()` tick; it ticks every 1 ms on Linux/Android, so this is a guard. */
const TICK_GUARD_MS = 3;
/** An edge located to within this is good enough (normally it is well under 0.01 ms). */
const GOOD_EDGE_WIDTH_MS = 0.05;
const MAX_EDGE_ATTEMPTS = 5;

/**
 * Pairs a wall-clock value with the high-resolution timer at the moment `Date.now()` changes, so the
 * pair is accurate to the loop's iteration time instead of to 1 ms. Each `Date.now()` call is
 * bracketed by two timer reads, so the edge is known to lie between the previous call's start and
 * this call's end; if the process was descheduled inside that window (a busy phone or CI machine),
 * the width shows it and we wait for another edge, keeping the tightest of a few. Busy-waits about
 * 1 ms per attempt, which is why it is done once per anchor and not per reading.
 */
function anchorNow(): Anchor {
  let best: Anchor & { widthMs: number } = { epochMs: Date.now(), hrMs: performance.now(), widthMs: Infinity };
  for (let attempt = 0; attempt < MAX_EDGE_ATTEMPTS && best.widthMs > GOOD_EDGE_WIDTH_MS; attempt++) {
    let prevBefore = performance.now();
    let prevEpoch = Date.now();
    const deadline = prevBefore + TICK_GUARD_MS;
    for (;;) {
      const before = performance.now();
      const epochMs = Date.now();
      const after = performance.now();
      if (epochMs !== prevEpoch) {
        const widthMs = after - prevBefore;
        if (widthMs < best.widthMs) best = { epochMs, hrMs: (prevBefore + after) / 2, widthMs };
        break;
      }
      if (after > deadline) break;
      prevBefore = before;
      prevEpoch = epochMs;
    }
  }
  return best;
}

/**
 * A high-resolution epoch clock. `maxAnchorAgeMs` bounds how long one anchor is trusted: over 10 s the
 * monotonic timer and a slewing wall clock part by at most 5 ms even at the kernel's 500 ppm slew limit,
 * and usually by microseconds.
 */
export function createEpochClock(maxAnchorAgeMs = 10_000): EpochMs {
  let anchor = anchorNow();
  return () => {
    const hr = performance.now();
    if (hr - anchor.hrMs > maxAnchorAgeMs) {
      anchor = anchorNow();
      return anchor.epochMs + (performance.now() - anchor.hrMs);
    }
    return anchor.epochMs + (hr - anchor.hrMs);
  };
}
