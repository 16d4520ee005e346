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

  it('too uncertain, or NTP and exchange disagreeing beyond both uncertainties plus the margin', () => {
    expect(codes(input({ good: { ...GOOD, uncertaintyMs: 400 } }))).toEqual(['uncertainty']);
    expect(codes(input({ good: { ...GOOD, uncertaintyMs: null } })), 'unknown uncertainty is too much').toEqual(['uncertainty']);
    // NTP +12 ms ±15, exchange ±50 (half its round trip + resolution), margin 500: the limit is 565 ms.
    const exchangeAt = (offsetMs: number) => ({ url: 'http://x', ok: true, offsetMs, rttMs: 98, uncertaintyMs: 50 });
    expect(codes(input({ good: { ...GOOD, exchange: exchangeAt(12 + 564.9) } }))).toEqual([]);
    expect(codes(input({ good: { ...GOOD, exchange: exchangeAt(12 - 564.9) } })), 'either direction').toEqual([]);
    const far = evaluateDriftGate(input({ good: { ...GOOD, exchange: exchangeAt(12 + 565.1) } }));
    expect(far.reasons).toEqual([
      { code: 'disagreement', message: "NTP and the exchange's time disagree by 565.1 ms (NTP +12.0 ms ±15.0, exchange +577.1 ms ±50.0; limit 565.0 ms with a margin of 500 ms)" },
    ]);
    expect(codes(input({ good: { ...GOOD, source: 'exchange', exchange: exchangeAt(3000) } })), 'exchange time alone has nothing to disagree with').toEqual([]);
    expect(codes(input({ good: { ...GOOD, exchange: { url: 'http://x', ok: false, error: 'timeout' } } })), 'an unreadable exchange only warns').toEqual([]);
  });

  it('refuses a round whose only NTP server answered inconsistent times, and warns when such a server was set aside', () => {
    const sampleSpread = { server: '10.0.0.1:123', spreadMs: 3000.2, limitMs: 12.4 };
    expect(evaluateDriftGate(input({ good: { ...GOOD, sampleSpread } })).reasons).toEqual([
      { code: 'spread', message: 'NTP server 10.0.0.1:123 answered inconsistent times within one round: samples 3000.2 ms apart, beyond their error bounds of 12.4 ms' },
    ]);
    const liar = { server: 'liar:123', ok: true, offsetMs: 3000, uncertaintyMs: 1, sampleSpreadMs: 3000, sampleSpreadLimitMs: 12, samplesSent: 2, samplesAccepted: 2 };
    const setAside = evaluateDriftGate(input({ good: { ...GOOD, servers: [...GOOD.servers, liar] } }));
    expect(setAside.reasons).toEqual([]);
    expect(setAside.warnings).toEqual(['NTP servers answering inconsistent times, ignored: liar:123']);
  });

  it('refuses after the exchange refused a signed timestamp, however good the measurement', () => {
    expect(evaluateDriftGate(input({ rejectedByExchange: 'Bybit said 10002' })).reasons).toEqual([{ code: 'exchange-rejected', message: 'Bybit said 10002' }]);
    expect(codes(input({ rejectedByExchange: null }))).toEqual([]);
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
