/** One measurement attempt against a loopback NTP responder and an exchange time reader. */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeTimeFetcher } from '../../src/clock/clockMeasurement.js';
import { createEpochClock } from '../../src/clock/epochClock.js';
import { startNtpResponder, type NtpResponder } from '../../src/clock/ntpResponder.js';
import { takeMeasurement, type MeasurementOptions } from '../../src/clock/takeMeasurement.js';

let ntp: NtpResponder;
let deadPort: number;

beforeAll(async () => {
  ntp = await startNtpResponder({ offsetMs: 800 });
  // A loopback UDP port nothing listens on: bound, then released.
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  deadPort = socket.address().port;
  await new Promise<void>((r) => socket.close(() => r()));
});
afterAll(() => ntp.close());

/** An exchange whose clock is `aheadMs` ahead of ours, answering at once. */
const exchangeAhead =
  (aheadMs: number): ExchangeTimeFetcher =>
  async (_url, { epochMs }) => {
    const sentMs = epochMs();
    return { serverMs: sentMs + aheadMs, sentMs, receivedMs: epochMs() };
  };

const options = (change: Partial<MeasurementOptions> = {}): MeasurementOptions => ({
  ntpServers: [`127.0.0.1:${ntp.port}`],
  samplesPerServer: 2,
  timeoutMs: 500,
  exchangeFallback: false,
  ...change,
});
const deps = (fetchExchangeTime?: ExchangeTimeFetcher) => ({ epochMs: createEpochClock(), wallMs: () => 1_234_567, fetchExchangeTime });

describe('takeMeasurement', () => {
  it('an NTP offset, cross-checked against the exchange, stamped with the wall clock at the end', async () => {
    const m = await takeMeasurement(options({ exchangeUrl: 'http://exchange.test' }), deps(exchangeAhead(300)));
    expect(m).toMatchObject({ ok: true, source: 'ntp', measuredAtMs: 1_234_567 });
    expect(Math.abs(m.offsetMs! - 800)).toBeLessThan(20);
    expect(Math.abs(m.exchangeOffsetMs! - 300)).toBeLessThan(20);
    expect(Math.abs(m.disagreementMs! - 500), '|NTP − exchange|').toBeLessThan(40);
    expect(m.exchange).toMatchObject({ url: 'http://exchange.test', ok: true });
  });

  it('no NTP answer: a failed record naming each server, keeping the exchange reading; exchange time only with the fallback', async () => {
    const failed = await takeMeasurement(options({ ntpServers: [`127.0.0.1:${deadPort}`], exchangeUrl: 'http://exchange.test' }), deps(exchangeAhead(300)));
    expect(failed).toMatchObject({ ok: false, source: null, offsetMs: null });
    expect(failed.error).toMatch(new RegExp(`^no NTP server gave a usable reply \\(127\\.0\\.0\\.1:${deadPort}: `));
    expect(Math.abs(failed.exchangeOffsetMs! - 300)).toBeLessThan(20);
    const fallback = await takeMeasurement(options({ ntpServers: [`127.0.0.1:${deadPort}`], exchangeUrl: 'http://exchange.test', exchangeFallback: true }), deps(exchangeAhead(300)));
    expect(fallback).toMatchObject({ ok: true, source: 'exchange', spreadMs: null });
    expect(fallback.offsetMs).toBe(fallback.exchangeOffsetMs);
  });

  it('an exchange that cannot be read is reported in the record, and NTP still counts', async () => {
    const m = await takeMeasurement(options({ exchangeUrl: 'http://exchange.test' }), deps(async () => Promise.reject(new Error('connection refused'))));
    expect(m.ok).toBe(true);
    expect(m.exchange).toEqual({ url: 'http://exchange.test', ok: false, error: 'connection refused' });
    expect(m.disagreementMs).toBeUndefined();
    const noReader = await takeMeasurement(options({ exchangeUrl: 'http://exchange.test' }), deps());
    expect(noReader.exchange).toEqual({ url: 'http://exchange.test', ok: false, error: 'no exchange time reader' });
  });
});
