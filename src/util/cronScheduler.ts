/**
 * The scheduling seam: clock re-measurement, instrument refresh, the daily summary, backups and the
 * status notification run on cron expressions, optionally in a time zone. Tests pass a fake that
 * fires ticks by hand.
 */
import cron from 'node-cron';
import { UsageError } from '../util/errors.js';
import { FixedCronJob } from './fixedCronJob.js';
import { fixedCronFields } from './fixedCronFields.js';

export interface ScheduledJob {
  stop(): void;
}

export interface ScheduleOptions {
  /** For logs and node-cron's registry. */
  readonly name?: string;
  /** IANA zone the expression is read in; default the machine's. */
  readonly timeZone?: string;
}

export interface CronScheduler {
  /** Calls `tick` on every match of `expression`; throws UsageError for an invalid expression. */
  schedule(expression: string, tick: () => void, options?: ScheduleOptions): ScheduledJob;
}

export function checkCronExpression(expression: string): string {
  if (!cron.validate(expression)) {
    throw new UsageError(`"${expression}" is not a valid cron expression (e.g. "*/5 * * * *")`);
  }
  return expression;
}

export const nodeCronScheduler: CronScheduler = {
  schedule(expression, tick, options = {}) {
    // noOverlap: a slow run (unreachable servers) must not pile up behind itself.
    const task = cron.schedule(checkCronExpression(expression), () => tick(), {
      name: options.name ?? 'pocket-scalper',
      noOverlap: true,
      ...(options.timeZone ? { timezone: options.timeZone } : {}),
    });
    return {
      stop: () => {
        void task.destroy();
      },
    };
  },
};

/**
 * The bot's scheduler: schedules that need no time zone (UTC, the default, and the clock's
 * every-five-minutes) run on a plain timer, because node-cron's `Intl` use costs the running bot
 * about 6 MB (BENCHMARKS.md, Memory); schedules in a named zone, with daylight saving, stay on
 * node-cron. Either way a job fires at the same times, with one exception: on a machine in a zone
 * with daylight saving, node-cron skipped the clock's re-measurements through the hour repeated when
 * it ends (65 minutes without one, past the clock's 15-minute age limit); the timer does not.
 */
export const cronScheduler: CronScheduler = {
  schedule(expression, tick, options = {}) {
    const fields = fixedCronFields(checkCronExpression(expression), options.timeZone);
    return fields === null ? nodeCronScheduler.schedule(expression, tick, options) : new FixedCronJob(fields, tick);
  },
};
