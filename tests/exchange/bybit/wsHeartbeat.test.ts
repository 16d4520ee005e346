/**
 * Liveness of one socket: pings on their cadence, the pong deadline and the data deadline. Fake time,
 * so each deadline is checked to the millisecond.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WsHeartbeat } from '../../../src/exchange/bybit/wsHeartbeat.js';

const TIMING = { pingIntervalMs: 20_000, pongTimeoutMs: 10_000, dataStaleAfterMs: 90_000 };

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('WsHeartbeat', () => {
  it('pings every interval and watches a quarter of the shortest deadline, until stopped', () => {
    const hb = new WsHeartbeat(TIMING);
    let pings = 0;
    let watches = 0;
    hb.start(Date.now(), () => pings++, () => watches++);
    vi.advanceTimersByTime(60_000);
    expect(pings).toBe(3);
    expect(watches, 'every 2.5 s: a quarter of the 10 s pong deadline').toBe(24);
    hb.stop();
    vi.advanceTimersByTime(60_000);
    expect([pings, watches]).toEqual([3, 24]);
  });

  it('never checks more often than every 10 ms', () => {
    const hb = new WsHeartbeat({ pingIntervalMs: 1000, pongTimeoutMs: 8, dataStaleAfterMs: null });
    let watches = 0;
    hb.start(Date.now(), () => undefined, () => watches++);
    vi.advanceTimersByTime(100);
    hb.stop();
    expect(watches).toBe(10);
  });

  it('calls a ping unanswered only after the pong deadline, judged from the first outstanding ping', () => {
    const hb = new WsHeartbeat(TIMING);
    const t0 = Date.now();
    hb.start(t0, () => undefined, () => undefined);
    hb.pingSent(t0 + 1000);
    hb.pingSent(t0 + 5000);
    expect(hb.verdict(t0 + 11_000, false)).toBeNull();
    expect(hb.verdict(t0 + 11_001, false)).toBe('noPong');
    hb.pongReceived();
    expect(hb.verdict(t0 + 30_000, false)).toBeNull();
    hb.stop();
  });

  it('counts anything received after the ping as an answer, and topic data clears the ping', () => {
    const hb = new WsHeartbeat(TIMING);
    const t0 = Date.now();
    hb.start(t0, () => undefined, () => undefined);
    hb.pingSent(t0 + 1000);
    hb.messageReceived(t0 + 2000);
    expect(hb.verdict(t0 + 50_000, false), 'a message after the ping proves the socket alive').toBeNull();
    hb.pingSent(t0 + 60_000);
    hb.dataReceived(t0 + 61_000);
    hb.pingSent(t0 + 62_000);
    expect(hb.verdict(t0 + 72_001, false), 'a new ping after the data is judged afresh').toBe('noPong');
    hb.stop();
  });

  it('calls the data stale only while data is expected, and never without a data deadline', () => {
    const hb = new WsHeartbeat(TIMING);
    const t0 = Date.now();
    hb.start(t0, () => undefined, () => undefined);
    expect(hb.verdict(t0 + 90_001, false), 'no topics wanted: silence is fine').toBeNull();
    expect(hb.verdict(t0 + 90_000, true)).toBeNull();
    expect(hb.verdict(t0 + 90_001, true)).toBe('noData');
    hb.dataReceived(t0 + 90_001);
    expect(hb.verdict(t0 + 100_000, true)).toBeNull();
    hb.stop();
    const quiet = new WsHeartbeat({ ...TIMING, dataStaleAfterMs: null });
    quiet.start(t0, () => undefined, () => undefined);
    expect(quiet.verdict(t0 + 10_000_000, true)).toBeNull();
    quiet.stop();
  });
});
