/**
 * Retries a step until it answers (issue 15 item 1): a transient failure (network, timeout, 5xx,
 * a rate limit, a server error) never ends the process; the caller waits with exponential backoff
 * and full jitter (./backoffDelayMs.ts), says what it waits for, and goes on once the step answers.
 * What counts as transient, and how an error is shown, is the caller's to say: this file knows no
 * exchange.
 */
import { backoffDelayMs, type BackoffPolicy } from './backoffDelayMs.js';

/** First wait about a second, then doubling, never more than a minute between tries. */
export const WAIT_POLICY: BackoffPolicy = { baseMs: 1000, maxMs: 60_000, minMs: 500 };

export interface Wait {
  /** What is being waited for, in words ("fill catch-up"). */
  readonly step: string;
  /** The failure that made us wait, as shown to a person. */
  readonly error: string;
  /** Tries so far (1 after the first failure). */
  readonly attempt: number;
  readonly delayMs: number;
  /** Set when the failure named its own retry time (epoch ms) and the wait runs to it. */
  readonly untilMs?: number;
}

export interface RetryOptions {
  /** True when trying again can help; anything else is thrown at once. */
  readonly retryable: (err: unknown) => boolean;
  /** The failure, for a person. */
  readonly describe: (err: unknown) => string;
  /** When the failure itself names the earliest retry (epoch ms), e.g. Bybit's 403 pause; null if not. */
  readonly retryAtMs?: (err: unknown) => number | null;
  /** Called before each wait (log line, status notification). */
  readonly onWait?: (wait: Wait) => void;
  /** Called once when the step answers after at least one wait. */
  readonly onRecovered?: (step: string, attempts: number) => void;
  /** Stop trying (shutdown): the last failure is thrown. */
  readonly signal?: AbortSignal;
  /** Give up after waiting this long in total (ms); default never. */
  readonly maxTotalWaitMs?: number;
  readonly policy?: BackoffPolicy;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Waits `ms`, or less when `signal` aborts; leaves no listener behind either way. `unref`: the wait
 * alone does not keep the process alive (a background retry that must not hold up an exit).
 */
export function abortableSleep(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (unref) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function retryWithBackoff<T>(step: string, run: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const policy = opts.policy ?? WAIT_POLICY;
  const sleep = opts.sleep ?? abortableSleep;
  let waitedMs = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await run();
      if (attempt > 1) opts.onRecovered?.(step, attempt);
      return value;
    } catch (err) {
      if (!opts.retryable(err) || opts.signal?.aborted) throw err;
      const backoffMs = Math.round(backoffDelayMs(attempt - 1, policy, opts.random));
      const untilMs = opts.retryAtMs?.(err) ?? null;
      const named = untilMs !== null && untilMs - Date.now() > backoffMs;
      const delayMs = named ? untilMs - Date.now() : backoffMs;
      // A wait the failure named (a pause with a known end) is waited out whatever the cap.
      if (!named && opts.maxTotalWaitMs !== undefined && waitedMs + delayMs > opts.maxTotalWaitMs) throw err;
      opts.onWait?.({ step, error: opts.describe(err), attempt, delayMs, ...(named ? { untilMs } : {}) });
      await sleep(delayMs, opts.signal);
      waitedMs += delayMs;
      if (opts.signal?.aborted) throw err;
    }
  }
}
