/**
 * JSON POST with a per-attempt timeout and retries with exponential backoff and jitter, for the
 * webhook and Telegram channels (issue 8 item 1). A non-2xx answer is a failure; 5xx, 429, timeouts
 * and network errors are retried, other 4xx are not (the same request cannot start working).
 * Errors describe the target with `safeTarget`, never the URL itself: a Telegram URL carries the
 * bot token and many webhook URLs (Discord, Slack) carry one too.
 */
import { backoffDelayMs, type BackoffOptions } from '../util/backoffDelayMs.js';

export interface PostJsonOptions {
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly retries: number;
  readonly backoff: BackoffOptions;
  /** How to name the target in errors, e.g. "POST https://api.telegram.org/bot[REDACTED]/sendMessage". */
  readonly safeTarget: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export type PostJsonResult =
  | { readonly ok: true; readonly status: number; readonly attempts: number; readonly body: string }
  | { readonly ok: false; readonly error: string; readonly attempts: number };

const MAX_BODY_CHARS = 500;

export async function postJson(url: string, payload: unknown, options: PostJsonOptions): Promise<PostJsonResult> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const body = JSON.stringify(payload);
  let lastError = '';
  for (let attempt = 1; ; attempt++) {
    let retryAfterMs: number | null = null;
    let retryable = true;
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await response.text();
      if (response.ok) return { ok: true, status: response.status, attempts: attempt, body: text };
      lastError = `${options.safeTarget}: HTTP ${response.status}${text ? ` ${text.slice(0, MAX_BODY_CHARS)}` : ''}`;
      retryable = response.status >= 500 || response.status === 429 || response.status === 408;
      retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), text);
    } catch (e) {
      lastError = `${options.safeTarget}: ${describeFetchError(e, options.timeoutMs)}`;
    }
    if (!retryable || attempt > options.retries) return { ok: false, error: lastError, attempts: attempt };
    const delayMs = backoffDelayMs(attempt, options.backoff, options.random);
    await sleep(Math.min(options.backoff.maxMs, Math.max(delayMs, retryAfterMs ?? 0)));
  }
}

/** Retry-After in seconds (HTTP), or Telegram's `parameters.retry_after` in a 429 body. */
function parseRetryAfterMs(header: string | null, body: string): number | null {
  if (header && /^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && 'parameters' in parsed) {
      const params = (parsed as { parameters: unknown }).parameters;
      if (typeof params === 'object' && params !== null && 'retry_after' in params) {
        const seconds = (params as { retry_after: unknown }).retry_after;
        if (typeof seconds === 'number' && seconds >= 0) return seconds * 1000;
      }
    }
  } catch {
    // Not JSON: no hint.
  }
  return null;
}

/** Names what failed without echoing e.message: undici puts the whole URL in some (a bad URL). */
function describeFetchError(e: unknown, timeoutMs: number): string {
  if (!(e instanceof Error)) return 'request failed';
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = (e as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : '';
  return code ? `network error ${code}` : `request failed (${e.name})`;
}

/** Scheme, host and port only: safe to print even when the path or query carries a token. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

export function attemptsText(attempts: number): string {
  return attempts === 1 ? 'after 1 attempt' : `after ${attempts} attempts`;
}
