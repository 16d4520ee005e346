/**
 * Clock discipline (issue 4, item 1; DESIGN section 1 "the clock drifts and cannot be set"): measures
 * the machine clock's offset over NTP, cross-checks it against the exchange's server time, and
 * provides the corrected time the bot signs with. A drift gate decides whether that time can be
 * trusted; while it cannot, `assertTrusted()` throws and the adapter must not sign. The service keeps
 * re-measuring on a cron schedule (and on demand after a Bybit 10002), and trust returns by itself.
 *
 * A large offset is not a reason to refuse: it is measured, so it is corrected. Only an offset we do
 * not know well enough is: no fresh measurement, too much uncertainty, NTP and exchange disagreeing,
 * or the machine clock having been set since we measured.
 */
import { UsageError } from '../util/errors.js';
import type { ClockMeasurement, ExchangeCheck, ExchangeTimeFetcher } from './clockMeasurement.js';
import { checkCronExpression, nodeCronScheduler, type CronScheduler, type ScheduledJob } from '../util/cronScheduler.js';
import { createEpochClock, systemTimeSource, type EpochMs, type TimeSource } from './epochClock.js';
import { combineNtpResults, parseNtpServer, queryAllNtp, type NtpServerResult } from './ntpClient.js';

export interface ClockOptions {
  /** `host` or `host:port`. */
  readonly ntpServers: readonly string[];
  readonly samplesPerServer: number;
  /** Per NTP request and per exchange request, ms. */
  readonly timeoutMs: number;
  /** Trusted only while the measurement's uncertainty is at most this, ms. */
  readonly maxUncertaintyMs: number;
  /** Trusted only while |NTP − exchange| is at most this plus the exchange's half round trip, ms. */
  readonly maxDisagreementMs: number;
  /** A measurement older than this (machine wall clock) is stale, ms. */
  readonly maxAgeMs: number;
  /** The wall clock moving this much against the monotonic clock since a measurement voids it, ms. */
  readonly maxStepMs: number;
  /** Exchange base URL to cross-check against (e.g. https://api.bybit.com); none: no cross-check. */
  readonly exchangeUrl?: string;
  /** Use the exchange's offset when no NTP server answers (networks that block UDP 123). */
  readonly exchangeFallback: boolean;
  /** node-cron expression for re-measurement. */
  readonly cron: string;
}

/**
 * Defaults. Bybit accepts `server_time − recv_window ≤ timestamp < server_time + 1000`
 * (reference/bybit-v5.md, recv_window 5000 by default), so ±250 ms of uncertainty and 500 ms of
 * NTP/exchange disagreement still sign safely, while leaving room for a phone on a cellular link.
 * Re-measuring every 5 minutes with a 15-minute age limit survives two failed rounds.
 */
export const CLOCK_DEFAULTS = {
  ntpServers: ['time.cloudflare.com', 'time.google.com', 'pool.ntp.org'],
  samplesPerServer: 4,
  timeoutMs: 2000,
  maxUncertaintyMs: 250,
  maxDisagreementMs: 500,
  maxAgeMs: 15 * 60_000,
  maxStepMs: 500,
  exchangeFallback: false,
  cron: '*/5 * * * *',
} as const satisfies Omit<ClockOptions, 'exchangeUrl'>;

export interface ClockDeps {
  /** Machine wall clock + monotonic clock; inject a fake in tests. */
  readonly time?: TimeSource;
  /** Factory for the high-resolution clock stamping one measurement's T1/T4; default `createEpochClock`. */
  readonly epochClock?: () => EpochMs;
  readonly scheduler?: CronScheduler;
  /** Required when `exchangeUrl` is set, e.g. `fetchBybitServerTime` from src/exchange/bybit/serverTime.ts. */
  readonly fetchExchangeTime?: ExchangeTimeFetcher;
}

export const CLOCK_REASON_CODES = ['no-measurement', 'stale', 'uncertainty', 'disagreement', 'clock-stepped'] as const;
export type ClockReasonCode = (typeof CLOCK_REASON_CODES)[number];

export interface ClockReason {
  readonly code: ClockReasonCode;
  readonly message: string;
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

/** Exchange readings per measurement; the first pays for the TLS handshake, the second usually not. */
const EXCHANGE_SAMPLES = 2;
/** Offsets beyond this are fine (we correct them) but worth telling the owner about. */
const LARGE_OFFSET_WARN_MS = 1000;
/** A detected clock step triggers a re-measurement at most this often (monotonic ms). */
const STEP_REMEASURE_GAP_MS = 10_000;

function positive(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`clock.${name} must be a positive ${integer ? 'whole number' : 'number'}, got ${value}`);
  }
  return value;
}

function checkOptions(options: Partial<ClockOptions>): ClockOptions {
  const merged: ClockOptions = { ...CLOCK_DEFAULTS, ...options };
  if (merged.ntpServers.length === 0) throw new UsageError('clock.ntpServers must list at least one NTP server');
  for (const server of merged.ntpServers) parseNtpServer(server);
  positive('samplesPerServer', merged.samplesPerServer, true);
  positive('timeoutMs', merged.timeoutMs);
  positive('maxUncertaintyMs', merged.maxUncertaintyMs);
  positive('maxDisagreementMs', merged.maxDisagreementMs);
  positive('maxAgeMs', merged.maxAgeMs);
  positive('maxStepMs', merged.maxStepMs);
  checkCronExpression(merged.cron);
  if (merged.exchangeUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(merged.exchangeUrl);
    } catch {
      throw new UsageError(`clock.exchangeUrl "${merged.exchangeUrl}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`clock.exchangeUrl "${merged.exchangeUrl}" must be an http(s) URL`);
    }
  }
  return merged;
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

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
  #notified: { trusted: boolean; codes: string } | null = null;
  #trustListeners = new Set<TrustListener>();
  #measurementListeners = new Set<MeasurementListener>();

  constructor(options: Partial<ClockOptions> = {}, deps: ClockDeps = {}) {
    this.options = checkOptions(options);
    if (this.options.exchangeUrl !== undefined && deps.fetchExchangeTime === undefined) {
      throw new ClockError('clock.exchangeUrl is set but no exchange time reader was provided (deps.fetchExchangeTime)');
    }
    this.#time = deps.time ?? systemTimeSource;
    this.#epochClock = deps.epochClock ?? (() => createEpochClock());
    this.#scheduler = deps.scheduler ?? nodeCronScheduler;
    this.#fetchExchangeTime = deps.fetchExchangeTime;
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
    const { maxAgeMs, maxUncertaintyMs, maxDisagreementMs, maxStepMs } = this.options;
    const reasons: ClockReason[] = [];
    const warnings: string[] = [];
    const lastError = this.#lastAttempt !== null && !this.#lastAttempt.ok ? this.#lastAttempt.error : undefined;
    const lastErrorNote = lastError !== undefined ? ` (last attempt: ${lastError})` : '';
    let ageMs: number | null = null;
    if (good === null || good.offsetMs === null) {
      reasons.push({ code: 'no-measurement', message: `the clock has not been measured yet${lastErrorNote}` });
    } else {
      ageMs = nowWall - good.measuredAtMs;
      const stepMs = ageMs - (nowMono - this.#goodMonoMs);
      if (Math.abs(stepMs) > maxStepMs) {
        reasons.push({
          code: 'clock-stepped',
          message: `the machine clock moved ${Math.round(stepMs)} ms against the monotonic clock since the last measurement (clock set, or device asleep); re-measuring`,
        });
        this.#remeasureAfterStep(nowMono);
      }
      if (ageMs > maxAgeMs) {
        reasons.push({ code: 'stale', message: `the last good measurement is ${Math.round(ageMs / 1000)} s old (limit ${Math.round(maxAgeMs / 1000)} s)${lastErrorNote}` });
      }
      const uncertaintyMs = good.uncertaintyMs ?? Infinity;
      if (uncertaintyMs > maxUncertaintyMs) {
        reasons.push({ code: 'uncertainty', message: `offset uncertainty ±${uncertaintyMs.toFixed(1)} ms exceeds the limit of ${maxUncertaintyMs} ms` });
      }
      if (good.disagreementMs !== undefined) {
        const allowedMs = maxDisagreementMs + (good.exchange?.uncertaintyMs ?? 0);
        if (good.disagreementMs > allowedMs) {
          reasons.push({
            code: 'disagreement',
            message: `NTP and exchange time disagree by ${good.disagreementMs.toFixed(1)} ms (limit ${maxDisagreementMs} ms + ${(good.exchange?.uncertaintyMs ?? 0).toFixed(1)} ms for the exchange round trip)`,
          });
        }
      }
      if (Math.abs(good.offsetMs) > LARGE_OFFSET_WARN_MS) {
        warnings.push(`the machine clock is ${Math.abs(good.offsetMs / 1000).toFixed(3)} s ${good.offsetMs > 0 ? 'behind' : 'ahead'}; corrected`);
      }
      if (good.exchange !== undefined && !good.exchange.ok) warnings.push(`exchange time not checked: ${good.exchange.error ?? 'failed'}`);
      const falsetickers = good.servers.filter((s) => s.falseticker === true).map((s) => s.server);
      if (falsetickers.length > 0) warnings.push(`NTP servers out of agreement, ignored: ${falsetickers.join(', ')}`);
      if (good.source === 'exchange') warnings.push('no NTP server answered; using exchange time alone');
      if (lastError !== undefined) warnings.push(`the latest re-measurement failed: ${lastError}`);
    }
    const status: ClockStatus = {
      trusted: reasons.length === 0,
      reasons,
      warnings,
      offsetMs: this.offsetMs,
      ageMs,
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

  /** Re-measure right away, e.g. when the adapter sees Bybit's 10002 (timestamp outside recv_window). */
  remeasureNow(): Promise<ClockMeasurement> {
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
  }

  /** Called when trust flips or the set of reasons changes (and after the first attempt). Returns an unsubscribe. */
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
    const { ntpServers, samplesPerServer, timeoutMs, exchangeUrl } = this.options;
    let record: ClockMeasurement;
    try {
      const [servers, exchange] = await Promise.all([
        queryAllNtp(ntpServers, { samplesPerServer, timeoutMs, epochMs }),
        exchangeUrl !== undefined ? this.#checkExchange(exchangeUrl, epochMs) : Promise.resolve(undefined),
      ]);
      record = this.#record(servers, exchange);
    } catch (err) {
      // Only a programming error gets here (queryAllNtp reports network trouble per server).
      record = this.#failedRecord([], undefined, err instanceof Error ? err.message : String(err));
    }
    // Done before listeners run, so a listener (or a cron tick right after) can start the next attempt.
    this.#inFlight = null;
    this.#lastAttempt = record;
    if (record.ok) {
      this.#good = record;
      this.#goodMonoMs = this.#time.monoMs();
    }
    for (const listener of this.#measurementListeners) {
      try {
        listener(record);
      } catch {
        // A listener (the state store) must not break clock discipline.
      }
    }
    this.status();
    return record;
  }

  #record(servers: readonly NtpServerResult[], exchange: ExchangeCheck | undefined): ClockMeasurement {
    const ntp = combineNtpResults(servers);
    const exchangePart = exchange === undefined ? {} : { exchange, ...(exchange.ok && exchange.offsetMs !== undefined ? { exchangeOffsetMs: exchange.offsetMs } : {}) };
    if (ntp !== null) {
      const disagreement = exchange?.ok === true && exchange.offsetMs !== undefined ? { disagreementMs: round3(Math.abs(ntp.offsetMs - exchange.offsetMs)) } : {};
      return {
        measuredAtMs: this.#time.wallMs(),
        ok: true,
        source: 'ntp',
        offsetMs: round3(ntp.offsetMs),
        delayMs: round3(ntp.delayMs),
        uncertaintyMs: round3(ntp.uncertaintyMs),
        spreadMs: round3(ntp.spreadMs),
        servers: ntp.servers,
        ...exchangePart,
        ...disagreement,
      };
    }
    const ntpError = `no NTP server gave a usable reply (${servers.map((s) => `${s.server}: ${s.error ?? 'no answer'}`).join('; ')})`;
    if (this.options.exchangeFallback && exchange?.ok === true && exchange.offsetMs !== undefined) {
      return {
        measuredAtMs: this.#time.wallMs(),
        ok: true,
        source: 'exchange',
        offsetMs: exchange.offsetMs,
        delayMs: exchange.rttMs ?? null,
        uncertaintyMs: exchange.uncertaintyMs ?? null,
        spreadMs: null,
        servers,
        ...exchangePart,
      };
    }
    return this.#failedRecord(servers, exchange, ntpError);
  }

  #failedRecord(servers: readonly NtpServerResult[], exchange: ExchangeCheck | undefined, error: string): ClockMeasurement {
    return {
      measuredAtMs: this.#time.wallMs(),
      ok: false,
      source: null,
      offsetMs: null,
      delayMs: null,
      uncertaintyMs: null,
      spreadMs: null,
      servers,
      ...(exchange === undefined ? {} : { exchange }),
      ...(exchange?.ok === true && exchange.offsetMs !== undefined ? { exchangeOffsetMs: exchange.offsetMs } : {}),
      error,
    };
  }

  /** Offset from the midpoint of the round trip; of several readings, the shortest round trip wins. */
  async #checkExchange(url: string, epochMs: EpochMs): Promise<ExchangeCheck> {
    const fetchTime = this.#fetchExchangeTime;
    if (fetchTime === undefined) return { url, ok: false, error: 'no exchange time reader' };
    let best: { offsetMs: number; rttMs: number } | null = null;
    let lastError = '';
    for (let i = 0; i < EXCHANGE_SAMPLES; i++) {
      try {
        const sample = await fetchTime(url, { timeoutMs: this.options.timeoutMs, epochMs });
        const rttMs = sample.receivedMs - sample.sentMs;
        const offsetMs = sample.serverMs - (sample.sentMs + sample.receivedMs) / 2;
        if (best === null || rttMs < best.rttMs) best = { offsetMs, rttMs };
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        if (best === null) break;
      }
    }
    if (best === null) return { url, ok: false, error: lastError };
    return { url, ok: true, offsetMs: round3(best.offsetMs), rttMs: round3(best.rttMs), uncertaintyMs: round3(best.rttMs / 2) };
  }

  #remeasureAfterStep(nowMono: number): void {
    if (this.#inFlight !== null || nowMono - this.#lastStepRemeasureMonoMs < STEP_REMEASURE_GAP_MS) return;
    this.#lastStepRemeasureMonoMs = nowMono;
    void this.measure();
  }

  #notifyTrust(status: ClockStatus): void {
    if (this.#lastAttempt === null) return;
    const codes = status.reasons.map((r) => r.code).join(',');
    if (this.#notified !== null && this.#notified.trusted === status.trusted && this.#notified.codes === codes) return;
    this.#notified = { trusted: status.trusted, codes };
    for (const listener of this.#trustListeners) {
      try {
        listener(status);
      } catch {
        // An alert channel failing must not break the gate.
      }
    }
  }
}
