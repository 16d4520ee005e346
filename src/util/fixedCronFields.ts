/**
 * Cron schedules that need no time zone: those read in UTC, and those that match the same instants
 * in every zone. node-cron finds every fire time through `Intl.DateTimeFormat`, even in UTC, and the
 * first `Intl` call loads ICU's data: 6 MB of the running bot's RSS (BENCHMARKS.md, Memory).
 * Here the next fire time is plain UTC arithmetic. node-cron's own parser expands the fields, so the
 * expressions accepted and what they mean stay node-cron's.
 */
import cron from 'node-cron';

/** An expression's matching values; a time matches when every field does (node-cron ANDs day of month and weekday). */
export interface FixedCronFields {
  /** Ascending. */
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  /** 1 = January. */
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday. */
  readonly weekdays: ReadonlySet<number>;
}

const UTC_ZONES: ReadonlySet<string> = new Set(['UTC', 'Etc/UTC']);
/** Every zone's offset from UTC is a whole number of quarter hours (India +5:30, Nepal +5:45). */
const QUARTER_HOUR_MIN = 15;
const DAY_MS = 86_400_000;
/** node-cron gives up after the same span (its MatcherWalker). */
const MAX_DAYS = 366 * 100;

function numbers(values: readonly (number | string)[]): number[] | null {
  // Strings are node-cron's calendar tokens (L, W, #): left to node-cron.
  return values.every((v) => typeof v === 'number') ? [...(values as number[])].sort((a, b) => a - b) : null;
}

/**
 * The fields of a valid `expression` when its fire times need no zone: `timeZone` is UTC, or no
 * zone is given (the machine's) and the expression matches every hour, day, month and weekday with
 * minutes that repeat each quarter hour, such as the clock's `*\/5 * * * *`. Otherwise null: node-cron
 * is needed.
 */
export function fixedCronFields(expression: string, timeZone?: string): FixedCronFields | null {
  const zoneFree = timeZone === undefined || timeZone === '';
  if (!zoneFree && !UTC_ZONES.has(timeZone)) return null;
  const parsed = cron.parse(expression);
  const seconds = numbers(parsed.second);
  const minutes = numbers(parsed.minute);
  const hours = numbers(parsed.hour);
  const days = numbers(parsed.dayOfMonth);
  const months = numbers(parsed.month);
  const weekdays = numbers(parsed.dayOfWeek);
  if (!seconds || !minutes || !hours || !days || !months || !weekdays) return null;
  const fields: FixedCronFields = { seconds, minutes, hours, daysOfMonth: new Set(days), months: new Set(months), weekdays: new Set(weekdays) };
  if (zoneFree) {
    const everyDay = fields.hours.length === 24 && fields.daysOfMonth.size === 31 && fields.months.size === 12 && fields.weekdays.size === 7;
    const minuteSet = new Set(minutes);
    const sameInEveryZone = minutes.every((m) => minuteSet.has((m + QUARTER_HOUR_MIN) % 60));
    if (!everyDay || !sameInEveryZone) return null;
  }
  return fields;
}

/** The first second of the day, at or after `fromSecond`, that matches; null if none does. */
function firstSecondOfDay(f: FixedCronFields, fromSecond: number): number | null {
  for (const h of f.hours) {
    if ((h + 1) * 3600 <= fromSecond) continue;
    for (const m of f.minutes) {
      if (h * 3600 + (m + 1) * 60 <= fromSecond) continue;
      for (const s of f.seconds) {
        const at = h * 3600 + m * 60 + s;
        if (at >= fromSecond) return at;
      }
    }
  }
  return null;
}

/** The next fire time after `afterMs` (its second, like node-cron, ignoring milliseconds), epoch ms, in UTC. */
export function nextFireMs(f: FixedCronFields, afterMs: number): number {
  const fromMs = Math.floor(afterMs / 1000) * 1000 + 1000;
  let dayStartMs = fromMs - (((fromMs % DAY_MS) + DAY_MS) % DAY_MS);
  let fromSecond = (fromMs - dayStartMs) / 1000;
  for (let i = 0; i < MAX_DAYS; i++) {
    const day = new Date(dayStartMs);
    if (f.months.has(day.getUTCMonth() + 1) && f.daysOfMonth.has(day.getUTCDate()) && f.weekdays.has(day.getUTCDay())) {
      const second = firstSecondOfDay(f, fromSecond);
      if (second !== null) return dayStartMs + second * 1000;
    }
    dayStartMs += DAY_MS;
    fromSecond = 0;
  }
  throw new Error('Could not find next matching date within reasonable time range');
}
