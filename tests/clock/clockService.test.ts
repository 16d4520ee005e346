import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClockMeasurement } from '../../src/clock/clockMeasurement.js';
import { ClockService, ClockUntrustedError, type ClockStatus } from '../../src/clock/clockService.js';
import { nodeCronScheduler, type CronScheduler } from '../../src/util/cronScheduler.js';
import type { TimeSource } from '../../src/clock/epochClock.js';
import { startNtpResponder, type NtpResponder } from '../../src/clock/ntpResponder.js';
import { fetchBybitServerTime } from '../../src/exchange/bybit/serverTime.js';
import { startBybitTimeServer, type BybitTimeServer } from './bybitTimeServer.js';

/** Wall and monotonic clocks moved by hand; they move together unless a test steps the wall clock. */
class FakeTime implements TimeSource {
  wall = Date.now();
  mono = 1_000;
  wallMs(): number {
    return this.wall;
  }
  monoMs(): number {
    return this.mono;
  }
  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
}

/** Records scheduled jobs; `fire()` runs a cron tick by hand. */
class FakeScheduler implements CronScheduler {
  jobs: { expression: string; tick: () => void; stopped: boolean }[] = [];
  schedule(expression: string, tick: () => void): { stop(): void } {
    const job = { expression, tick, stopped: false };
    this.jobs.push(job);
    return { stop: () => void (job.stopped = true) };
  }
  fire(): void {
    for (const job of this.jobs) if (!job.stopped) job.tick();
  }
}

function nextMeasurement(clock: ClockService): Promise<ClockMeasurement> {
  return new Promise((resolve) => {
    const off = clock.onMeasurement((m) => {
      off();
      resolve(m);
    });
  });
}

/** A loopback port nothing listens on: bound by us, then released. */
async function closedUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function closedTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const codes = (s: ClockStatus): string[] => s.reasons.map((r) => r.code);

describe('ClockService drift gate', () => {
  let ntp: NtpResponder;
  let exchange: BybitTimeServer;
  beforeAll(async () => {
    // The machine clock is effectively 3 s slow relative to "true" (NTP and exchange) time.
    ntp = await startNtpResponder({ offsetMs: 3000 });
    exchange = await startBybitTimeServer(3000);
  });
  afterAll(async () => {
    await ntp.close();
    await exchange.close();
  });

  function makeClock(time: FakeTime, overrides: Partial<ConstructorParameters<typeof ClockService>[0]> = {}): ClockService {
    return new ClockService(
      {
        ntpServers: [`127.0.0.1:${ntp.port}`],
        samplesPerServer: 4,
        timeoutMs: 500,
        maxAgeMs: 60_000,
        maxUncertaintyMs: 50,
        maxDisagreementMs: 100,
        exchangeUrl: exchange.url,
        ...overrides,
      },
      { time, scheduler: new FakeScheduler(), fetchExchangeTime: fetchBybitServerTime },
    );
  }

  it('goes untrusted → trusted → stale → trusted, corrects a large offset, and tells listeners each time', async () => {
    ntp.setOffsetMs(3000);
    ntp.setDelayMs(0);
    exchange.offsetMs = 3000;
    const time = new FakeTime();
    const clock = makeClock(time);
    const seen: { trusted: boolean; codes: string[] }[] = [];
    clock.onTrustChange((s) => seen.push({ trusted: s.trusted, codes: codes(s) }));

    expect(codes(clock.status())).toEqual(['no-measurement']);
    expect(() => clock.assertTrusted()).toThrow(ClockUntrustedError);
    expect(clock.now(), 'uncorrected before any measurement').toBe(time.wall);

    const m = await clock.measure();
    expect(m.ok).toBe(true);
    expect(Math.abs(m.offsetMs! - 3000)).toBeLessThanOrEqual(10);
    // The exchange's stamp lies within half its round trip of the midpoint.
    expect(Math.abs(m.exchangeOffsetMs! - 3000)).toBeLessThanOrEqual(m.exchange!.uncertaintyMs! + 1);
    expect(clock.isTrusted(), 'a 3 s offset is fine once measured: we correct, not refuse').toBe(true);
    expect(() => clock.assertTrusted()).not.toThrow();
    expect(Math.abs(clock.now() - (time.wall + 3000))).toBeLessThanOrEqual(10);
    expect(clock.ccxtTimeDifferenceMs, "ccxt signs with milliseconds() − timeDifference").toBe(-Math.round(clock.offsetMs));
    expect(clock.status().warnings.join()).toMatch(/machine clock is \d\.\d{3} s behind; corrected/);
    expect(JSON.parse(JSON.stringify(m)), 'the record is plain JSON').toEqual(m);

    time.advance(60_001);
    const stale = clock.status();
    expect(codes(stale)).toEqual(['stale']);
    let thrown: unknown;
    try {
      clock.assertTrusted();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ClockUntrustedError);
    expect((thrown as ClockUntrustedError).name).toBe('ClockUntrustedError');
    expect((thrown as ClockUntrustedError).reasons[0]?.code).toBe('stale');
    expect(Math.abs(clock.now() - (time.wall + 3000)), 'still corrected while stale').toBeLessThanOrEqual(10);

    await clock.remeasureNow();
    expect(clock.isTrusted(), 'trust returns by itself').toBe(true);
    expect(seen).toEqual([
      { trusted: true, codes: [] },
      { trusted: false, codes: ['stale'] },
      { trusted: true, codes: [] },
    ]);
  });

  it('refuses when NTP and the exchange disagree, and recovers when they agree again', async () => {
    ntp.setOffsetMs(3000);
    ntp.setDelayMs(0);
    exchange.offsetMs = 3400;
    const clock = makeClock(new FakeTime());
    await clock.measure();
    const status = clock.status();
    expect(codes(status)).toEqual(['disagreement']);
    // 400 ms apart, give or take the exchange's half round trip and NTP's ±10 ms.
    expect(status.measurement!.disagreementMs!).toBeGreaterThan(390 - status.measurement!.exchange!.uncertaintyMs!);
    expect(status.reasons[0]?.message).toMatch(/NTP and the exchange's time disagree by \d+\.\d ms \(NTP \+3\d{3}\.\d ms ±\d+\.\d, exchange \+3\d{3}\.\d ms ±\d+\.\d; limit \d+\.\d ms with a margin of 100 ms\)/);
    exchange.offsetMs = 3000;
    await clock.remeasureNow();
    expect(clock.isTrusted()).toBe(true);
  });

  it('refuses when the uncertainty is above the limit (slow NTP path), and an unreachable exchange only warns', async () => {
    ntp.setDelayMs(40); // δ ≥ 80 ms, so the uncertainty is at least 40 ms
    const clock = makeClock(new FakeTime(), { maxUncertaintyMs: 30, exchangeUrl: `http://127.0.0.1:${await closedTcpPort()}/` });
    await clock.measure();
    ntp.setDelayMs(0);
    const status = clock.status();
    expect(codes(status)).toEqual(['uncertainty']);
    expect(status.reasons[0]?.message).toMatch(/uncertainty ±\d+\.\d ms exceeds the limit of 30 ms/);
    expect(status.warnings.join()).toMatch(/exchange time not checked/);
  });

  it('notices the machine clock being set after a measurement, and re-measures by itself', async () => {
    ntp.setOffsetMs(3000);
    exchange.offsetMs = 3000;
    const time = new FakeTime();
    const clock = makeClock(time);
    await clock.measure();
    expect(clock.isTrusted()).toBe(true);
    // Android's automatic time sets the wall clock 2 s forward: our offset is now 2 s wrong.
    time.wall += 2000;
    ntp.setOffsetMs(1000);
    exchange.offsetMs = 1000;
    const remeasured = nextMeasurement(clock);
    const status = clock.status();
    expect(codes(status)).toEqual(['clock-stepped']);
    const m = await remeasured;
    expect(Math.abs(m.offsetMs! - 1000)).toBeLessThanOrEqual(10);
    expect(clock.isTrusted()).toBe(true);
    ntp.setOffsetMs(3000);
    exchange.offsetMs = 3000;
  });

  it('keeps the last good offset through a failed re-measurement, then goes stale, then resumes when NTP is back (cron)', async () => {
    const flaky = await startNtpResponder({ offsetMs: -1500 });
    const port = flaky.port;
    const time = new FakeTime();
    const scheduler = new FakeScheduler();
    const clock = new ClockService(
      { ntpServers: [`127.0.0.1:${port}`], samplesPerServer: 4, timeoutMs: 500, maxAgeMs: 600_000, cron: '*/7 * * * *' },
      { time, scheduler },
    );
    const started = await clock.start();
    expect(started.trusted).toBe(true);
    expect(scheduler.jobs.map((j) => j.expression)).toEqual(['*/7 * * * *']);
    const records: ClockMeasurement[] = [];
    clock.onMeasurement((m) => records.push(m));

    await flaky.close();
    time.advance(7 * 60_000);
    let next = nextMeasurement(clock);
    scheduler.fire();
    const failed = await next;
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/no NTP server gave a usable reply/);
    expect(Math.abs(clock.offsetMs + 1500), 'the last good offset stays in use').toBeLessThanOrEqual(10);
    expect(clock.isTrusted(), 'still fresh').toBe(true);
    expect(clock.status().warnings.join()).toMatch(/latest re-measurement failed/);

    time.advance(7 * 60_000);
    next = nextMeasurement(clock);
    scheduler.fire();
    await next;
    const stale = clock.status();
    expect(codes(stale)).toEqual(['stale']);
    expect(stale.reasons[0]?.message).toMatch(/840 s old \(limit 600 s\).*last attempt: no NTP server/);

    const back = await startNtpResponder({ port, offsetMs: -1500 });
    try {
      next = nextMeasurement(clock);
      scheduler.fire();
      await next;
      expect(clock.isTrusted(), 'trading resumes by itself').toBe(true);
      expect(records.map((r) => r.ok)).toEqual([false, false, true]);
      clock.stop();
      expect(scheduler.jobs[0]?.stopped).toBe(true);
    } finally {
      await back.close();
    }
  });

  it('shares one measurement between concurrent callers (a 10002 storm measures once)', async () => {
    const clock = makeClock(new FakeTime());
    const [a, b, c] = await Promise.all([clock.remeasureNow(), clock.remeasureNow(), clock.measure()]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    const fresh = makeClock(new FakeTime());
    const seen: ClockMeasurement[] = [];
    fresh.onMeasurement((m) => seen.push(m));
    expect((await fresh.ensureTrusted()).trusted, 'ensureTrusted measures when needed').toBe(true);
    await fresh.ensureTrusted();
    expect(seen, 'and not again while trusted').toHaveLength(1);
  });

  it('falls back to exchange time only when asked to, when NTP is unreachable', async () => {
    const deadPort = await closedUdpPort();
    exchange.offsetMs = 3000;
    const strict = makeClock(new FakeTime(), { ntpServers: [`127.0.0.1:${deadPort}`] });
    const m1 = await strict.measure();
    expect(m1.ok).toBe(false);
    expect(Math.abs(m1.exchangeOffsetMs! - 3000)).toBeLessThanOrEqual(m1.exchange!.uncertaintyMs! + 1);
    expect(codes(strict.status())).toEqual(['no-measurement']);
    const lenient = makeClock(new FakeTime(), { ntpServers: [`127.0.0.1:${deadPort}`], exchangeFallback: true });
    const m2 = await lenient.measure();
    expect(m2.source).toBe('exchange');
    expect(lenient.isTrusted()).toBe(true);
    expect(lenient.status().warnings.join()).toMatch(/using exchange time alone/);
  });

  it('rejects bad options with messages naming the option', () => {
    expect(() => new ClockService({ ntpServers: [] })).toThrow(/clock.ntpServers/);
    expect(() => new ClockService({ ntpServers: ['h:70000'] })).toThrow(/port must be/);
    expect(() => new ClockService({ samplesPerServer: 1.5 })).toThrow(/clock.samplesPerServer must be a positive whole number/);
    expect(() => new ClockService({ maxAgeMs: -1 })).toThrow(/clock.maxAgeMs/);
    expect(() => new ClockService({ cron: 'every minute' })).toThrow(/not a valid cron expression/);
    expect(() => new ClockService({ exchangeUrl: 'ftp://x' }, { fetchExchangeTime: fetchBybitServerTime })).toThrow(/http\(s\) URL/);
    expect(() => new ClockService({ exchangeUrl: 'http://x' })).toThrow(/no exchange time reader/);
  });
});

describe('nodeCronScheduler', () => {
  it('runs the tick on a real node-cron schedule and stops', async () => {
    let ticks = 0;
    const job = nodeCronScheduler.schedule('* * * * * *', () => ticks++); // every second
    try {
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (ticks > 0) {
            clearInterval(poll);
            resolve();
          }
        }, 20);
      });
    } finally {
      job.stop();
    }
    expect(ticks).toBeGreaterThan(0);
  });
});
