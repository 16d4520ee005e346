/**
 * One measurement attempt: the NTP servers and the exchange asked in parallel, their answers turned
 * into a `ClockMeasurement` record. Never rejects: a failed attempt is a record with `ok: false`.
 */
import type { ClockMeasurement, ExchangeCheck, ExchangeTimeFetcher } from './clockMeasurement.js';
import type { ClockOptions } from './clockOptions.js';
import type { EpochMs } from './epochClock.js';
import { combineNtpResults } from './combineNtpResults.js';
import { queryAllNtp, type NtpServerResult } from './ntpClient.js';

/** What an attempt needs besides the options. */
export interface MeasurementDeps {
  /** Stamps this attempt's T1/T4 (high resolution). */
  readonly epochMs: EpochMs;
  /** Machine wall clock, read when the record is made (its `measuredAtMs`). */
  readonly wallMs: () => number;
  readonly fetchExchangeTime: ExchangeTimeFetcher | undefined;
}

export type MeasurementOptions = Pick<ClockOptions, 'ntpServers' | 'samplesPerServer' | 'timeoutMs' | 'exchangeUrl' | 'exchangeFallback'>;

/** Exchange readings per measurement; the first pays for the TLS handshake, the second usually not. */
const EXCHANGE_SAMPLES = 2;
/**
 * Resolution assumed for an exchange stamp that does not state one, ms. Bybit's `/v5/market/time`
 * (reference/bybit-v5.md section 3) gives `timeSecond` (1 s), the envelope's `time` (1 ms) and
 * `timeNano`; serverTime.ts reads `timeNano`, but its sub-millisecond digits are not documented as
 * accurate, so the stamp is taken as good to the millisecond of `time`.
 */
const EXCHANGE_RESOLUTION_MS = 1;

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

export async function takeMeasurement(options: MeasurementOptions, deps: MeasurementDeps): Promise<ClockMeasurement> {
  const { epochMs } = deps;
  const { ntpServers, samplesPerServer, timeoutMs, exchangeUrl } = options;
  try {
    const [servers, exchange] = await Promise.all([
      queryAllNtp(ntpServers, { samplesPerServer, timeoutMs, epochMs }),
      exchangeUrl !== undefined ? checkExchange(exchangeUrl, timeoutMs, epochMs, deps.fetchExchangeTime) : Promise.resolve(undefined),
    ]);
    return record(servers, exchange, options.exchangeFallback, deps.wallMs);
  } catch (err) {
    // Only a programming error gets here (queryAllNtp reports network trouble per server).
    return failedRecord([], undefined, err instanceof Error ? err.message : String(err), deps.wallMs);
  }
}

function record(servers: readonly NtpServerResult[], exchange: ExchangeCheck | undefined, exchangeFallback: boolean, wallMs: () => number): ClockMeasurement {
  const ntp = combineNtpResults(servers);
  const exchangePart = exchange === undefined ? {} : { exchange, ...(exchange.ok && exchange.offsetMs !== undefined ? { exchangeOffsetMs: exchange.offsetMs } : {}) };
  if (ntp !== null) {
    const disagreement = exchange?.ok === true && exchange.offsetMs !== undefined ? { disagreementMs: round3(Math.abs(ntp.offsetMs - exchange.offsetMs)) } : {};
    const sampleSpread = ntp.inconsistent ? { sampleSpread: { server: ntp.inconsistent.server, spreadMs: round3(ntp.inconsistent.spreadMs), limitMs: round3(ntp.inconsistent.limitMs) } } : {};
    return {
      measuredAtMs: wallMs(),
      ok: true,
      source: 'ntp',
      offsetMs: round3(ntp.offsetMs),
      delayMs: round3(ntp.delayMs),
      uncertaintyMs: round3(ntp.uncertaintyMs),
      spreadMs: round3(ntp.spreadMs),
      servers: ntp.servers,
      ...exchangePart,
      ...disagreement,
      ...sampleSpread,
    };
  }
  const ntpError = `no NTP server gave a usable reply (${servers.map((s) => `${s.server}: ${s.error ?? 'no answer'}`).join('; ')})`;
  if (exchangeFallback && exchange?.ok === true && exchange.offsetMs !== undefined) {
    return {
      measuredAtMs: wallMs(),
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
  return failedRecord(servers, exchange, ntpError, wallMs);
}

function failedRecord(servers: readonly NtpServerResult[], exchange: ExchangeCheck | undefined, error: string, wallMs: () => number): ClockMeasurement {
  return {
    measuredAtMs: wallMs(),
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

/**
 * Offset from the midpoint of the round trip; of several readings, the shortest round trip wins. Its
 * uncertainty is half that round trip plus the stamp's resolution.
 */
async function checkExchange(url: string, timeoutMs: number, epochMs: EpochMs, fetchTime: ExchangeTimeFetcher | undefined): Promise<ExchangeCheck> {
  if (fetchTime === undefined) return { url, ok: false, error: 'no exchange time reader' };
  let best: { offsetMs: number; rttMs: number; resolutionMs: number } | null = null;
  let lastError = '';
  for (let i = 0; i < EXCHANGE_SAMPLES; i++) {
    try {
      const sample = await fetchTime(url, { timeoutMs, epochMs });
      const rttMs = sample.receivedMs - sample.sentMs;
      const offsetMs = sample.serverMs - (sample.sentMs + sample.receivedMs) / 2;
      if (best === null || rttMs < best.rttMs) best = { offsetMs, rttMs, resolutionMs: sample.resolutionMs ?? EXCHANGE_RESOLUTION_MS };
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      if (best === null) break;
    }
  }
  if (best === null) return { url, ok: false, error: lastError };
  return { url, ok: true, offsetMs: round3(best.offsetMs), rttMs: round3(best.rttMs), uncertaintyMs: round3(best.rttMs / 2 + best.resolutionMs) };
}
