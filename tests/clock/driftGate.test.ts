/** The drift gate alone: which measurements it trusts for signing, and what it says when it does not. */
import { describe, expect, it } from 'vitest';
import type { ClockMeasurement } from '../../src/clock/clockMeasurement.js';
import { CLOCK_DEFAULTS } from '../../src/clock/clockOptions.js';
import { evaluateDriftGate, type DriftGateInput } from '../../src/clock/driftGate.js';

const WALL = Date.parse('2026-11-05T12:00:00Z');
const GOOD: ClockMeasurement = {
  measuredAtMs: WALL,
  ok: true,
  source: 'ntp',
  offsetMs: 12,
  delayMs: 20,
  uncertaintyMs: 15,
  spreadMs: 1,
  servers: [{ server: 'a', ok: true, samplesSent: 4, samplesAccepted: 4 }],
};
/** A good measurement taken just now (monotonic 1000 then, 1000 now). */
const input = (change: Partial<DriftGateInput> = {}): DriftGateInput => ({ good: GOOD, goodMonoMs: 1000, lastAttempt: GOOD, nowWallMs: WALL, nowMonoMs: 1000, options: CLOCK_DEFAULTS, ...change });
const codes = (i: DriftGateInput) => evaluateDriftGate(i).reasons.map((r) => r.code);

describe('evaluateDriftGate', () => {
  it('trusts a fresh, precise measurement, and corrects a big offset rather than refusing it', () => {
    expect(evaluateDriftGate(input())).toEqual({ reasons: [], warnings: [], ageMs: 0, stepped: false });
    const far = evaluateDriftGate(input({ good: { ...GOOD, offsetMs: -4200 } }));
    expect(far.reasons).toEqual([]);
    expect(far.warnings).toEqual(['the machine clock is 4.200 s ahead; corrected']);
  });

  it('no measurement yet, with the last error', () => {
    const failed: ClockMeasurement = { ...GOOD, ok: false, offsetMs: null, error: 'no NTP server gave a usable reply' };
    expect(evaluateDriftGate(input({ good: null, lastAttempt: failed }))).toEqual({
      reasons: [{ code: 'no-measurement', message: 'the clock has not been measured yet (last attempt: no NTP server gave a usable reply)' }],
      warnings: [],
      ageMs: null,
      stepped: false,
    });
  });

  it('stale after maxAgeMs; a clock set since the measurement asks for a re-measurement', () => {
    const age = CLOCK_DEFAULTS.maxAgeMs + 1000;
    expect(codes(input({ nowWallMs: WALL + age, nowMonoMs: 1000 + age }))).toEqual(['stale']);
    const stepped = evaluateDriftGate(input({ nowWallMs: WALL + 60_000, nowMonoMs: 1000 + 1000 }));
    expect(stepped.stepped).toBe(true);
    expect(stepped.reasons[0]!.message).toMatch(/moved 59000 ms against the monotonic clock/);
  });

  it('too uncertain, or NTP and exchange disagreeing beyond the limit plus the exchange round trip', () => {
    expect(codes(input({ good: { ...GOOD, uncertaintyMs: 400 } }))).toEqual(['uncertainty']);
    expect(codes(input({ good: { ...GOOD, uncertaintyMs: null } })), 'unknown uncertainty is too much').toEqual(['uncertainty']);
    const exchange = { url: 'http://x', ok: true, offsetMs: 700, rttMs: 100, uncertaintyMs: 50 };
    expect(codes(input({ good: { ...GOOD, exchange, disagreementMs: 549 } }))).toEqual([]);
    expect(codes(input({ good: { ...GOOD, exchange, disagreementMs: 551 } }))).toEqual(['disagreement']);
  });

  it('warns, without refusing, about an unchecked exchange, falsetickers, exchange-only time and a failed re-measurement', () => {
    const good: ClockMeasurement = {
      ...GOOD,
      source: 'exchange',
      exchange: { url: 'http://x', ok: false, error: 'timeout' },
      servers: [{ server: 'bad.example', ok: true, falseticker: true, samplesSent: 4, samplesAccepted: 4 }],
    };
    const v = evaluateDriftGate(input({ good, lastAttempt: { ...GOOD, ok: false, offsetMs: null, error: 'boom' } }));
    expect(v.reasons).toEqual([]);
    expect(v.warnings).toEqual([
      'exchange time not checked: timeout',
      'NTP servers out of agreement, ignored: bad.example',
      'no NTP server answered; using exchange time alone',
      'the latest re-measurement failed: boom',
    ]);
  });
});
