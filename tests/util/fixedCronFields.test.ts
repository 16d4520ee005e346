import cron from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixedCronFields, nextFireMs, type FixedCronFields } from '../../src/util/fixedCronFields.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

function fields(expression: string, timeZone?: string): FixedCronFields {
  const f = fixedCronFields(expression, timeZone);
  if (f === null) throw new Error(`${expression} in ${timeZone} should need no zone`);
  return f;
}

function fireTimes(f: FixedCronFields, fromMs: number, count: number): string[] {
  const out: string[] = [];
  let t = fromMs;
  for (let i = 0; i < count; i++) out.push(iso((t = nextFireMs(f, t))));
  return out;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('fixedCronFields', () => {
  it('takes every expression in UTC, the default zone of the schedules', () => {
    for (const e of ['0 21 * * *', '0 */6 * * *', '17 * * * *', '*/5 * * * *', '0 0 * * *', '30 9 * * 1-5', '@daily', '0 0 1 jan *']) {
      expect(fixedCronFields(e, 'UTC'), e).not.toBeNull();
      expect(fixedCronFields(e, 'Etc/UTC'), e).not.toBeNull();
    }
  });

  it('leaves a named zone with daylight saving, and calendar tokens, to node-cron', () => {
    expect(fixedCronFields('0 21 * * *', 'Europe/Berlin')).toBeNull();
    expect(fixedCronFields('*/5 * * * *', 'America/New_York')).toBeNull();
    expect(fixedCronFields('0 0 L * *', 'UTC'), 'last day of the month').toBeNull();
    expect(fixedCronFields('0 0 * * 5#2', 'UTC'), 'second Friday').toBeNull();
  });

  it('without a zone (the machine clock) takes only expressions that match the same instants in every zone', () => {
    for (const e of ['*/5 * * * *', '*/15 * * * *', '0,15,30,45 * * * *', '* * * * *', '*/10 * * * * *']) expect(fixedCronFields(e), e).not.toBeNull();
    // A fixed hour, or minutes that India (+5:30) or Nepal (+5:45) would read differently.
    for (const e of ['0 3 * * *', '*/7 * * * *', '0 * * * *', '*/5 * * * 1', '*/5 * 1 * *']) expect(fixedCronFields(e), e).toBeNull();
  });
});

describe('nextFireMs', () => {
  it('finds the next time after the current second, across a day, a month and a year', () => {
    expect(fireTimes(fields('0 21 * * *', 'UTC'), at('2026-11-21T21:00:00.400Z'), 2), 'the current second is not "next"').toEqual(['2026-11-22T21:00:00.000Z', '2026-11-23T21:00:00.000Z']);
    expect(fireTimes(fields('0 0 * * *', 'UTC'), at('2026-12-31T23:59:59.999Z'), 2)).toEqual(['2027-01-01T00:00:00.000Z', '2027-01-02T00:00:00.000Z']);
    expect(fireTimes(fields('0 */6 * * *', 'UTC'), at('2026-11-30T17:59:59Z'), 3)).toEqual(['2026-11-30T18:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-12-01T06:00:00.000Z']);
    expect(fireTimes(fields('*/5 * * * *'), at('2026-11-21T23:57:12Z'), 2)).toEqual(['2026-11-22T00:00:00.000Z', '2026-11-22T00:05:00.000Z']);
    expect(fireTimes(fields('0 12 29 2 *', 'UTC'), at('2026-03-01T00:00:00Z'), 1), 'the next leap day').toEqual(['2028-02-29T12:00:00.000Z']);
    expect(fireTimes(fields('0 0 * * 7', 'UTC'), at('2026-11-21T10:00:00Z'), 1), '7 is Sunday').toEqual(['2026-11-22T00:00:00.000Z']);
  });

  it('gives the same fire times as node-cron in UTC', () => {
    const expressions = ['0 21 * * *', '0 */6 * * *', '17 * * * *', '*/5 * * * *', '0 0 * * *', '30 9 * * 1-5', '0 0 13 * 5', '15,45 8-10 * 2,3 *', '*/20 * * * * *', '0 0 1 * *', '5 4 * * sun', '0 22-2 * * *'];
    const starts = ['2026-11-21T20:59:59.500Z', '2026-12-31T23:58:00Z', '2028-02-28T23:00:00Z', '2026-03-29T00:59:00Z', '2026-10-25T01:30:00.999Z'];
    for (const expression of expressions) {
      for (const start of starts) {
        vi.useFakeTimers({ now: at(start) });
        const reference = cron.createTask(expression, () => {}, { timezone: 'UTC' }).getNextRuns(6).map((d) => d.toISOString());
        vi.useRealTimers();
        expect(fireTimes(fields(expression, 'UTC'), at(start), 6), `${expression} from ${start}`).toEqual(reference);
      }
    }
  });
});
