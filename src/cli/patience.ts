/**
 * How the running bot waits for Bybit (issue 15 item 1). Every start-up step and the runtime reads
 * go through `run(step, fn)`: a transient failure (network, timeout, 5xx, 10006, 10016, an untrusted
 * clock) is retried with exponential backoff and jitter, capped at a minute, for as long as it takes
 * during start-up; each wait is one WARN line naming the step, the error as Bybit sent it and the
 * next try, and the ongoing notification says "waiting for Bybit: <step>". Only errors that waiting
 * cannot fix (a refused key, an unknown symbol, a bad config) pass through at once.
 */
import { ExchangeError } from '../domain/exchangeErrors.js';
import type { Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import { retryWithBackoff, type Wait } from '../util/retryWithBackoff.js';
import { timeOfDay } from '../util/timeOfDay.js';
import { KeyCheckUnavailable } from './doctorKey.js';

/** A wait Bybit named longer than this (HTTP 403's pause, not a 10006 reset within the second) is told as "next try at HH:MM". */
const NAMED_WAIT_SHOWN_MS = 1000;

/** After start-up, a runtime read waits at most this long in total, then its caller's own handling takes over. */
export const RUNTIME_MAX_WAIT_MS = 120_000;

export interface WaitState {
  readonly step: string;
  readonly error: string;
  readonly nextTryAtMs: number;
}

export function isTransient(err: unknown): boolean {
  if (err instanceof ExchangeError) return err.kind === 'retryable';
  return err instanceof KeyCheckUnavailable;
}

export function describeFailure(err: unknown): string {
  if (err instanceof ExchangeError || err instanceof KeyCheckUnavailable) return redact(err.message);
  return redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
}

export class Patience {
  readonly #log: Logger;
  readonly #onChange: () => void;
  readonly #abort = new AbortController();
  /** Steps waiting now, by call; the notification shows the oldest. */
  readonly #waits = new Map<number, WaitState>();
  #nextId = 0;
  #running = false;

  constructor(logger: Logger, onChange: () => void = () => {}) {
    this.#log = logger;
    this.#onChange = onChange;
  }

  /** Start-up is over: from now on a read waits at most RUNTIME_MAX_WAIT_MS. */
  startupDone(): void {
    this.#running = true;
  }

  /** Shutdown: every wait ends now and its last failure is thrown. */
  stop(): void {
    this.#abort.abort();
  }

  /** The oldest step waiting for Bybit now, or null. */
  get waiting(): WaitState | null {
    return this.#waits.values().next().value ?? null;
  }

  run<T>(step: string, fn: () => Promise<T>, opts: { startupOnly?: boolean } = {}): Promise<T> {
    if (this.#running && opts.startupOnly) return fn();
    const id = this.#nextId++;
    const clear = (): void => {
      if (this.#waits.delete(id)) this.#onChange();
    };
    return retryWithBackoff(step, fn, {
      retryable: isTransient,
      describe: describeFailure,
      signal: this.#abort.signal,
      ...(this.#running ? { maxTotalWaitMs: RUNTIME_MAX_WAIT_MS } : {}),
      // Bybit's HTTP 403 pause ends at a known time (src/exchange/bybit/restPipeline.ts): wait for exactly that.
      retryAtMs: (err) => (err instanceof ExchangeError && err.kind === 'retryable' ? err.retryAtMs : null),
      onWait: (w: Wait) => {
        if (w.untilMs !== undefined && w.delayMs >= NAMED_WAIT_SHOWN_MS) this.#log.warn(`waiting for Bybit: ${w.step}: ${w.error}; next try at ${timeOfDay(w.untilMs)}`, { tries: w.attempt });
        else this.#log.warn(`waiting for Bybit: ${w.step}; next try in ${Math.max(1, Math.round(w.delayMs / 1000))} s`, { error: w.error, tries: w.attempt });
        const first = !this.#waits.has(id);
        this.#waits.set(id, { step: w.step, error: w.error, nextTryAtMs: Date.now() + w.delayMs });
        if (first) this.#onChange();
      },
      onRecovered: (s, tries) => this.#log.info(`Bybit answers again: ${s}`, { tries }),
    }).finally(clear);
  }
}
