/**
 * The clock's settings (config `clock.*`), their defaults, and the check that turns a bad one into a
 * usage error naming the option before anything is measured.
 */
import { UsageError } from '../util/errors.js';
import { checkCronExpression } from '../util/cronScheduler.js';
import { parseNtpServer } from './ntpClient.js';

export interface ClockOptions {
  /** `host` or `host:port`. */
  readonly ntpServers: readonly string[];
  readonly samplesPerServer: number;
  /** Per NTP request and per exchange request, ms. */
  readonly timeoutMs: number;
  /** Trusted only while the measurement's uncertainty is at most this, ms. */
  readonly maxUncertaintyMs: number;
  /**
   * Margin of the cross-check, ms: trusted only while |NTP offset − exchange offset| is at most the
   * NTP uncertainty + the exchange's (half round trip + resolution) + this (driftGate.ts).
   */
  readonly maxDisagreementMs: number;
  /** A measurement older than this (machine wall clock) is stale, ms. */
  readonly maxAgeMs: number;
  /** The wall clock moving this much against the monotonic clock since a measurement voids it, ms. */
  readonly maxStepMs: number;
  /** Exchange base URL to cross-check against (e.g. https://api.bybit.com); the bot sets it in every mode. None: no cross-check. */
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

function positive(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`clock.${name} must be a positive ${integer ? 'whole number' : 'number'}, got ${value}`);
  }
  return value;
}

/** The options merged over CLOCK_DEFAULTS; throws UsageError naming the first bad one. */
export function checkClockOptions(options: Partial<ClockOptions>): ClockOptions {
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
