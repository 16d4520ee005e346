/**
 * The running bot's schedules (issue 8 item 3), in the configured time zones (util/cronScheduler.ts): the
 * daily summary notification, the daily-loss day boundary, instrument refresh, state backups and
 * the status notification refresh. (Clock re-measurement is the ClockService's own schedule.)
 * A task that fails is logged and tried again at its next time; it never stops the others.
 */
import type { Config } from '../config/schema.js';
import { cronScheduler, type CronScheduler, type ScheduledJob } from '../util/cronScheduler.js';
import type { Logger } from '../util/logger.js';

export interface ScheduledTasks {
  dailySummary(): Promise<void> | void;
  /** Midnight in the risk time zone: start the new day's loss window, lift an expired daily-loss lock. */
  dayBoundary(): Promise<void> | void;
  instrumentRefresh(): Promise<void> | void;
  backup(): Promise<void> | void;
  statusRefresh(): Promise<void> | void;
}

export function startSchedules(config: Config, tasks: ScheduledTasks, logger: Logger, scheduler: CronScheduler = cronScheduler): ScheduledJob[] {
  const s = config.schedules;
  const plan: [keyof ScheduledTasks, string, string][] = [
    ['dailySummary', s.dailySummary, s.timeZone],
    ['dayBoundary', '0 0 * * *', config.risk.dayTimeZone],
    ['instrumentRefresh', s.instrumentRefresh, s.timeZone],
    ['backup', s.backup, s.timeZone],
    ['statusRefresh', s.statusRefresh, s.timeZone],
  ];
  return plan.map(([name, expression, timeZone]) =>
    scheduler.schedule(
      expression,
      () => {
        Promise.resolve()
          .then(() => tasks[name]())
          .catch((e: unknown) => logger.error(`scheduled ${name} failed; it runs again at its next time`, { error: e instanceof Error ? e.message : String(e) }));
      },
      { name, timeZone },
    ),
  );
}
