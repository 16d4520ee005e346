/**
 * Issue 4 "Done when", clock part, end to end: the real adapter (ccxt Bybit class) against the
 * sandbox whose clock runs 3 s behind this machine (`clockOffsetMs: -3000`, i.e. the machine is 3 s
 * fast), with the real ClockService measuring the sandbox's NTP responder and `market/time`.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClockService } from '../../../src/clock/clockService.js';
import type { CronScheduler } from '../../../src/util/cronScheduler.js';
import { ClockNotTrustedError, ExchangeError } from '../../../src/domain/exchangeErrors.js';
import { createBybitExchange, type BybitExchange } from '../../../src/exchange/bybit/bybitExchange.js';
import { fetchBybitServerTime } from '../../../src/exchange/bybit/serverTime.js';
import { fixedSigningClock, type SigningClock } from '../../../src/exchange/bybit/signingClock.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox, type Sandbox } from '../../../src/sandbox/startSandbox.js';

const BTC = fileURLToPath(new URL('../../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const noCron: CronScheduler = { schedule: () => ({ stop: () => undefined }) };

let sb: Sandbox;
const exchanges: BybitExchange[] = [];

beforeAll(async () => {
  sb = await startSandbox({ data: [BTC], clockOffsetMs: -3000, ntpPort: 0 });
});
afterAll(async () => {
  await Promise.all(exchanges.map((e) => e.close()));
  await sb.close();
});

function clockService(): ClockService {
  return new ClockService(
    { ntpServers: [`127.0.0.1:${sb.ntpPort}`], samplesPerServer: 3, timeoutMs: 1000, exchangeUrl: sb.restUrl, cron: '*/5 * * * *' },
    { scheduler: noCron, fetchExchangeTime: fetchBybitServerTime },
  );
}

function exchange(clock: SigningClock): BybitExchange {
  const ex = createBybitExchange({ network: 'mainnet', restUrl: sb.restUrl, credentials: { apiKey: DEFAULT_API_KEY, apiSecret: DEFAULT_API_SECRET }, clock });
  exchanges.push(ex);
  return ex;
}

describe('signing time against a sandbox 3 s behind this machine', () => {
  it('fails with 10002 when signing with the machine clock', async () => {
    const err = await exchange(fixedSigningClock(0)).fetchBalance().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect((err as ExchangeError).retCode, 'timestamp 3 s ahead of the server: outside [server − recv, server + 1 s)').toBe(10002);
  });

  it('refuses to sign before the clock is measured, and succeeds after a measurement', async () => {
    const clock = clockService();
    const ex = exchange(clock);
    await expect(ex.fetchBalance()).rejects.toBeInstanceOf(ClockNotTrustedError);
    const m = await clock.measure();
    expect(m.ok).toBe(true);
    // Within 50 ms: a loopback round trip on a loaded 2-core machine can take tens of ms, and half of
    // it is the measurement's own uncertainty; the 3 s offset is what is being shown.
    expect(m.offsetMs!, 'NTP says the machine is 3 s fast').toBeCloseTo(-3000, -2);
    expect(m.exchangeOffsetMs!, 'and so does market/time').toBeCloseTo(-3000, -2);
    const balance = await ex.fetchBalance();
    expect(balance.walletBalance.toString()).toBe('10000');
  });

  it('re-measures after a 10002 and the retried request succeeds', async () => {
    const clock = clockService();
    await clock.measure();
    const ex = exchange(clock);
    await ex.fetchPositions(['BTCUSDT']);
    // The exchange's clock jumps a further 4 s back (NTP responder and REST alike): our measurement is stale.
    sb.setClockOffsetMs(-7000);
    try {
      const positions = await ex.fetchPositions(['BTCUSDT']);
      expect(positions[0]!.symbol).toBe('BTCUSDT');
      expect(ex.counters().rest.clockRemeasures, 'one 10002, one re-measurement').toBe(1);
      expect(clock.offsetMs).toBeCloseTo(-7000, -2);
    } finally {
      sb.setClockOffsetMs(-3000);
    }
  });
});
