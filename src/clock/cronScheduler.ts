/**
 * The scheduling seam of the clock service: re-measurement runs on a cron expression (issue 4: "re-
 * measure on a node-cron schedule"). Tests pass a fake that fires ticks by hand.
 */
import cron from 'node-cron';
import { UsageError } from '../util/errors.js';

export interface ScheduledJob {
  stop(): void;
}

export interface CronScheduler {
  /** Calls `tick` on every match of `expression`; throws UsageError for an invalid expression. */
  schedule(expression: string, tick: () => void): ScheduledJob;
}

export function checkCronExpression(expression: string): string {
  if (!cron.validate(expression)) {
    throw new UsageError(`clock cron "${expression}" is not a valid cron expression (e.g. "*/5 * * * *")`);
  }
  return expression;
}

export const nodeCronScheduler: CronScheduler = {
  schedule(expression, tick) {
    // noOverlap: a slow measurement (unreachable servers) must not pile up behind itself.
    const task = cron.schedule(checkCronExpression(expression), () => tick(), { name: 'clock-remeasure', noOverlap: true });
    return {
      stop: () => {
        void task.destroy();
      },
    };
  },
};
