import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import { KillSwitch } from '../../src/engine/killSwitch.js';
import { LedgerWriter } from '../../src/engine/ledgerWriter.js';
import { RiskGate } from '../../src/engine/riskGate.js';
import { kitRuntime, partsKit, T0, type PartsKit } from './partsKit.js';

const MINUTE = 60_000;

/** A gate over the bot's own equity (the kill switch's measure), as the Engine wires it; no symbols trading. */
function botGate(kit: PartsKit): RiskGate {
  const bot = new KillSwitch(kit.ctx, new LedgerWriter(kit.journal, kit.logger), () => [], (reason) => gate.killSwitch(reason));
  const gate = new RiskGate(kit.ctx, bot);
  return gate;
}

describe('RiskGate', () => {
  it('pause blocks entries until resume, and both are told to the owner', () => {
    const kit = partsKit();
    const gate = new RiskGate(kit.ctx);
    expect(gate.entryLock(T0)).toBeNull();
    gate.pause('owner asked');
    expect(gate.entryLock(T0 + 86_400_000), 'a pause has no end time').toEqual({ name: 'paused', reason: 'owner asked' });
    expect(gate.snapshot(T0).paused).toBe(true);
    gate.resume();
    expect(gate.entryLock(T0)).toBeNull();
    expect(kit.alerts.map((a) => [a.level, a.title])).toEqual([
      ['warning', 'Paused'],
      ['info', 'Resumed'],
    ]);
  });

  it('the kill switch locks entries with a critical alert; resume lifts it', () => {
    const kit = partsKit();
    const gate = new RiskGate(kit.ctx);
    gate.killSwitch('drawdown on the phone');
    expect(gate.entryLock(T0)?.name).toBe('killSwitch');
    expect(kit.alerts[0]).toMatchObject({ level: 'critical', kind: 'killSwitch', title: 'Kill switch' });
    expect(kit.store.state.protections.killSwitch?.reason, 'persisted: a restart keeps it').toBe('drawdown on the phone');
    gate.resume();
    expect(gate.entryLock(T0)).toBeNull();
  });

  it("the bot's own blocks (battery, clock) come first, live only in memory, and lift by themselves", () => {
    const kit = partsKit();
    const gate = new RiskGate(kit.ctx);
    gate.pause('owner');
    gate.setBlock('battery', 'battery at 9 %');
    expect(gate.entryLock(T0)).toEqual({ name: 'battery', reason: 'battery at 9 %' });
    expect(kit.store.state.protections.paused, 'the owner pause is still stored apart').not.toBeNull();
    gate.setBlock('battery', null);
    expect(gate.entryLock(T0)?.name).toBe('paused');
  });

  it('a loss streak locks entries for the cooldown, announced once, and the lock runs out by itself', () => {
    const kit = partsKit({ settings: { risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 2, cooldownMinutes: 30 }, maxOpenPositions: 2, dayTimeZone: 'UTC' } } });
    const gate = new RiskGate(kit.ctx);
    gate.recordTrade('BTCUSDT', dec('-1'), T0);
    expect(gate.evaluateProtections(T0)).toBeNull();
    gate.recordTrade('BTCUSDT', dec('-2'), T0 + MINUTE);
    const lock = gate.evaluateProtections(T0 + MINUTE);
    expect(lock?.kind).toBe('lossStreak');
    expect(gate.entryLock(T0 + 10 * MINUTE)?.name).toBe('consecutiveLoss');
    expect(gate.evaluateProtections(T0 + 2 * MINUTE), 'still locked').not.toBeNull();
    expect(kit.alerts.filter((a) => a.title === 'Entries stopped: consecutiveLoss'), 'announced once').toHaveLength(1);
    expect(gate.entryLock(T0 + 32 * MINUTE), 'cooldown over').toBeNull();
  });

  it("the day window: realised PnL adds up within a day and starts again at midnight (day zone) from the bot's equity then", () => {
    const kit = partsKit();
    const gate = botGate(kit);
    gate.noteEquity(dec('1000'));
    gate.recordTrade('BTCUSDT', dec('-12.5'), T0);
    gate.recordTrade('BTCUSDT', dec('2.25'), T0 + MINUTE);
    expect(kit.store.state.daily).toMatchObject({ dayStartMs: Date.UTC(2025, 5, 23), realisedPnl: '-10.25', botEquityAtDayStart: '1000' });
    expect(gate.snapshot(T0).realisedPnlToday).toBe('-10.25');
    gate.rollDailyWindow(Date.UTC(2025, 5, 24, 0, 0, 1));
    expect(kit.store.state.daily).toMatchObject({ dayStartMs: Date.UTC(2025, 5, 24), realisedPnl: '0', botEquityAtDayStart: '989.75' });
  });

  it("a daily loss of the bot's own beyond the limit locks entries until the next midnight", () => {
    const kit = partsKit({ settings: { risk: { maxDailyLossPct: 2, maxDrawdownPct: 90, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 2, dayTimeZone: 'UTC' } } });
    const gate = botGate(kit);
    gate.noteEquity(dec('1000'));
    gate.recordTrade('BTCUSDT', dec('-25'), T0);
    expect(gate.evaluateProtections(T0)?.kind).toBe('dailyLoss');
    expect(gate.entryLock(T0 + 3600_000)?.name).toBe('dailyLoss');
    expect(gate.entryLock(Date.UTC(2025, 5, 24, 0, 0, 1)), 'lifted at midnight UTC').toBeNull();
  });

  it("an open trade's loss reaching a limit exactly at a candle close inside the hour locks entries at that close, not one candle before", () => {
    // The bot's equity is measured at every close while a trade is open; between the hourly records
    // it is first worked out in doubles, and only near a limit in Decimal: the boundary stays exact.
    for (const [limits, lockName, price] of [
      [{ maxDailyLossPct: 2, maxDrawdownPct: 90 }, 'dailyLoss', 58_000],
      [{ maxDailyLossPct: 50, maxDrawdownPct: 3 }, 'drawdown', 57_000],
    ] as const) {
      const kit = partsKit({ settings: { risk: { ...limits, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 2, dayTimeZone: 'UTC' } } });
      const rt = kitRuntime(kit);
      const bot = new KillSwitch(kit.ctx, new LedgerWriter(kit.journal, kit.logger), () => [rt], (reason) => gate.killSwitch(reason));
      const gate = new RiskGate(kit.ctx, bot);
      gate.noteEquity(dec('1000'));
      gate.rollDailyWindow(T0);
      rt.roundTrip.apply({ execId: 'e1', orderId: 'o1', orderLinkId: 'l1', symbol: 'BTCUSDT', side: 'buy', price: dec('60000'), qty: dec('0.01'), fee: dec('0'), isMaker: false, ts: T0 });
      // 0.01 BTC from 60,000: a cent above the limit's price, then exactly at it (20 USDT = 2 % of 1,000; 30 USDT = 3 % of the peak 1,000).
      const closes = [60_000, 59_000, price + 1, price + 0.01, price];
      closes.forEach((close, i) => {
        const ts = T0 + i * MINUTE;
        rt.history.push({ ts, open: close, high: close, low: close, close, volume: 1 });
        gate.onCandle(ts + MINUTE);
        const locked = gate.entryLock(ts + MINUTE)?.name ?? null;
        expect(locked, `${lockName} at the close ${close}`).toBe(i === closes.length - 1 ? lockName : null);
      });
    }
  });

  it("the account's equity falling (another coin's price) is not the bot's loss: no daily-loss or drawdown lock", () => {
    const kit = partsKit({ settings: { risk: { maxDailyLossPct: 2, maxDrawdownPct: 10, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 2, dayTimeZone: 'UTC' } } });
    const gate = botGate(kit);
    gate.noteEquity(dec('2000'));
    gate.rollDailyWindow(T0);
    gate.noteBalance({ equity: dec('1000'), available: dec('1000'), walletBalance: dec('1000') });
    expect(gate.evaluateProtections(T0 + MINUTE)).toBeNull();
    expect(kit.store.state.botEquity).toMatchObject({ startEquity: '2000', peak: '2000' });
  });

  it("the bot's equity falling past the drawdown limit from its peak locks entries until the owner resumes once it is back, or accepts the loss", () => {
    const kit = partsKit({ settings: { risk: { maxDailyLossPct: 50, maxDrawdownPct: 10, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 2, dayTimeZone: 'UTC' } } });
    const gate = botGate(kit);
    gate.noteEquity(dec('1200'));
    gate.recordTrade('BTCUSDT', dec('-100'), T0);
    expect(gate.evaluateProtections(T0)).toBeNull();
    gate.recordTrade('BTCUSDT', dec('-21'), T0 + MINUTE);
    expect(gate.evaluateProtections(T0 + MINUTE)?.kind).toBe('drawdown');
    expect(kit.alerts.at(-1)).toMatchObject({ level: 'critical', kind: 'killSwitch', title: 'Entries stopped: drawdown' });
    expect(gate.entryLock(T0 + 30 * 86_400_000)?.name, 'no end time').toBe('drawdown');
    // Still 10 % below the peak: resuming would lock again at once, so the lock stays and the answer says how to accept the loss.
    expect(gate.resume()).toMatch(/^still locked: drawdown lock: the bot's equity 1079.00 USDT is 10.08 % below its peak 1200.00 USDT \(limit 10 %\).*run `resume --reset-peak`/);
    expect(gate.entryLock(T0)?.name).toBe('drawdown');
    expect(gate.resume(true)).toMatch(/^resumed: peak reset to the equity now \(1079.00 USDT\)/);
    expect(gate.entryLock(T0)).toBeNull();
    expect(kit.store.state.botEquity?.peak).toBe('1079');
    expect(gate.evaluateProtections(T0), 'measured from the new peak').toBeNull();
  });

  it("after a restart the bot's equity is known from the state file: a plain resume keeps the drawdown lock, resume --reset-peak accepts the loss", () => {
    const risk = { maxDailyLossPct: 50, maxDrawdownPct: 10, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 2, dayTimeZone: 'UTC' };
    const before = partsKit({ settings: { risk } });
    const first = botGate(before);
    first.noteEquity(dec('1200'));
    first.recordTrade('BTCUSDT', dec('-200'), T0);
    expect(first.evaluateProtections(T0)?.kind).toBe('drawdown');
    const kit = partsKit({ settings: { risk }, restartOf: before });
    const gate = botGate(kit);
    expect(gate.resume(), 'still 16.7 % below the peak').toMatch(/^still locked: drawdown lock: the bot's equity 1000.00 USDT/);
    expect(gate.entryLock(T0)?.name).toBe('drawdown');
    expect(gate.resume(true)).toMatch(/^resumed: peak reset to the equity now \(1000.00 USDT\)/);
    expect(gate.entryLock(T0)).toBeNull();
    expect(gate.evaluateProtections(T0 + MINUTE), 'no lock against the old peak').toBeNull();
  });

  it('sizes with the pushed balance while it is fresh, and asks the exchange once it is older than 30 s', async () => {
    const kit = partsKit();
    const gate = new RiskGate(kit.ctx);
    const pushed = { equity: dec('777'), available: dec('700'), walletBalance: dec('777') };
    gate.noteBalance(pushed);
    kit.clock += 29_000;
    expect(await gate.balance()).toBe(pushed);
    kit.clock += 2_000;
    expect((await gate.balance()).equity.toFixed(), "the simulator's wallet").toBe('1000');
  });

  it('the snapshot lists only locks still in force', () => {
    const kit = partsKit();
    const gate = new RiskGate(kit.ctx);
    kit.store.update((d) => {
      d.protections.consecutiveLoss = { reason: 'old streak', sinceMs: T0 - 2 * MINUTE, untilMs: T0 - MINUTE };
      d.protections.dailyLoss = { reason: 'down 5 %', sinceMs: T0, untilMs: T0 + 3600_000 };
    });
    expect(gate.snapshot(T0).locks).toEqual([{ name: 'dailyLoss', reason: 'down 5 %', untilMs: T0 + 3600_000 }]);
  });
});
