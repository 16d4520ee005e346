/**
 * Issue 7's stories, a trader's view of the engine, against the sandbox through the real adapter
 * (ccxt REST and ws streams on loopback, requests signed with the measured clock), on stretches
 * of the real BTCUSDT data. After every step, an open position must carry its exchange stop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readCandleFile } from '../../src/domain/candleCsv.js';
import type { ExitRecord, FillRecord, OrderSentRecord } from '../../src/domain/journalRecord.js';
import { dec } from '../../src/domain/money.js';
import { nextDayStartMs } from '../../src/engine/protections.js';
import { parseOrderLinkId } from '../../src/engine/orderLinkId.js';
import { BTC_1M, SCALPER_SETTINGS } from './harness.js';
import { startSandboxStory, type SandboxStory } from './sandboxHarness.js';

let story: SandboxStory | null = null;
afterEach(async () => {
  await story?.close();
  story = null;
});

const TRAILING = { ...SCALPER_SETTINGS, exits: { ...SCALPER_SETTINGS.exits!, ladderFractions: [0.4, 0.3, 0.2, 0.1], trailing: { enabled: true, activationR: 1.5, distancePct: 0.1 } } };

function protectedCheck(s: SandboxStory, bad: string[]): () => void {
  return () => {
    const p = s.sandbox.sim.position('BTCUSDT');
    if (p.side !== null && p.stopLoss === null && p.trailingStop === null) bad.push(`${p.side} ${p.size.toFixed()} without a stop`);
  };
}

const records = <T extends { type: string }>(s: SandboxStory, type: T['type']) => s.journal.records.filter((r) => r.type === type) as unknown as T[];
const stampOf = (linkId: string) => parseOrderLinkId('ps', linkId)?.stampMs ?? null;

describe('engine stories on the sandbox (real ccxt and ws)', () => {
  it('entry → TP1 → stop to breakeven → TP2 → trailing exit; and a stop-loss hit that loses about the planned risk', async () => {
    story = await startSandboxStory({ candles: BTC_1M.slice(0, 500), history: 100, symbol: TRAILING });
    const bad: string[] = [];
    await story.step(300, 3, protectedCheck(story, bad));
    expect(bad, 'a position without its exchange stop').toEqual([]);

    const exits = records<ExitRecord>(story, 'exit');
    const fills = records<FillRecord>(story, 'fill');
    // A whole trailing story: its entry's stamp names its targets; T1 and T2 filled, breakeven
    // announced, then the exchange's trailing stop closed the rest.
    const trailing = exits.filter((e) => e.reason === 'trailingStop');
    const complete = trailing.find((e) => {
      const tFills = fills.filter((f) => f.ts <= e.ts && f.ts >= e.entryTs && /-T[12]-/.test(f.orderLinkId));
      return new Set(tFills.map((f) => f.orderLinkId.split('-')[2])).size === 2;
    });
    expect(complete, `no trailing exit after TP1 and TP2 among ${exits.map((e) => e.reason).join(',')}`).toBeDefined();
    expect(story.alerts.some((a) => a.kind === 'breakeven')).toBe(true);
    expect(dec(complete!.pnl).gt(0), 'a trade that reached TP2 and trailed out made money').toBe(true);

    // Stop-loss hits: each loses about the planned risk (1 % of ~1000 USDT), never much more.
    const stops = exits.filter((e) => e.reason === 'stopLoss' && dec(e.pnl).isNegative());
    expect(stops.length).toBeGreaterThan(0);
    for (const e of stops) expect(dec(e.pnl).gt(-15), `stop loss of ${e.pnl} USDT on a 10 USDT risk`).toBe(true);
  }, 120_000);

  it('an entry filled only partly: the rest is cancelled, protection and the ladder cover exactly what filled', async () => {
    // A thin book: market entries find half their quantity; IOC cancels the rest.
    story = await startSandboxStory({ candles: BTC_1M.slice(0, 400), history: 100, faults: 'thin=0.5' });
    const bad: string[] = [];
    await story.step(150, 3, protectedCheck(story, bad));
    expect(bad).toEqual([]);
    const entries = story.sandbox.sim.orders('BTCUSDT').filter((o) => parseOrderLinkId('ps', o.orderLinkId)?.role.kind === 'entry');
    const partial = entries.find((o) => o.cumExecQty.gt(0) && o.cumExecQty.lt(o.qty));
    expect(partial, 'an entry that filled only partly').toBeDefined();
    expect(['Cancelled', 'PartiallyFilledCanceled']).toContain(partial!.status);
    const targets = records<OrderSentRecord>(story, 'order').filter((o) => o.purpose === 'takeProfit' && stampOf(o.orderLinkId) === stampOf(partial!.orderLinkId));
    const laddered = targets.reduce((s, o) => s.plus(o.qty), dec(0));
    expect(laddered.toFixed(), 'the ladder splits exactly the filled quantity').toBe(partial!.cumExecQty.toFixed());
  }, 120_000);

  it('a manual close on the exchange is recorded, not fought; the kill switch then flattens and blocks entries', async () => {
    story = await startSandboxStory({ candles: BTC_1M.slice(0, 600), history: 100 });
    const sim = story.sandbox.sim;
    for (let i = 0; i < 200 && sim.position('BTCUSDT').side === null; i++) await story.step(1);
    const pos = sim.position('BTCUSDT');
    expect(pos.side).not.toBeNull();
    // The owner closes it by hand on Bybit.
    const closed = sim.placeOrder({ symbol: 'BTCUSDT', side: pos.side === 'buy' ? 'sell' : 'buy', orderType: 'market', qty: pos.size, reduceOnly: true });
    expect(closed.ok).toBe(true);
    await story.step(2);
    expect(sim.position('BTCUSDT').side).toBeNull();
    const last = records<ExitRecord>(story, 'exit').at(-1)!;
    expect(last.reason).toBe('manual');
    expect(sim.openOrders('BTCUSDT').filter((o) => o.orderLinkId.startsWith('ps-')), 'its ladder is cancelled').toEqual([]);
    expect(story.store.state.symbols.BTCUSDT?.position ?? null).toBeNull();

    // Next position, then the kill switch.
    for (let i = 0; i < 300 && sim.position('BTCUSDT').side === null; i++) await story.step(1);
    expect(sim.position('BTCUSDT').side).not.toBeNull();
    await story.engine.killSwitch('test');
    await story.step(1);
    expect(sim.position('BTCUSDT').side).toBeNull();
    expect(sim.openOrders('BTCUSDT').filter((o) => o.orderLinkId.startsWith('ps-'))).toEqual([]);
    const sent = records<OrderSentRecord>(story, 'order').length;
    await story.step(60, 3);
    expect(records<OrderSentRecord>(story, 'order').filter((o) => o.purpose === 'entry').length, 'no entry after the kill switch').toBe(
      records<OrderSentRecord>(story, 'order').slice(0, sent).filter((o) => o.purpose === 'entry').length,
    );
  }, 120_000);

  it('the daily loss limit stops entries for the rest of the day and lifts at midnight', async () => {
    // 5-minute candles: a day is 288 of them.
    const fiveMin = readCandleFile(new URL('../../data/bybit-BTCUSDT-5m.csv.gz', import.meta.url).pathname);
    story = await startSandboxStory({
      candles: fiveMin.slice(0, 900),
      history: 100,
      symbol: { ...SCALPER_SETTINGS, intervalMinutes: 5 },
      settings: { risk: { maxDailyLossPct: 0.5, maxDrawdownPct: 90, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 2, dayTimeZone: 'UTC' } },
    });
    let first: { sinceMs: number; untilMs: number | null } | null = null;
    await story.step(700, 4, () => {
      const lock = story!.store.state.protections.dailyLoss;
      if (lock && first === null) first = { sinceMs: lock.sinceMs, untilMs: lock.untilMs };
    });
    expect(first, 'a losing day reached the 0.5 % limit').not.toBeNull();
    const { sinceMs, untilMs } = first!;
    expect(untilMs, 'until the next UTC midnight').toBe(nextDayStartMs(sinceMs, 'UTC'));
    const entries = records<OrderSentRecord>(story, 'order').filter((o) => o.purpose === 'entry');
    expect(entries.filter((o) => o.ts >= sinceMs && o.ts < untilMs!), 'no entry while locked').toEqual([]);
    expect(entries.some((o) => o.ts >= untilMs!), 'entries resume the next day').toBe(true);
  }, 120_000);
});
