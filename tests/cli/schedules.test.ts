import { describe, expect, it } from 'vitest';
import { startSchedules, type ScheduledTasks } from '../../src/cli/schedules.js';
import { parseConfigText } from '../../src/config/load.js';
import type { CronScheduler, ScheduleOptions } from '../../src/util/cronScheduler.js';
import { createLogger } from '../../src/util/logger.js';
import { Writable } from 'node:stream';

/** A scheduler whose clock the test turns: it records each job and fires it on demand. */
function fakeScheduler() {
  const jobs: { expression: string; options: ScheduleOptions; tick: () => void; stopped: boolean }[] = [];
  const scheduler: CronScheduler = {
    schedule(expression, tick, options = {}) {
      const job = { expression, options, tick, stopped: false };
      jobs.push(job);
      return { stop: () => (job.stopped = true) };
    },
  };
  return { scheduler, jobs, fire: (name: string) => jobs.find((j) => j.options.name === name)!.tick() };
}

const config = parseConfigText(
  JSON.stringify({ schedules: { timeZone: 'Europe/Berlin', dailySummary: '30 21 * * *' }, risk: { dayTimeZone: 'America/New_York' }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }),
  '/x/config.json',
).config;

describe('schedules', () => {
  it('schedules each task at its configured time in its configured zone', () => {
    const f = fakeScheduler();
    const noop = async () => {};
    startSchedules(config, { dailySummary: noop, dayBoundary: noop, instrumentRefresh: noop, backup: noop, statusRefresh: noop }, createLogger({ stream: new Writable({ write: (_c, _e, d) => d() }) }), f.scheduler);
    expect(f.jobs.map((j) => [j.options.name, j.expression, j.options.timeZone])).toEqual([
      ['dailySummary', '30 21 * * *', 'Europe/Berlin'],
      ['dayBoundary', '0 0 * * *', 'America/New_York'],
      ['instrumentRefresh', '0 */6 * * *', 'Europe/Berlin'],
      ['backup', '17 * * * *', 'Europe/Berlin'],
      ['statusRefresh', '*/5 * * * *', 'Europe/Berlin'],
    ]);
  });

  it('runs a task when its time comes, and a failing task neither throws nor stops the others', async () => {
    const f = fakeScheduler();
    const ran: string[] = [];
    let logged = '';
    const logger = createLogger({ stream: new Writable({ write: (c: Buffer, _e, d) => ((logged += c.toString()), d()) }), env: {} });
    const tasks: ScheduledTasks = {
      dailySummary: () => void ran.push('summary'),
      dayBoundary: () => void ran.push('day'),
      instrumentRefresh: async () => {
        throw new Error('exchange unreachable');
      },
      backup: () => void ran.push('backup'),
      statusRefresh: () => void ran.push('status'),
    };
    startSchedules(config, tasks, logger, f.scheduler);
    f.fire('instrumentRefresh');
    f.fire('dailySummary');
    f.fire('backup');
    await new Promise((r) => setTimeout(r, 10));
    expect(ran).toEqual(['summary', 'backup']);
    expect(logged).toMatch(/scheduled instrumentRefresh failed; it runs again at its next time .*exchange unreachable/);
  });

  it('builds real node-cron jobs in a time zone and rejects an invalid expression', async () => {
    const { nodeCronScheduler } = await import('../../src/util/cronScheduler.js');
    const job = nodeCronScheduler.schedule('*/5 * * * *', () => {}, { name: 'probe', timeZone: 'Asia/Tokyo' });
    job.stop();
    expect(() => nodeCronScheduler.schedule('61 * * * *', () => {})).toThrow(/not a valid cron expression/);
  });
});
