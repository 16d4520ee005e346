/**
 * Quiet hours in the owner's time zone (issue 8 item 1): between `start` and `end` local time only
 * `critical` alerts pass. The window may wrap midnight (23:00–07:00). Zone maths uses
 * `Intl.DateTimeFormat` so daylight-saving changes follow the IANA database, not a fixed offset.
 */
import { AlertConfigError } from './AlertConfigError.js';

export interface QuietHoursOptions {
  /** Local start time "HH:MM" (24 h). */
  readonly start: string;
  /** Local end time "HH:MM"; the window is [start, end). Equal start and end means never quiet. */
  readonly end: string;
  /** IANA zone, e.g. "Europe/Berlin". */
  readonly timeZone: string;
}

const MINUTES_PER_DAY = 24 * 60;

export class QuietHours {
  readonly #startMin: number;
  readonly #endMin: number;
  readonly #format: Intl.DateTimeFormat;

  constructor(readonly options: QuietHoursOptions) {
    this.#startMin = parseClockTime(options.start, 'quietHours.start');
    this.#endMin = parseClockTime(options.end, 'quietHours.end');
    try {
      // hourCycle h23: midnight is 00, never 24 (some ICU versions print 24 with hour12: false).
      this.#format = new Intl.DateTimeFormat('en-GB', { timeZone: options.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      throw new AlertConfigError(`quietHours.timeZone: "${options.timeZone}" is not an IANA time zone (e.g. "Europe/Berlin")`);
    }
  }

  /** Minutes since local midnight in the configured zone. */
  localMinutes(atMs: number): number {
    let hour = 0;
    let minute = 0;
    for (const part of this.#format.formatToParts(new Date(atMs))) {
      if (part.type === 'hour') hour = Number(part.value) % 24;
      else if (part.type === 'minute') minute = Number(part.value);
    }
    return hour * 60 + minute;
  }

  isQuiet(atMs: number): boolean {
    if (this.#startMin === this.#endMin) return false;
    const m = this.localMinutes(atMs);
    return this.#startMin < this.#endMin ? m >= this.#startMin && m < this.#endMin : m >= this.#startMin || m < this.#endMin;
  }
}

function parseClockTime(text: string, what: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  const hour = match ? Number(match[1]) : NaN;
  const minute = match ? Number(match[2]) : NaN;
  if (!(hour >= 0 && hour < 24 && minute >= 0 && minute < 60)) {
    throw new AlertConfigError(`${what}: "${text}" is not a time of day as HH:MM (00:00–23:59)`);
  }
  return (hour * 60 + minute) % MINUTES_PER_DAY;
}
