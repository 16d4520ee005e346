/**
 * The clock measurement record: one attempt to measure the machine clock's offset, as plain JSON so
 * the state layer can store it and `clock --json` can print it. All times are Unix epoch ms on the
 * machine clock; every offset means "true time minus machine time", so corrected time is
 * `Date.now() + offsetMs`.
 */
import type { NtpServerResult } from './ntpClient.js';

/** One exchange-time reading: the server's time and our send/receive times (machine clock). */
export interface ExchangeTimeSample {
  readonly serverMs: number;
  readonly sentMs: number;
  readonly receivedMs: number;
  /** Resolution of the server's stamp, ms; default 1 (Bybit's envelope `time` is whole ms). */
  readonly resolutionMs?: number;
}

/**
 * Reads an exchange's server time. The clock layer sits below the exchange layer, so the Bybit reader
 * (`src/exchange/bybit/serverTime.ts`, `fetchBybitServerTime`) is passed in by whoever wires the parts.
 */
export type ExchangeTimeFetcher = (url: string, opts: { timeoutMs: number; epochMs: () => number }) => Promise<ExchangeTimeSample>;

export interface ExchangeCheck {
  readonly url: string;
  readonly ok: boolean;
  /** Server time minus the midpoint of our round trip, ms. */
  readonly offsetMs?: number;
  readonly rttMs?: number;
  /** Half the round trip (the server's stamp lies somewhere inside it) plus the stamp's resolution. */
  readonly uncertaintyMs?: number;
  readonly error?: string;
}

export interface ClockMeasurement {
  /** Machine wall-clock time when the attempt finished. */
  readonly measuredAtMs: number;
  /** True when an offset was obtained (from NTP, or from the exchange when that fallback is on). */
  readonly ok: boolean;
  readonly source: 'ntp' | 'exchange' | null;
  readonly offsetMs: number | null;
  readonly delayMs: number | null;
  readonly uncertaintyMs: number | null;
  /** Spread of the agreeing NTP servers around the chosen offset. */
  readonly spreadMs: number | null;
  readonly servers: readonly NtpServerResult[];
  readonly exchange?: ExchangeCheck;
  readonly exchangeOffsetMs?: number;
  /** |NTP offset − exchange offset|, ms, when both were measured. */
  readonly disagreementMs?: number;
  /**
   * Set when the NTP offset came only from servers whose samples of this round disagree with each
   * other (combineNtpResults.ts): the worst server, its samples' distance and their bound.
   */
  readonly sampleSpread?: { readonly server: string; readonly spreadMs: number; readonly limitMs: number };
  /** Why no offset was obtained. */
  readonly error?: string;
}
