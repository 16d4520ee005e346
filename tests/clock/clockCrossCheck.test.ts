/**
 * Issue 20, item 5: the clock cross-checked against the exchange's server time, with a lying NTP
 * server on loopback (the project's responder, told to lie) and an honest Bybit `/v5/market/time`.
 * Three lies: +3 s from the start, a switch to +3 s while running, and 0 / +3 s alternating per
 * packet. Each must leave the clock untrusted (nothing may be signed), say so once, keep
 * re-measuring, and trust must come back by itself once NTP tells the truth again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClockMeasurement } from '../../src/clock/clockMeasurement.js';
import { ClockService, ClockUntrustedError, type ClockStatus } from '../../src/clock/clockService.js';
import { startNtpResponder, type NtpResponder } from '../../src/clock/ntpResponder.js';
import type { CronScheduler } from '../../src/util/cronScheduler.js';
import { fetchBybitServerTime } from '../../src/exchange/bybit/serverTime.js';
import { startBybitTimeServer, type BybitTimeServer } from './bybitTimeServer.js';

/** Records the cron job; `fire()` is one scheduled re-measurement. */
class FakeScheduler implements CronScheduler {
  ticks: (() => void)[] = [];
  schedule(_expression: string, tick: () => void): { stop(): void } {
    this.ticks.push(tick);
    return { stop: () => void (this.ticks = []) };
  }
  fire(): void {
    for (const tick of this.ticks) tick();
  }
}

const codes = (s: ClockStatus): string[] => s.reasons.map((r) => r.code);

function nextMeasurement(clock: ClockService): Promise<ClockMeasurement> {
  return new Promise((resolve) => {
    const off = clock.onMeasurement((m) => {
      off();
      resolve(m);
    });
  });
}

async function until(what: string, ok: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let liar: NtpResponder;
let honest: NtpResponder;
let bybit: BybitTimeServer;
const clocks: ClockService[] = [];

beforeAll(async () => {
  liar = await startNtpResponder();
  honest = await startNtpResponder();
  // Bybit tells the truth: its clock is this machine's.
  bybit = await startBybitTimeServer(0);
});
afterAll(async () => {
  await liar.close();
  await honest.close();
  await bybit.close();
});
afterEach(() => {
  for (const c of clocks.splice(0)) c.stop();
  liar.setOffsetMs(0);
  bybit.respond = null;
});

/** A started-able clock on the real network parts, re-measuring every 50 ms (doubling) while untrusted. */
function makeClock(scheduler: CronScheduler, ntpServers = [`127.0.0.1:${liar.port}`]): { clock: ClockService; trust: boolean[]; measurements: ClockMeasurement[] } {
  const clock = new ClockService(
    { ntpServers, samplesPerServer: 4, timeoutMs: 500, exchangeUrl: bybit.url },
    { scheduler, fetchExchangeTime: fetchBybitServerTime, untrustedRetry: { firstMs: 50, maxMs: 200 } },
  );
  clocks.push(clock);
  const trust: boolean[] = [];
  const measurements: ClockMeasurement[] = [];
  clock.onTrustChange((s) => trust.push(s.trusted));
  clock.onMeasurement((m) => measurements.push(m));
  return { clock, trust, measurements };
}

describe('clock cross-checked against the exchange, with a lying NTP server', () => {
  it('NTP +3 s from the start: untrusted (disagreement), said once over many re-measurements, trusted by itself once NTP is right', async () => {
    liar.setOffsetMs(3000);
    const { clock, trust, measurements } = makeClock(new FakeScheduler());
    const started = await clock.start();
    expect(started.trusted, 'NTP alone would be believed; the exchange says otherwise').toBe(false);
    expect(codes(started)).toEqual(['disagreement']);
    expect(started.reasons[0]!.message).toMatch(/NTP and the exchange's time disagree by (29|30)\d\d\.\d ms \(NTP \+(29|30)\d\d\.\d ms/);
    expect(() => clock.assertTrusted(), 'nothing may be signed').toThrow(ClockUntrustedError);

    await until('several re-measurements while untrusted', () => measurements.length >= 4);
    expect(clock.isTrusted()).toBe(false);
    expect(trust, 'the owner is told once, not per measurement').toEqual([false]);

    liar.setOffsetMs(0);
    await until('trust to come back by itself', () => trust.length === 2);
    expect(trust).toEqual([false, true]);
    expect(Math.abs(clock.offsetMs), 'the truthful offset is in use').toBeLessThan(20);
    const settled = measurements.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(measurements.length, 'no more retries once trusted').toBe(settled);
  });

  it('NTP switching to +3 s while running: untrusted after one re-measurement, refusing to sign, then recovering', async () => {
    const scheduler = new FakeScheduler();
    const { clock, trust } = makeClock(scheduler);
    expect((await clock.start()).trusted).toBe(true);
    const goodOffsetMs = clock.offsetMs;

    liar.setOffsetMs(3000);
    const next = nextMeasurement(clock);
    scheduler.fire();
    const m = await next;
    expect(m.ok, 'NTP answered; it is the answer that is wrong').toBe(true);
    const status = clock.status();
    expect(codes(status)).toEqual(['disagreement']);
    expect(() => clock.assertTrusted()).toThrow(/clock is not trusted: NTP and the exchange's time disagree/);
    expect(trust).toEqual([true, false]);

    liar.setOffsetMs(0);
    await until('trust to come back by itself', () => trust.length === 3);
    expect(trust).toEqual([true, false, true]);
    expect(Math.abs(clock.offsetMs - goodOffsetMs)).toBeLessThan(20);
  });

  it('NTP alternating 0 / +3 s per packet: untrusted (spread) whichever answer was kept, said once', async () => {
    liar.setOffsetPatternMs([0, 3000]);
    const { clock, trust, measurements } = makeClock(new FakeScheduler());
    const started = await clock.start();
    expect(started.trusted).toBe(false);
    expect(codes(started)).toContain('spread');
    const spread = started.reasons.find((r) => r.code === 'spread')!;
    expect(spread.message).toMatch(new RegExp(`NTP server 127\\.0\\.0\\.1:${liar.port} answered inconsistent times within one round: samples (29|30)\\d\\d\\.\\d ms apart, beyond their error bounds of \\d+\\.\\d ms`));
    await until('several re-measurements', () => measurements.length >= 4);
    expect(measurements.every((x) => x.sampleSpread !== undefined), 'every round sees the lie').toBe(true);
    expect(clock.isTrusted()).toBe(false);
    expect(trust, 'the reasons vary from round to round (which answer was kept); the owner hears once').toEqual([false]);

    liar.setOffsetMs(0);
    await until('trust to come back', () => trust.length === 2);
  });

  it('an inconsistent server among honest ones is set aside with a warning, and trust holds', async () => {
    liar.setOffsetPatternMs([0, 3000]);
    const third = await startNtpResponder();
    try {
      const { clock } = makeClock(new FakeScheduler(), [`127.0.0.1:${liar.port}`, `127.0.0.1:${honest.port}`, `127.0.0.1:${third.port}`]);
      const status = await clock.start();
      expect(status.trusted).toBe(true);
      expect(status.warnings.join('\n')).toContain(`NTP servers answering inconsistent times, ignored: 127.0.0.1:${liar.port}`);
      expect(Math.abs(clock.offsetMs)).toBeLessThan(20);
    } finally {
      await third.close();
    }
  });

  it('a 10002 (remeasureNow) refuses signing until a round reads the exchange: untold when that round agrees, told when the exchange cannot be read', async () => {
    const { clock, trust } = makeClock(new FakeScheduler());
    expect((await clock.start()).trusted).toBe(true);

    const pending = clock.remeasureNow();
    expect(codes(clock.status()), 'no signing while the refusal is being checked').toEqual(['exchange-rejected']);
    await pending;
    expect(clock.isTrusted()).toBe(true);
    expect(trust, 'a refusal cleared by the re-measurement is not worth a notification').toEqual([true]);

    bybit.respond = () => [503, 'down for maintenance'];
    await clock.remeasureNow();
    const status = clock.status();
    expect(codes(status)).toEqual(['exchange-rejected']);
    expect(status.reasons[0]!.message).toMatch(/the exchange refused a signed timestamp \(Bybit 10002/);
    expect(status.warnings.join()).toMatch(/exchange time not checked: .*HTTP 503/);
    expect(trust).toEqual([true, false]);

    bybit.respond = null;
    await until('the retries to read the exchange again and clear the refusal', () => trust.length === 3);
    expect(clock.isTrusted()).toBe(true);
  });
});
