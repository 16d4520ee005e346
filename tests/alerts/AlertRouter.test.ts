import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, AlertInput } from '../../src/alerts/Alert.js';
import type { AlertChannel, DeliveryResult } from '../../src/alerts/AlertChannel.js';
import { AlertRouter } from '../../src/alerts/AlertRouter.js';
import { createAlertRouter } from '../../src/alerts/createAlertRouter.js';
import { makeFakeTermux, manualClock, type FakeTermux } from './fakeTermux.js';

// 2025-01-15 12:00 UTC = 13:00 in Berlin (CET, UTC+1): outside 23:00–07:00 quiet hours.
const NOON = Date.UTC(2025, 0, 15, 12, 0, 0);

/** An in-process channel that keeps what it was given (router logic only; the real boundary is tested below). */
class MemoryChannel implements AlertChannel {
  readonly got: Alert[] = [];
  constructor(
    readonly name: string,
    readonly behaviour: (a: Alert) => Promise<DeliveryResult> = async () => ({ status: 'sent' }),
  ) {}
  send(alert: Alert): Promise<DeliveryResult> {
    this.got.push(alert);
    return this.behaviour(alert);
  }
}

const fill = (extra: Partial<AlertInput> = {}): AlertInput => ({ level: 'trade', kind: 'fill', title: 'Filled', body: 'BTCUSDT 0.01', ...extra });

describe('AlertRouter: de-duplication', () => {
  it('delivers the same dedupeKey once per window, again after it', () => {
    const clock = manualClock(NOON);
    const ch = new MemoryChannel('m');
    const router = new AlertRouter({ channels: [ch], now: clock.now, dedupeWindowMs: 60_000 });
    const outage = { level: 'warning', kind: 'streamOutage', title: 'Stream down', body: 'public', dedupeKey: 'stream.public' } as const;
    expect(router.send(outage).status).toBe('routed');
    clock.advance(30_000);
    expect(router.send(outage)).toMatchObject({ status: 'suppressed', reason: 'duplicate' });
    clock.advance(30_000);
    expect(router.send(outage).status, 'window over: remind the owner').toBe('routed');
    expect(router.send({ ...outage, dedupeKey: 'stream.private' }).status, 'another key is another event').toBe('routed');
    expect(ch.got).toHaveLength(3);
    expect(router.stats().suppressed.duplicate).toBe(1);
  });
});

describe('AlertRouter: per-kind rate limits', () => {
  it('lets a burst through, refills over time, and mentions what it dropped', () => {
    const clock = manualClock(NOON);
    const ch = new MemoryChannel('m');
    const router = new AlertRouter({ channels: [ch], now: clock.now, rateLimits: { fill: { burst: 2, perHour: 60 } } });
    const results = [1, 2, 3, 4].map((i) => router.send(fill({ body: `fill ${i}` })).status);
    expect(results).toEqual(['routed', 'routed', 'suppressed', 'suppressed']);
    expect(router.send({ level: 'warning', kind: 'stopLoss', title: 'SL', body: 'x' }).status, 'other kinds have their own bucket').toBe('routed');
    clock.advance(60_000); // 60/hour → one token per minute
    expect(router.send(fill({ body: 'fill 5' })).status).toBe('routed');
    expect(router.send(fill({ body: 'fill 6' })).status).toBe('suppressed');
    expect(ch.got.filter((a) => a.kind === 'fill').map((a) => a.body)).toEqual(['fill 1', 'fill 2', 'fill 5\n(+2 similar suppressed by rate limit)']);
  });

  it('never limits control acknowledgements by default', () => {
    const router = new AlertRouter({ channels: [new MemoryChannel('m')], now: () => NOON });
    const statuses = Array.from({ length: 30 }, () => router.send({ level: 'info', kind: 'control', title: 'Paused', body: 'ok' }).status);
    expect(new Set(statuses)).toEqual(new Set(['routed']));
  });
});

describe('AlertRouter: quiet hours (23:00–07:00 Europe/Berlin)', () => {
  const quietHours = { start: '23:00', end: '07:00', timeZone: 'Europe/Berlin' };
  // Berlin is UTC+1 in January (CET) and UTC+2 in July (CEST); the IANA rules, not a fixed offset.
  const cases: [string, number, boolean][] = [
    ['January 21:59 UTC = 22:59 CET', Date.UTC(2025, 0, 15, 21, 59), false],
    ['January 22:00 UTC = 23:00 CET', Date.UTC(2025, 0, 15, 22, 0), true],
    ['January 05:59 UTC = 06:59 CET', Date.UTC(2025, 0, 16, 5, 59), true],
    ['January 06:00 UTC = 07:00 CET', Date.UTC(2025, 0, 16, 6, 0), false],
    ['July 21:30 UTC = 23:30 CEST', Date.UTC(2025, 6, 15, 21, 30), true],
    ['July 05:30 UTC = 07:30 CEST', Date.UTC(2025, 6, 16, 5, 30), false],
  ];
  for (const [label, at, quiet] of cases) {
    it(`${label}: ${quiet ? 'only critical passes' : 'everything passes'}`, () => {
      const ch = new MemoryChannel('m');
      const router = new AlertRouter({ channels: [ch], now: () => at, quietHours });
      expect(router.send(fill()).status).toBe(quiet ? 'suppressed' : 'routed');
      expect(router.send({ level: 'warning', kind: 'error', title: 'e', body: 'e' }).status).toBe(quiet ? 'suppressed' : 'routed');
      expect(router.send({ level: 'critical', kind: 'killSwitch', title: 'Kill switch', body: 'x' }).status, 'critical always passes').toBe('routed');
    });
  }

  it('rejects a zone that does not exist, naming it', () => {
    expect(() => new AlertRouter({ channels: [], quietHours: { ...quietHours, timeZone: 'Europe/Atlantis' } })).toThrow(/"Europe\/Atlantis" is not an IANA time zone/);
    expect(() => new AlertRouter({ channels: [], quietHours: { ...quietHours, start: '25:00' } })).toThrow(/quietHours.start: "25:00"/);
  });
});

describe('AlertRouter: fan-out and failures', () => {
  it('a throwing, a failing and a hanging channel neither throw into the caller nor hold the others', async () => {
    const ok = new MemoryChannel('ok');
    const throws = new MemoryChannel('throws', async () => {
      throw new Error('boom');
    });
    const fails = new MemoryChannel('fails', async () => ({ status: 'failed', error: 'HTTP 500' }));
    let release = (): void => {};
    const hangs = new MemoryChannel('hangs', () => new Promise((r) => (release = () => r({ status: 'sent' }))));
    const warnings: string[] = [];
    const router = new AlertRouter({ channels: [hangs, throws, fails, ok], now: () => NOON, logger: { info: () => {}, warn: (m) => warnings.push(m) } });
    const outcome = router.send(fill());
    expect(ok.got, 'delivery started for every channel at once').toHaveLength(1);
    expect(hangs.got).toHaveLength(1);
    release();
    if (outcome.status !== 'routed') throw new Error('expected routed');
    expect(await outcome.deliveries).toEqual([
      { channel: 'hangs', result: { status: 'sent' } },
      { channel: 'throws', result: { status: 'failed', error: 'Error: boom' } },
      { channel: 'fails', result: { status: 'failed', error: 'HTTP 500' } },
      { channel: 'ok', result: { status: 'sent' } },
    ]);
    expect(warnings).toEqual(['alert channel throws failed: Error: boom', 'alert channel fails failed: HTTP 500']);
    expect(router.stats().failed).toEqual({ throws: 1, fails: 1 });
  });

  it('sends only alerts at or above a channel minLevel', async () => {
    const all = new MemoryChannel('all');
    const urgent = new MemoryChannel('urgent');
    const router = new AlertRouter({ channels: [all, { channel: urgent, minLevel: 'warning' }], now: () => NOON });
    router.send(fill());
    router.send({ level: 'warning', kind: 'stopLoss', title: 'SL', body: 'x' });
    await router.drain();
    expect(all.got.map((a) => a.kind)).toEqual(['fill', 'stopLoss']);
    expect(urgent.got.map((a) => a.kind)).toEqual(['stopLoss']);
  });
});

describe('AlertRouter: secrets never reach a channel or a log line', () => {
  it('redacts registered secrets in title, body and channel errors', async () => {
    const secret = 'sk-LIVE-9f8e7d6c5b4a';
    const ch = new MemoryChannel('m', async () => ({ status: 'failed', error: `rejected key ${secret}` }));
    const warnings: string[] = [];
    const router = new AlertRouter({ channels: [ch], now: () => NOON, logger: { info: () => {}, warn: (m) => warnings.push(m) } });
    router.addSecret(secret);
    router.send({ level: 'warning', kind: 'error', title: `auth ${secret}`, body: `apiSecret=${secret} url=https://x/?k=${encodeURIComponent(secret)}` });
    await router.drain();
    const seen = JSON.stringify([ch.got, warnings]);
    expect(seen).not.toContain(secret);
    expect(ch.got[0]?.title).toBe('auth [REDACTED]');
    expect(warnings[0]).toBe('alert channel m failed: rejected key [REDACTED]');
  });
});

describe('createAlertRouter with the real termux-notification boundary', () => {
  let fake: FakeTermux;
  beforeEach(() => {
    fake = makeFakeTermux();
    fake.record('termux-notification');
    fake.record('termux-notification-remove');
  });
  afterEach(() => fake.cleanup());

  it('rate limits, de-duplicates and keeps quiet hours before anything is spawned', async () => {
    const clock = manualClock(NOON);
    const { router, termux } = createAlertRouter(
      {
        rateLimits: { default: { burst: 3, perHour: 6 } },
        quietHours: { start: '23:00', end: '07:00', timeZone: 'Europe/Berlin' },
        termux: { nodePath: process.execPath, botPath: '/opt/ps/dist/bot.js', stateDir: '/opt/ps/state' },
      },
      { now: clock.now, env: fake.env },
    );
    expect(termux).not.toBeNull();
    for (let i = 1; i <= 5; i++) router.send({ level: 'trade', kind: 'fill', symbol: 'BTCUSDT', title: `Fill ${i}`, body: 'b' });
    router.send({ level: 'warning', kind: 'reconcile', title: 'Diff', body: 'd', dedupeKey: 'reconcile.BTCUSDT' });
    router.send({ level: 'warning', kind: 'reconcile', title: 'Diff', body: 'd', dedupeKey: 'reconcile.BTCUSDT' });
    clock.set(Date.UTC(2025, 0, 15, 23, 0)); // 00:00 in Berlin
    router.send({ level: 'warning', kind: 'error', title: 'Night warning', body: 'w' });
    router.send({ level: 'critical', kind: 'killSwitch', title: 'Night kill switch', body: 'k' });
    await router.drain();
    await termux?.idle();
    const titles = fake.calls('termux-notification').map((argv) => argv[argv.indexOf('-t') + 1]);
    expect(titles).toEqual(['Fill 1', 'Fill 2', 'Fill 3', 'Diff', 'Night kill switch']);
    expect(router.stats().suppressed).toEqual({ quietHours: 1, duplicate: 1, rateLimited: 2 });
    await router.close();
    expect(fake.calls('termux-notification-remove'), 'no status was shown, nothing to remove').toEqual([]);
  });

  it('posts status through the router and removes it on close', async () => {
    const { router } = createAlertRouter(
      { termux: { nodePath: process.execPath, botPath: '/opt/ps/dist/bot.js', stateDir: '/opt/ps/state' } },
      { env: fake.env },
    );
    await router.updateStatus({ mode: 'paper', paused: false, pnlToday: '0', openPositions: [], clockTrusted: true });
    await router.updateStatus({ mode: 'paper', paused: false, pnlToday: '1.5', openPositions: [], clockTrusted: true });
    await router.close();
    const ids = fake.calls('termux-notification').map((argv) => argv[argv.indexOf('--id') + 1]);
    expect(ids).toEqual(['pocket-scalper.status', 'pocket-scalper.status']);
    expect(fake.calls('termux-notification-remove')).toEqual([['pocket-scalper.status']]);
  });

  it('the ongoing status names every protection in words (circuit breaker, kill switch, loss streak)', async () => {
    const { router } = createAlertRouter(
      { termux: { nodePath: process.execPath, botPath: '/opt/ps/dist/bot.js', stateDir: '/opt/ps/state' } },
      { env: fake.env },
    );
    for (const name of ['circuitBreaker', 'killSwitch', 'consecutiveLoss', 'dailyLoss']) {
      await router.updateStatus({ mode: 'live', paused: true, pausedReason: `${name}: stopped`, pnlToday: '0', openPositions: [], clockTrusted: true });
    }
    await router.close();
    const texts = fake.calls('termux-notification').map((argv) => argv[argv.indexOf('-c') + 1] ?? '');
    const paused = texts.map((t) => /Paused: ([^\n|]*?): stopped/.exec(t)?.[1]);
    expect(paused).toEqual(['circuit breaker', 'kill switch', 'loss streak', 'daily loss limit']);
  });
});

describe('AlertRouter: text for people', () => {
  it('turns internal names into words in titles and bodies, and leaves config paths as written', () => {
    const ch = new MemoryChannel('m');
    const router = new AlertRouter({ channels: [ch], now: () => NOON });
    router.send({ level: 'warning', kind: 'error', title: 'Entries stopped: dailyLoss', body: 'dailyLoss: daily loss 31.00 USDT reached the limit' });
    router.send({ level: 'trade', kind: 'tradeClosed', title: 'BTCUSDT long closed: stopLoss', body: 'after takeProfit 1, killSwitch off' });
    router.send({ level: 'warning', kind: 'error', title: 'config.json edit rejected', body: 'risk.maxDailyLossPct: expected a number; symbols[0].params.stopLoss' });
    expect(ch.got.map((a) => `${a.title} | ${a.body}`)).toEqual([
      'Entries stopped: daily loss limit | daily loss limit: daily loss 31.00 USDT reached the limit',
      'BTCUSDT long closed: stop loss | after take profit 1, kill switch off',
      'config.json edit rejected | risk.maxDailyLossPct: expected a number; symbols[0].params.stopLoss',
    ]);
  });
});
