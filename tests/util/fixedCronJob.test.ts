import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeCronScheduler, type ScheduledJob } from '../../src/util/cronScheduler.js';
import { FixedCronJob } from '../../src/util/fixedCronJob.js';
import { fixedCronFields } from '../../src/util/fixedCronFields.js';

const at = (iso: string) => Date.parse(iso);

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

function fixedJob(expression: string, tick: () => void): ScheduledJob {
  return new FixedCronJob(fixedCronFields(expression, 'UTC')!, tick);
}

/**
 * Starts a job at `startIso` on fake time, optionally sleeps through `sleepMs` (the wall clock jumps
 * while timers stand still, as on a suspended phone), runs `runMs`, and returns when it fired and
 * what it warned.
 */
async function timeline(start: (tick: () => void) => ScheduledJob, startIso: string, runMs: number, sleepMs = 0): Promise<{ fired: string[]; warnings: string[] }> {
  vi.useFakeTimers({ now: at(startIso) });
  const warnings: string[] = [];
  vi.spyOn(console, 'warn').mockImplementation((line: string) => void warnings.push(line.replace(/^\[[^\]]+\] \[PID: \d+\] /, '')));
  const fired: string[] = [];
  const job = start(() => void fired.push(new Date().toISOString()));
  if (sleepMs > 0) vi.setSystemTime(Date.now() + sleepMs);
  await vi.advanceTimersByTimeAsync(runMs);
  job.stop();
  await vi.advanceTimersByTimeAsync(24 * 3_600_000);
  return { fired, warnings };
}

describe('FixedCronJob', () => {
  it('fires at each time across a day boundary, and not after stop', async () => {
    const { fired } = await timeline((tick) => fixedJob('0 */6 * * *', tick), '2026-11-21T17:59:58.250Z', 12 * 3_600_000 + 5000);
    expect(fired).toEqual(['2026-11-21T18:00:00.000Z', '2026-11-22T00:00:00.000Z', '2026-11-22T06:00:00.000Z']);
  });

  it('waits out a schedule more than a day away, in steps of at most a day', async () => {
    const { fired } = await timeline((tick) => fixedJob('0 12 * * 1', tick), '2026-11-21T00:00:00Z', 10 * 86_400_000);
    expect(fired, 'Mondays at noon').toEqual(['2026-11-23T12:00:00.000Z', '2026-11-30T12:00:00.000Z']);
  });

  it('fires and warns exactly as node-cron in UTC, also after sleeping through fire times', async () => {
    for (const [expression, startIso, sleepMs] of [
      ['*/5 * * * *', '2026-11-21T23:47:30.500Z', 0],
      ['*/5 * * * *', '2026-11-21T12:00:30Z', 16 * 60_000],
      ['0 0 * * *', '2026-11-21T23:00:00Z', 0],
    ] as const) {
      const mine = await timeline((tick) => fixedJob(expression, tick), startIso, 3_600_000, sleepMs);
      const reference = await timeline((tick) => nodeCronScheduler.schedule(expression, tick, { timeZone: 'UTC' }), startIso, 3_600_000, sleepMs);
      expect(mine, `${expression} from ${startIso}, asleep ${sleepMs} ms`).toEqual(reference);
      expect(mine.fired.length).toBeGreaterThan(0);
    }
  });

  it('warns of each time slept through and runs the one that is due', async () => {
    // Armed for 12:05 (4.5 minutes); the phone sleeps 16 minutes, so the timer comes due at 12:21:00
    // wall time, too late for 12:05 to 12:20; 12:25 runs. The run ends at 12:26:30.
    const { fired, warnings } = await timeline((tick) => fixedJob('*/5 * * * *', tick), '2026-11-21T12:00:30Z', 10 * 60_000, 16 * 60_000);
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/\[NODE-CRON\].*missed execution at .*12:05:00/);
    expect(fired).toEqual(['2026-11-21T12:25:00.000Z']);
  });

  it('keeps its schedule when a tick throws', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    let calls = 0;
    const { fired } = await timeline(
      (tick) =>
        fixedJob('*/5 * * * *', () => {
          tick();
          if (++calls === 1) throw new Error('boom');
        }),
      '2026-11-21T12:00:00Z',
      10 * 60_000,
    );
    expect(fired).toEqual(['2026-11-21T12:05:00.000Z', '2026-11-21T12:10:00.000Z']);
    expect(console.error).toHaveBeenCalledTimes(1);
  });
});
