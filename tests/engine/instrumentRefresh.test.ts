/**
 * Bybit changes an instrument's rules while the bot runs (here its status: Trading → Delivering →
 * Trading). The `instrumentRefresh` schedule reloads them through the adapter; the engine decides
 * with the rules reloaded, against the sandbox through the real adapter.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderSentRecord } from '../../src/domain/journalRecord.js';
import { BTC_1M } from './harness.js';
import { recordingLogger, type LogLine } from './partsKit.js';
import { startSandboxStory, type SandboxStory } from './sandboxHarness.js';

let story: SandboxStory | null = null;
afterEach(async () => {
  await story?.close();
  story = null;
});

const entries = (s: SandboxStory) => s.journal.records.filter((r) => r.type === 'order' && (r as unknown as OrderSentRecord).purpose === 'entry');
const RISK = { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 2, dayTimeZone: 'UTC' };

describe('instrument rules reloaded while running', () => {
  it('a symbol Bybit moves to Delivering opens nothing, is said once, and never trips the circuit breaker; back to Trading, entries resume', async () => {
    const logs: LogLine[] = [];
    story = await startSandboxStory({ candles: BTC_1M.slice(0, 900), history: 100, logger: recordingLogger(logs), settings: { risk: { ...RISK, circuitBreaker: { failures: 2, cooldownSeconds: 900 } } } });
    story.sandbox.account.instrumentStatus.set('BTCUSDT', 'Delivering');
    await story.exchange.loadInstruments(['BTCUSDT']); // what the instrumentRefresh schedule runs
    const refused = () => logs.filter((l) => /BTCUSDT .*signal not traded: BTCUSDT is Delivering on Bybit, not Trading/.test(l.message));
    for (let i = 0; i < 300 && refused().length < 3; i++) await story.step(2, 2);
    expect(refused().length, 'signals came and were refused by the engine').toBeGreaterThanOrEqual(3);
    expect(entries(story), 'no entry even sent').toEqual([]);
    expect(story.store.state.protections.circuitBreaker ?? null, 'the circuit breaker stays closed').toBeNull();
    expect(logs.filter((l) => /is Delivering on Bybit, not Trading: no new entries or quotes/.test(l.message)), 'said once').toHaveLength(1);
    expect(story.alerts.filter((a) => /refused|Bybit said/.test(`${a.title} ${a.body}`))).toEqual([]);

    story.sandbox.account.instrumentStatus.set('BTCUSDT', 'Trading');
    await story.exchange.loadInstruments(['BTCUSDT']);
    for (let i = 0; i < 300 && entries(story).length === 0; i++) await story.step(2, 2);
    expect(entries(story).length, 'entries resume').toBeGreaterThan(0);
    expect(logs.filter((l) => /BTCUSDT is Trading on Bybit again/.test(l.message))).toHaveLength(1);
  }, 180_000);
});
