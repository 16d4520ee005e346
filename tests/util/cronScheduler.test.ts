import { afterEach, describe, expect, it, vi } from 'vitest';
import { cronScheduler, type ScheduleOptions } from '../../src/util/cronScheduler.js';
import { UsageError } from '../../src/util/errors.js';

const at = (iso: string) => Date.parse(iso);
const realTz = process.env.TZ;

afterEach(() => {
  vi.useRealTimers();
  if (realTz === undefined) delete process.env.TZ;
  else process.env.TZ = realTz;
});

/** When `cronScheduler` fires `expression` over `runMs` of fake time from `startIso`. */
async function fireTimes(expression: string, options: ScheduleOptions, startIso: string, runMs: number): Promise<string[]> {
  vi.useFakeTimers({ now: at(startIso) });
  const fired: string[] = [];
  const job = cronScheduler.schedule(expression, () => void fired.push(new Date().toISOString()), options);
  await vi.advanceTimersByTimeAsync(runMs);
  job.stop();
  return fired;
}

/** Counts `new Intl.DateTimeFormat(...)` while `run` runs (its first use loads ICU's data). */
async function countDateTimeFormats(run: () => Promise<unknown>): Promise<number> {
  const real = Intl.DateTimeFormat;
  let made = 0;
  Intl.DateTimeFormat = new Proxy(real, {
    construct(target, args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
      made++;
      return new target(...args);
    },
  });
  try {
    await run();
  } finally {
    Intl.DateTimeFormat = real;
  }
  return made;
}

describe('cronScheduler', () => {
  it('runs the UTC schedules and the clock schedule without Intl', async () => {
    const made = await countDateTimeFormats(async () => {
      expect(await fireTimes('0 0 * * *', { name: 'dayBoundary', timeZone: 'UTC' }, '2026-11-21T23:59:00Z', 120_000)).toEqual(['2026-11-22T00:00:00.000Z']);
      expect(await fireTimes('*/5 * * * *', { name: 'clock-remeasure' }, '2026-11-21T23:58:00Z', 600_000)).toEqual(['2026-11-22T00:00:00.000Z', '2026-11-22T00:05:00.000Z']);
    });
    expect(made, 'Intl.DateTimeFormat objects made').toBe(0);
  });

  it('keeps node-cron for a zone with daylight saving: the local time holds across the change', async () => {
    // Europe/Berlin moves from +1 to +2 on 2026-03-29: 21:00 local is 20:00 UTC, then 19:00 UTC.
    expect(await fireTimes('0 21 * * *', { timeZone: 'Europe/Berlin' }, '2026-03-28T12:00:00Z', 2 * 86_400_000)).toEqual(['2026-03-28T20:00:00.000Z', '2026-03-29T19:00:00.000Z']);
  });

  it('reads an hour-bound expression without a zone in the machine zone, as before', async () => {
    process.env.TZ = 'Asia/Kolkata'; // +5:30
    expect(await fireTimes('0 3 * * *', {}, '2026-11-21T00:00:00Z', 86_400_000)).toEqual(['2026-11-21T21:30:00.000Z']);
    expect(await fireTimes('*/15 * * * *', {}, '2026-11-21T00:07:00Z', 30 * 60_000), 'quarter hours are the same everywhere').toEqual(['2026-11-21T00:15:00.000Z', '2026-11-21T00:30:00.000Z']);
  });

  it('keeps re-measuring every 5 minutes through the hour repeated when daylight saving ends', async () => {
    // New York repeats 01:00-01:59 on 2026-11-01 (05:00-06:59 UTC). node-cron's machine-zone timer
    // skipped from 01:55 EDT to 02:00 EST, 65 minutes, longer than the clock's 15-minute age limit.
    process.env.TZ = 'America/New_York';
    const fired = await fireTimes('*/5 * * * *', {}, '2026-11-01T05:40:00Z', 90 * 60_000);
    expect(fired).toHaveLength(18);
    expect(fired.slice(2, 5)).toEqual(['2026-11-01T05:55:00.000Z', '2026-11-01T06:00:00.000Z', '2026-11-01T06:05:00.000Z']);
  });

  it('rejects an invalid expression with the same usage error', () => {
    expect(() => cronScheduler.schedule('61 * * * *', () => {})).toThrow(UsageError);
    expect(() => cronScheduler.schedule('61 * * * *', () => {}, { timeZone: 'UTC' })).toThrow('"61 * * * *" is not a valid cron expression (e.g. "*/5 * * * *")');
  });
});
