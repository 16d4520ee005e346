/**
 * The request pipeline of Bybit V5 REST (issue 4, item 2), over ccxt's Bybit class. ccxt does the
 * transport, the signing and the first classification of errors; we call its implicit V5 endpoints
 * (`privatePostV5OrderCreate` …) with Bybit's own parameter names, and no unified method makes a call
 * we did not ask for (reference/bybit-v5.md section 5: account detection, currencies, markets).
 *
 * - Signing time: ccxt's `nonce()` is replaced by the corrected clock, and `sign()` refuses (throws
 *   ClockNotTrustedError) while the drift gate is shut. On `10002` we re-measure and retry once.
 * - Errors: mapped once by ./mapBybitError.ts; only retryable ones are retried, with exponential
 *   backoff and full jitter, never earlier than Bybit's X-Bapi-Limit-Reset-Timestamp after a 10006.
 * - Answers: parsed against ./bybitWire.ts; a malformed one becomes a `rejected` ExchangeError.
 * - HTTP 403 "access too frequent" (issue 20 item 6): Bybit's per-IP ban. Bybit's rule (V5 "Rate
 *   Limit Rules", "HTTP IP limit"): "you should terminate all HTTP sessions and wait for at least 10
 *   minutes. The ban will be lifted automatically." So the first 403 pauses every REST call of the
 *   adapter for `ipBanPauseMs` (10 min), said once (a WARN line and `onRestPause`). While paused no
 *   request leaves: a read fails at once with a RestPausedError (retryable, `retryAtMs` = the end of
 *   the pause, so src/cli/patience.ts waits for exactly that); a new entry (an order create that is
 *   not reduce-only) is refused, not sent late at another price; every other write (exits, stops,
 *   cancels, amends, leverage) waits here for the pause to end and then goes out.
 */
import type { bybit } from 'ccxt';
import * as v from 'valibot';
import { ClockNotTrustedError, ExchangeError } from '../../domain/exchangeErrors.js';
import { backoffDelayMs, type BackoffPolicy } from '../../util/backoffDelayMs.js';
import type { Logger } from '../../util/logger.js';
import { registerSecret } from '../../util/redact.js';
import { timeOfDay } from '../../util/timeOfDay.js';
import type { BybitCredentials } from './bybitCredentials.js';
import type { BybitUrls } from './bybitUrls.js';
import { parseWire, WireError } from './bybitWire.js';
import { createCcxtBybit } from './createCcxtBybit.js';
import { IP_BAN_WAIT_MS, isIpBan, mapBybitError, RETCODE, sanitise, type ResponseMeta } from './mapBybitError.js';
import { paceGroupOf, RequestPacer } from './requestPacer.js';
import { SignedPost, type CcxtRequestSide } from './signedPost.js';
import type { SigningClock } from './signingClock.js';

export interface RetryPolicy extends BackoffPolicy {
  /** Total attempts per call, the first included. */
  readonly attempts: number;
  /** Longest single wait, whatever a reset header says. */
  readonly maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 250, maxMs: 8000, minMs: 50, maxWaitMs: 30_000 };

export interface RestCounters {
  requests: number;
  retries: number;
  clockRemeasures: number;
  rateLimited: number;
  /** placeOrder calls answered from a look-up instead of a second order. */
  duplicatesResolved: number;
}

/** Every call is on Bybit's USDT perpetuals. */
export const CATEGORY = 'linear';
/** Pages read at most by one paginated call. */
export const MAX_PAGES = 20;

export type Params = Record<string, string | number | boolean>;
type Endpoint = (params?: Params) => Promise<unknown>;

/** How much of an answer that is not Bybit's JSON a message quotes (an HTML error page is kilobytes). */
const SAMPLE_CHARS = 120;

/** The REST pause after Bybit's HTTP 403, as told once to `onRestPause`. */
export interface RestPause {
  /** When requests may go out again (corrected clock, epoch ms). */
  readonly untilMs: number;
  /** "Bybit asked us to stop for 10 minutes (HTTP 403 access too frequent)". */
  readonly reason: string;
}

/** A REST call not sent because Bybit's 403 pause is on: retryable at `retryAtMs`, the pause's end. */
export class RestPausedError extends ExchangeError {
  override name = 'RestPausedError';
  constructor(reason: string, untilMs: number) {
    super(reason, 'retryable', 403, null, untilMs);
  }
}

function spellDuration(ms: number): string {
  if (ms >= 60_000) {
    const m = Math.round(ms / 60_000);
    return `${m} minute${m === 1 ? '' : 's'}`;
  }
  const s = Math.max(1, Math.round(ms / 1000));
  return `${s} second${s === 1 ? '' : 's'}`;
}

/** A wire-format surprise (WireError, or dec()'s RangeError) becomes the port's ExchangeError. */
function isWireProblem(err: unknown): err is Error {
  return err instanceof WireError || err instanceof RangeError;
}

export interface RestPipelineOptions {
  readonly urls: BybitUrls;
  readonly credentials: BybitCredentials | null;
  readonly clock: SigningClock;
  readonly recvWindowMs?: number;
  readonly requestTimeoutMs?: number;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Counted here: requests, retries, clock re-measures, rate limits. */
  readonly counters: RestCounters;
  /** The pause after an HTTP 403; default 10 min (Bybit's rule). Shorter only in tests. */
  readonly ipBanPauseMs?: number;
  /** Told once per pause, when it starts (the notification). */
  readonly onRestPause?: (pause: RestPause) => void;
}

export class RestPipeline {
  readonly #ex: bybit;
  /** The order create without ccxt's request building (./signedPost.ts); null for an RSA key or no key. */
  readonly #orderCreate: SignedPost | null;
  /** ccxt's implicit method name per call ("privatePostV5OrderCreate"), worked out once. */
  readonly #names = new Map<string, string>();
  readonly #clock: SigningClock;
  readonly #secrets: readonly string[];
  readonly #retry: RetryPolicy;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #log: Logger;
  readonly #counters: RestCounters;
  readonly #pacer: RequestPacer;
  readonly #meta = new WeakMap<object, ResponseMeta>();
  readonly #banPauseMs: number;
  readonly #onPause: ((pause: RestPause) => void) | undefined;
  /** The 403 pause lasts until then (corrected clock); 0 = none yet. */
  #pausedUntil = 0;
  #closed = false;

  constructor(opts: RestPipelineOptions) {
    this.#clock = opts.clock;
    this.#retry = opts.retry;
    this.#random = opts.random;
    this.#sleep = opts.sleep;
    this.#log = opts.logger;
    this.#counters = opts.counters;
    this.#pacer = new RequestPacer(() => this.#clock.now(), this.#sleep);
    this.#banPauseMs = opts.ipBanPauseMs ?? IP_BAN_WAIT_MS;
    this.#onPause = opts.onRestPause;
    const creds = opts.credentials;
    if (creds !== null) {
      registerSecret(creds.apiKey);
      registerSecret(creds.apiSecret);
    }
    this.#secrets = creds === null ? [] : [creds.apiKey, creds.apiSecret];
    this.#ex = createCcxtBybit(opts, this.#meta);
    this.#orderCreate = SignedPost.handles(creds) ? new SignedPost(this.#ex as unknown as CcxtRequestSide, creds, this.#clock) : null;
  }

  close(): void {
    this.#closed = true;
  }

  /** `text` with the credentials blotted out, for a log line. */
  redact(text: string): string {
    return sanitise(text, this.#secrets);
  }

  /** Waits out the backoff before look-up number `attempt` (1 = the first repeat). */
  backOff(attempt: number): Promise<void> {
    return this.#sleep(backoffDelayMs(attempt, this.#retry, this.#random));
  }

  #name(method: 'GET' | 'POST', path: string, signed: boolean): string {
    const key = `${method} ${path} ${signed}`;
    let name = this.#names.get(key);
    if (name === undefined) {
      name = `${signed ? 'private' : 'public'}${method === 'GET' ? 'Get' : 'Post'}${path
        .split(/[/-]/)
        .filter((p) => p !== '')
        .map((p) => p[0]!.toUpperCase() + p.slice(1))
        .join('')}`;
      this.#names.set(key, name);
    }
    return name;
  }

  #endpoint(name: string): Endpoint {
    const fn = (this.#ex as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') throw new ExchangeError(`ccxt has no Bybit endpoint ${name}`, 'fatal');
    return (fn as Endpoint).bind(this.#ex);
  }

  get #pauseReason(): string {
    return `Bybit asked us to stop for ${spellDuration(this.#banPauseMs)} (HTTP 403 access too frequent)`;
  }

  /** Starts the pause on the first 403 (later ones of requests already in flight only join it). */
  #startPause(err: ExchangeError): RestPausedError {
    const now = this.#clock.now();
    if (now >= this.#pausedUntil) {
      this.#pausedUntil = now + this.#banPauseMs;
      const pause: RestPause = { untilMs: this.#pausedUntil, reason: this.#pauseReason };
      this.#log.warn(`${pause.reason}: no request to Bybit until ${timeOfDay(pause.untilMs)}; exits and stops wait for it, new entries are skipped; it resumes by itself`, { error: err.message });
      try {
        this.#onPause?.(pause);
      } catch (e) {
        this.#log.error('onRestPause threw', { error: e instanceof Error ? e.message : String(e) });
      }
    }
    return new RestPausedError(this.#pauseReason, this.#pausedUntil);
  }

  /** While the 403 pause is on: a read fails at once, a new entry is refused, any other write waits. */
  async #gate(method: 'GET' | 'POST', path: string, params: Params): Promise<void> {
    for (;;) {
      const left = this.#pausedUntil - this.#clock.now();
      if (left <= 0 || this.#closed) return;
      if (method === 'GET') throw new RestPausedError(this.#pauseReason, this.#pausedUntil);
      if (path === '/v5/order/create' && params['reduceOnly'] !== true) {
        throw new ExchangeError(`entry not sent: ${this.#pauseReason}; requests resume at ${timeOfDay(this.#pausedUntil)}`, 'rejected');
      }
      // In steps, so that close() (shutdown) is not held up by a 10-minute sleep.
      await this.#sleep(Math.min(left, 1000));
    }
  }

  /** One HTTP exchange: pacing, the call, the mapping. Returns Bybit's `result`. */
  async #once(method: 'GET' | 'POST', path: string, signed: boolean, params: Params): Promise<unknown> {
    if (this.#closed) throw new ExchangeError(`${method} ${path}: the adapter is closed`, 'fatal');
    const group = paceGroupOf(path);
    // Without a 403 pause and under the pace (nearly always) nothing waits: no promise on the way to the send.
    if (this.#pausedUntil !== 0) await this.#gate(method, path, params);
    if (!this.#pacer.tryTake(group)) {
      await this.#pacer.take(group);
      if (this.#pausedUntil !== 0) await this.#gate(method, path, params);
    }
    this.#counters.requests++;
    try {
      const envelope = signed && this.#orderCreate !== null && method === 'POST' && path === '/v5/order/create' ? await this.#orderCreate.post(path, params) : await this.#endpoint(this.#name(method, path, signed))(params);
      if (typeof envelope !== 'object' || envelope === null) {
        // ccxt hands back the raw text when it is not JSON (an HTML page from a proxy, a cut-off body):
        // the request may or may not have reached Bybit, so this is retryable (and a create is looked up).
        const text = typeof envelope === 'string' ? envelope.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() : '';
        const what = text === '' ? 'an empty answer' : `an answer that is not Bybit's JSON: "${sanitise(text, this.#secrets).slice(0, SAMPLE_CHARS)}"`;
        throw new ExchangeError(`${method} ${path}: ${what}`, 'retryable');
      }
      return (envelope as Record<string, unknown>)['result'];
    } catch (err) {
      const mapped = mapBybitError(err, {
        operation: `${method} ${path}`,
        secrets: this.#secrets,
        response: typeof err === 'object' && err !== null ? this.#meta.get(err) : undefined,
        nowMs: this.#clock.now(),
      });
      if (mapped.retCode === RETCODE.rateLimit) {
        this.#counters.rateLimited++;
        this.#pacer.hold(group, mapped.retryAtMs ?? this.#clock.now() + 1000);
      }
      if (isIpBan(mapped)) throw this.#startPause(mapped);
      throw mapped;
    }
  }

  #delayMs(err: ExchangeError, attempt: number): number {
    const backoff = backoffDelayMs(attempt, this.#retry, this.#random);
    const untilReset = err.retryAtMs !== null ? err.retryAtMs - this.#clock.now() + this.#random() * 100 : 0;
    return Math.min(this.#retry.maxWaitMs, Math.max(backoff, untilReset));
  }

  /**
   * Retries retryable failures; on 10002 re-measures the clock and retries once. `onFailure` may turn
   * a failure into a result (returns a value) or ask for a plain retry (returns undefined).
   */
  async call(
    method: 'GET' | 'POST',
    path: string,
    signed: boolean,
    params: Params,
    onFailure?: (err: ExchangeError) => Promise<{ value: unknown } | undefined>,
  ): Promise<unknown> {
    let clockRetried = false;
    for (let attempt = 0; ; attempt++) {
      let err: ExchangeError;
      try {
        return await this.#once(method, path, signed, params);
      } catch (e) {
        err = e instanceof ExchangeError ? e : mapBybitError(e, { operation: `${method} ${path}`, secrets: this.#secrets, nowMs: this.#clock.now() });
      }
      if (onFailure !== undefined) {
        const handled = await onFailure(err);
        if (handled !== undefined) return handled.value;
      }
      if (err instanceof ClockNotTrustedError) throw err;
      // A read is not repeated here during the 403 pause: its caller waits (src/cli/patience.ts).
      if (err instanceof RestPausedError && method === 'GET') throw err;
      if (err instanceof RestPausedError && !this.#closed) {
        // A write waits for the pause's end in #gate; the wait is no failed attempt.
        attempt--;
        continue;
      }
      if (err.retCode === RETCODE.timestamp) {
        if (clockRetried) throw err;
        // Bybit judged our timestamp outside recv_window: measure again, then one more try.
        clockRetried = true;
        this.#counters.clockRemeasures++;
        this.#log.warn('Bybit rejected the request timestamp (10002); re-measuring the clock', { path });
        await this.#clock.remeasureNow();
        attempt--;
        continue;
      }
      if (err.kind !== 'retryable' || attempt + 1 >= this.#retry.attempts || this.#closed) throw err;
      const waitMs = this.#delayMs(err, attempt);
      this.#counters.retries++;
      this.#log.debug('retrying', { path, attempt: attempt + 1, waitMs: Math.round(waitMs), error: err.message });
      await this.#sleep(waitMs);
    }
  }

  async result<T extends v.GenericSchema>(schema: T, what: string, method: 'GET' | 'POST', path: string, signed: boolean, params: Params): Promise<v.InferOutput<T>> {
    const result = await this.call(method, path, signed, params);
    return this.wire(`${method} ${path}`, () => parseWire(schema, result, what));
  }

  /**
   * Runs a wire → domain step; a malformed answer (retCode 0, wrong shape or absurd numbers) becomes
   * a logged, `rejected` ExchangeError naming the call and the field, never a bare WireError or
   * RangeError (the ExchangePort contract: every failure is an ExchangeError).
   */
  wire<T>(operation: string, step: () => T): T {
    try {
      return step();
    } catch (err) {
      if (!isWireProblem(err)) throw err;
      const message = `${operation}: ${sanitise(err.message, this.#secrets)}`;
      this.#log.error('malformed answer from Bybit', { operation, error: message });
      throw new ExchangeError(message, 'rejected');
    }
  }

  /** Maps each row; a row that fails is dropped with an error line naming it, the rest are kept. */
  rows<W, T>(operation: string, rows: readonly W[], map: (row: W) => T, check?: (value: T) => string | null): T[] {
    const out: T[] = [];
    for (const row of rows) {
      try {
        const value = map(row);
        const problem = check?.(value) ?? null;
        if (problem !== null) throw new WireError(problem);
        out.push(value);
      } catch (err) {
        if (!isWireProblem(err)) throw err;
        this.#log.error('dropping a malformed row from Bybit', { operation, error: sanitise(err.message, this.#secrets), row: sanitise(JSON.stringify(row) ?? '', this.#secrets).slice(0, 300) });
      }
    }
    return out;
  }
}
