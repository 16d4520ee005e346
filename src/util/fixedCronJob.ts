/**
 * A running schedule for fields that need no time zone (fixedCronFields.ts): one timer armed for
 * the next fire time. It keeps node-cron's runner's rules, so jobs fire exactly as before: a fire
 * time is found from the current second; a wake-up more than a second late skips that time with
 * node-cron's "missed execution" warning; a wait is capped at a day and re-armed. node-cron's
 * overlap guard is not needed: every tick returns nothing, so it never engaged.
 */
import { nextFireMs, type FixedCronFields } from './fixedCronFields.js';

/** node-cron's DEFAULT_MISSED_EXECUTION_TOLERANCE. */
const MISSED_TOLERANCE_MS = 1000;
/** node-cron's longest single wait (setTimeout's limit is about 24.8 days). */
const MAX_WAIT_MS = 86_400_000;

/** node-cron's console line, word for word, so stderr reads as it did. */
function nodeCronLine(level: 'WARN' | 'ERROR', message: string): string {
  const colour = level === 'WARN' ? '\x1b[33m' : '\x1b[31m';
  return `[${new Date().toISOString()}] [PID: ${process.pid}] \x1b[32m[NODE-CRON]\x1b[32m ${colour}[${level}]\x1b[0m ${message}`;
}

export class FixedCronJob {
  readonly #fields: FixedCronFields;
  readonly #tick: () => void;
  #expectedMs: number;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(fields: FixedCronFields, tick: () => void) {
    this.#fields = fields;
    this.#tick = tick;
    this.#expectedMs = nextFireMs(fields, Date.now());
    this.#arm();
  }

  /** The next fire time, epoch ms. */
  get nextFireMs(): number {
    return this.#expectedMs;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    if (this.#stopped) return;
    const waitMs = Math.min(MAX_WAIT_MS, Math.max(0, this.#expectedMs - Date.now()));
    this.#timer = setTimeout(() => this.#beat(), waitMs);
  }

  /** node-cron's planBeat: run the due time if on time, warn of each one slept through. */
  #beat(): void {
    const nowMs = Math.floor(Date.now() / 1000) * 1000;
    let slotMs = this.#expectedMs;
    let due = false;
    while (nowMs >= slotMs) {
      const nextMs = nextFireMs(this.#fields, slotMs);
      const lateByMs = nowMs - slotMs;
      if (lateByMs <= MISSED_TOLERANCE_MS && lateByMs < nextMs - slotMs) {
        due = true;
        slotMs = nextMs;
        break;
      }
      console.warn(nodeCronLine('WARN', `missed execution at ${new Date(slotMs)}! Possible blocking IO or high CPU user at the same process used by node-cron.`));
      slotMs = nextMs;
    }
    this.#expectedMs = slotMs;
    if (due) {
      try {
        this.#tick();
      } catch (e) {
        // node-cron logs a failed run and keeps the schedule.
        if (e instanceof Error) console.error(nodeCronLine('ERROR', e.message), e);
        else console.error(nodeCronLine('ERROR', String(e)), '');
      }
    }
    this.#arm();
  }
}
