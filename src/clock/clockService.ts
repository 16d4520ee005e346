/**
 * Clock discipline (issue 4, item 1; issue 20, item 5; DESIGN section 1 "the clock drifts and cannot
 * be set"): measures the machine clock's offset over NTP, cross-checks it against the exchange's
 * server time (Bybit's, in every mode that signs), and provides the corrected time the bot signs with.
 * A drift gate (driftGate.ts, where each reason is defined) decides whether that time can be trusted;
 * while it cannot, `assertTrusted()` throws and the adapter must not sign.
 *
 * Trust is lost on evidence, not only on age: a round whose sources disagree (NTP against the
 * exchange, or one NTP server against itself) is untrusted at once, whatever an earlier round said;
 * so is the clock after the exchange refused a signed timestamp (`remeasureNow()`, called on Bybit's
 * 10002) until a round with the exchange's time clears it. Listeners hear of a change of trust once
 * per change (not per round). Once started, the service re-measures on a cron schedule and, while
 * untrusted, with a backoff of its own, so trust returns by itself when the sources agree again.
 */
import type { ClockMeasurement, ExchangeTimeFetcher } from './clockMeasurement.js';
import { checkClockOptions, type ClockOptions } from './clockOptions.js';
import { cronScheduler, type CronScheduler, type ScheduledJob } from '../util/cronScheduler.js';
import { evaluateDriftGate, type ClockReason } from './driftGate.js';
import { createEpochClock, systemTimeSource, type EpochMs, type TimeSource } from './epochClock.js';
import { takeMeasurement } from './takeMeasurement.js';

export interface ClockDeps {
  /** Machine wall clock + monotonic clock; inject a fake in tests. */
  readonly time?: TimeSource;
  /** Factory for the high-resolution clock stamping one measurement's T1/T4; default `createEpochClock`. */
  readonly epochClock?: () => EpochMs;
  readonly scheduler?: CronScheduler;
  /** Required when `exchangeUrl` is set, e.g. `fetchBybitServerTime` from src/exchange/bybit/serverTime.ts. */
  readonly fetchExchangeTime?: ExchangeTimeFetcher;
  /** While untrusted after `start()`, re-measure after `firstMs`, doubling up to `maxMs`. Default 2 s to 60 s. */
  readonly untrustedRetry?: { readonly firstMs: number; readonly maxMs: number };
}

export interface ClockStatus {
  readonly trusted: boolean;
  /** Why it is not trusted; empty when trusted. */
  readonly reasons: readonly ClockReason[];
  /** Things worth knowing that do not block signing (exchange unreachable, a falseticker, a big offset). */
  readonly warnings: readonly string[];
  /** The offset `now()` applies, ms (0 before the first good measurement). */
  readonly offsetMs: number;
  /** Age of the measurement in use, ms; null before the first good one. */
  readonly ageMs: number | null;
  /** The good measurement in use. */
  readonly measurement: ClockMeasurement | null;
  /** The latest attempt, good or not. */
  readonly lastAttempt: ClockMeasurement | null;
}

export class ClockError extends Error {
  override name = 'ClockError';
}

/** Thrown by `assertTrusted()`: the bot must not sign while the clock is untrusted. */
export class ClockUntrustedError extends Error {
  override name = 'ClockUntrustedError';
  constructor(readonly reasons: readonly ClockReason[]) {
    super(`clock is not trusted: ${reasons.map((r) => r.message).join('; ')}`);
  }
}

export type TrustListener = (status: ClockStatus) => void;
export type MeasurementListener = (measurement: ClockMeasurement) => void;

/** A detected clock step triggers a re-measurement at most this often (monotonic ms). */
const STEP_REMEASURE_GAP_MS = 10_000;
const UNTRUSTED_RETRY = { firstMs: 2000, maxMs: 60_000 } as const;
const REJECTED_MESSAGE = "the exchange refused a signed timestamp (Bybit 10002, or a stream login); not signing until a measurement against the exchange's time clears it";

export class ClockService {
  readonly options: ClockOptions;
  #time: TimeSource;
  #epochClock: () => EpochMs;
  #scheduler: CronScheduler;
  #fetchExchangeTime: ExchangeTimeFetcher | undefined;
  #good: ClockMeasurement | null = null;
  #goodMonoMs = 0;
  #lastAttempt: ClockMeasurement | null = null;
  #inFlight: Promise<ClockMeasurement> | null = null;
  #job: ScheduledJob | null = null;
  #lastStepRemeasureMonoMs = -Infinity;
  #notified: boolean | null = null;
  /** Set by `remeasureNow()`: the exchange refused our time; cleared by a round that read the exchange's. */
  #rejected = false;
  #untrustedRetry: { readonly firstMs: number; readonly maxMs: number };
  #retryDelayMs: number;
  #retryTimer: NodeJS.Timeout | null = null;
  #trustListeners = new Set<TrustListener>();
  #measurementListeners = new Set<MeasurementListener>();

  constructor(options: Partial<ClockOptions> = {}, deps: ClockDeps = {}) {
    this.options = checkClockOptions(options);
    if (this.options.exchangeUrl !== undefined && deps.fetchExchangeTime === undefined) {
      throw new ClockError('clock.exchangeUrl is set but no exchange time reader was provided (deps.fetchExchangeTime)');
    }
    this.#time = deps.time ?? systemTimeSource;
    this.#epochClock = deps.epochClock ?? (() => createEpochClock());
    this.#scheduler = deps.scheduler ?? cronScheduler;
    this.#fetchExchangeTime = deps.fetchExchangeTime;
    this.#untrustedRetry = deps.untrustedRetry ?? UNTRUSTED_RETRY;
    this.#retryDelayMs = this.#untrustedRetry.firstMs;
  }

  /** The offset in use: true time minus machine time, ms (0 before the first good measurement). */
  get offsetMs(): number {
    return this.#good?.offsetMs ?? 0;
  }

  /** For ccxt: its `nonce()` is `milliseconds() − options.timeDifference` (reference/bybit-v5.md section 5). */
  get ccxtTimeDifferenceMs(): number {
    return -Math.round(this.offsetMs);
  }

  /** Corrected time, whole epoch ms: the only time the bot signs with (REST timestamp, WS `expires`). */
  now(): number {
    return Math.round(this.#time.wallMs() + this.offsetMs);
  }

  get measurement(): ClockMeasurement | null {
    return this.#good;
  }

  /** Evaluates the drift gate now (notifying trust listeners of a change). */
  status(): ClockStatus {
    const nowWall = this.#time.wallMs();
    const nowMono = this.#time.monoMs();
    const good = this.#good;
    const verdict = evaluateDriftGate({
      good,
      goodMonoMs: this.#goodMonoMs,
      lastAttempt: this.#lastAttempt,
      nowWallMs: nowWall,
      nowMonoMs: nowMono,
      options: this.options,
      rejectedByExchange: this.#rejected ? REJECTED_MESSAGE : null,
    });
    // A stepped wall clock voids the measurement: measure again (rate-limited) rather than wait for cron.
    if (verdict.stepped) this.#remeasureAfterStep(nowMono);
    const status: ClockStatus = {
      trusted: verdict.reasons.length === 0,
      reasons: verdict.reasons,
      warnings: verdict.warnings,
      offsetMs: this.offsetMs,
      ageMs: verdict.ageMs,
      measurement: good,
      lastAttempt: this.#lastAttempt,
    };
    this.#notifyTrust(status);
    return status;
  }

  isTrusted(): boolean {
    return this.status().trusted;
  }

  /** Throws ClockUntrustedError (with the reasons) unless the drift gate passes. Call before signing. */
  assertTrusted(): void {
    const status = this.status();
    if (!status.trusted) throw new ClockUntrustedError(status.reasons);
  }

  /** Measures unless trusted, then returns the status: for signing after a phone wakes up. */
  async ensureTrusted(): Promise<ClockStatus> {
    if (this.isTrusted()) return this.status();
    await this.measure();
    return this.status();
  }

  /**
   * One measurement attempt (NTP servers and the exchange in parallel). Never rejects: a failed
   * attempt is returned with `ok: false` and the previous good measurement stays in use until it goes
   * stale. Concurrent calls share the attempt in flight.
   */
  measure(): Promise<ClockMeasurement> {
    if (this.#inFlight !== null) return this.#inFlight;
    this.#inFlight = this.#measureOnce();
    return this.#inFlight;
  }

  /**
   * The exchange refused our time: Bybit's 10002 (timestamp outside recv_window) or a failed stream
   * login. Nothing is signed until a measurement that read the exchange's time clears that (the
   * adapter retries after this resolves); a refusal is evidence, so an earlier good round does not
   * count. Listeners are told only if the clock is still untrusted after this re-measurement.
   */
  remeasureNow(): Promise<ClockMeasurement> {
    this.#rejected = true;
    return this.measure();
  }

  /** Schedules re-measurement on `options.cron`, then measures once; resolves with the status. */
  async start(): Promise<ClockStatus> {
    if (this.#job === null) {
      this.#job = this.#scheduler.schedule(
        this.options.cron,
        () => {
          void this.measure();
        },
        { name: 'clock-remeasure' },
      );
    }
    await this.measure();
    return this.status();
  }

  stop(): void {
    this.#job?.stop();
    this.#job = null;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  /** Called after the first attempt and whenever trust flips, once per flip. Returns an unsubscribe. */
  onTrustChange(listener: TrustListener): () => void {
    this.#trustListeners.add(listener);
    return () => this.#trustListeners.delete(listener);
  }

  /** Called with every attempt's record (for the state store). Returns an unsubscribe. */
  onMeasurement(listener: MeasurementListener): () => void {
    this.#measurementListeners.add(listener);
    return () => this.#measurementListeners.delete(listener);
  }

  async #measureOnce(): Promise<ClockMeasurement> {
    const epochMs = this.#epochClock();
    const record = await takeMeasurement(this.options, { epochMs, wallMs: () => this.#time.wallMs(), fetchExchangeTime: this.#fetchExchangeTime });
    // Done before listeners run, so a listener (or a cron tick right after) can start the next attempt.
    this.#inFlight = null;
    this.#lastAttempt = record;
    if (record.ok) {
      this.#good = record;
      this.#goodMonoMs = this.#time.monoMs();
      // The exchange's refusal is answered only by a round that read the exchange's time too.
      if (this.options.exchangeUrl === undefined || record.exchange?.ok === true) this.#rejected = false;
    }
    for (const listener of this.#measurementListeners) {
      try {
        listener(record);
      } catch {
        // A listener (the state store) must not break clock discipline.
      }
    }
    this.#retryWhileUntrusted(this.status().trusted);
    return record;
  }

  /** Once started: while untrusted, measure again with a doubling delay, so trust returns by itself. */
  #retryWhileUntrusted(trusted: boolean): void {
    if (trusted) {
      if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
      this.#retryDelayMs = this.#untrustedRetry.firstMs;
      return;
    }
    if (this.#job === null || this.#retryTimer !== null) return;
    const delayMs = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(this.#untrustedRetry.maxMs, delayMs * 2);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.measure();
    }, delayMs);
  }

  #remeasureAfterStep(nowMono: number): void {
    if (this.#inFlight !== null || nowMono - this.#lastStepRemeasureMonoMs < STEP_REMEASURE_GAP_MS) return;
    this.#lastStepRemeasureMonoMs = nowMono;
    void this.measure();
  }

  #notifyTrust(status: ClockStatus): void {
    // A refusal being checked is not news yet: the round in flight tells (signing is refused meanwhile).
    if (this.#lastAttempt === null || (this.#rejected && this.#inFlight !== null)) return;
    // Once per change of trust: the reasons shift from round to round (a lying server's answers vary).
    if (this.#notified === status.trusted) return;
    this.#notified = status.trusted;
    for (const listener of this.#trustListeners) {
      try {
        listener(status);
      } catch {
        // An alert channel failing must not break the gate.
      }
    }
  }
}
