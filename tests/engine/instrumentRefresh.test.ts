/**
 * Bybit changes an instrument's rules while the bot runs (here its status: Trading → Delivering →
 * Trading). The `instrumentRefresh` schedule reloads them through the adapter; the engine decides
 * with the rules reloaded, against the sandbox through the real adapter.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderSentRecord } from '../../src/domain/journalRecord.js';
import { dec } from '../../src/domain/money.js';
import { LedgerWriter } from '../../src/engine/ledgerWriter.js';
import { makeOrderLinkId } from '../../src/engine/orderLinkId.js';
import { OrderSender, storedOrder } from '../../src/engine/orderSender.js';
import { RiskGate } from '../../src/engine/riskGate.js';
import { BTC_1M } from './harness.js';
import { partsKit, recordingLogger, T0, type LogLine } from './partsKit.js';
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

  it('an order the adapter refuses before sending it (the rules changed after the decision) is "not sent", not "Bybit said", and never trips the circuit breaker', async () => {
    story = await startSandboxStory({ candles: BTC_1M.slice(0, 300), history: 100 });
    // Bybit moved the symbol to Delivering and the adapter has reloaded its rules; the engine decided before.
    story.sandbox.account.instrumentStatus.set('BTCUSDT', 'Delivering');
    await story.exchange.loadInstruments(['BTCUSDT']);
    const kit = partsKit({ settings: { risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 2, dayTimeZone: 'UTC', circuitBreaker: { failures: 2, cooldownSeconds: 900 } } } });
    const ctx = { ...kit.ctx, port: story.exchange };
    const risk = new RiskGate(ctx);
    const sender = new OrderSender(ctx, new LedgerWriter(kit.journal, kit.logger), () => {}, (ok, error) => risk.orderOutcome(ok, error));
    for (let i = 0; i < 4; i++) {
      const orderLinkId = makeOrderLinkId('ps', 'BTCUSDT', { kind: 'entry', side: 'long' }, T0 + i * 60_000);
      const req = { symbol: 'BTCUSDT', side: 'buy' as const, type: 'market' as const, qty: dec('0.001'), price: null, timeInForce: 'IOC' as const, reduceOnly: false, orderLinkId, stopLoss: null, takeProfit: null };
      kit.store.update((d) => {
        d.symbols.BTCUSDT!.openOrders[orderLinkId] = storedOrder(req, 'entry', T0);
      });
      expect(await sender.send(req, 'entry', 'test')).toBe('refused');
    }
    expect(kit.store.state.symbols.BTCUSDT!.openOrders, 'the records are undone').toEqual({});
    expect(kit.store.state.protections.circuitBreaker ?? null, 'not an exchange failure').toBeNull();
    expect(risk.entryLock(T0)).toBeNull();
    const said = kit.alerts.map((a) => `${a.title}: ${a.body}`);
    expect(said.filter((t) => /Bybit said/.test(t))).toEqual([]);
    expect(said[0]).toMatch(/^BTCUSDT entry not sent: .*BTCUSDT is Delivering on Bybit, not Trading/);
    expect(kit.logs.filter((l) => /BTCUSDT entry not sent/.test(l.message)).length).toBe(4);
  }, 60_000);
});
