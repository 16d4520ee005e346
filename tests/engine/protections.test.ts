import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import { activeLocks, dailyLossLock, drawdownLock, lossStreakLock, nextDayStartMs, startOfDayMs, type ClosedTrade } from '../../src/engine/protections.js';

const t = (iso: string) => Date.parse(iso);
const trade = (iso: string, pnl: string): ClosedTrade => ({ symbol: 'BTCUSDT', closedAtMs: t(iso), pnl: dec(pnl) });

describe('day boundaries in a time zone', () => {
  it('finds local midnight, including across daylight-saving changes', () => {
    expect(startOfDayMs(t('2026-11-21T15:00:00Z'), 'UTC')).toBe(t('2026-11-21T00:00:00Z'));
    // Berlin is UTC+1 in November: local midnight is 23:00 UTC the day before.
    expect(startOfDayMs(t('2026-11-21T15:00:00Z'), 'Europe/Berlin')).toBe(t('2026-11-20T23:00:00Z'));
    expect(startOfDayMs(t('2026-11-20T23:30:00Z'), 'Europe/Berlin')).toBe(t('2026-11-20T23:00:00Z'));
    // 29 March 2026: clocks jump 02:00 → 03:00 in Berlin; the day began at 00:00 CET = 23:00 UTC on the 28th,
    // and the next day begins at 00:00 CEST = 22:00 UTC on the 29th (a 23-hour day).
    expect(startOfDayMs(t('2026-03-29T12:00:00Z'), 'Europe/Berlin')).toBe(t('2026-03-28T23:00:00Z'));
    expect(nextDayStartMs(t('2026-03-29T12:00:00Z'), 'Europe/Berlin')).toBe(t('2026-03-29T22:00:00Z'));
    expect(nextDayStartMs(t('2026-11-21T15:00:00Z'), 'America/New_York')).toBe(t('2026-11-22T05:00:00Z'));
  });
});

describe('daily loss limit', () => {
  const base = { timeZone: 'UTC', dayStartEquity: dec('1000'), maxDailyLossPct: 3 };
  it("locks when the bot's equity falls the limit's share of its value at the day's start, until the next midnight", () => {
    expect(dailyLossLock({ ...base, equity: dec('970.01'), nowMs: t('2026-11-21T10:00:00Z') })).toBeNull();
    const lock = dailyLossLock({ ...base, equity: dec('970'), nowMs: t('2026-11-21T10:00:00Z') });
    expect(lock).toMatchObject({ kind: 'dailyLoss', untilMs: t('2026-11-22T00:00:00Z') });
    expect(lock?.reason).toBe("daily loss 30.00 USDT reached the limit of 3 % (30.00 USDT) of the bot's equity at the day's start (1000.00 USDT)");
    expect(dailyLossLock({ ...base, equity: dec('1200'), nowMs: t('2026-11-21T10:00:00Z') }), 'a gain').toBeNull();
  });
});

describe('drawdown and loss streak', () => {
  it('locks at the drawdown limit until the owner resumes', () => {
    expect(drawdownLock({ equityPeak: dec('1200'), equity: dec('1021'), maxDrawdownPct: 15, nowMs: 0 })).toBeNull();
    expect(drawdownLock({ equityPeak: dec('1200'), equity: dec('1020'), maxDrawdownPct: 15, nowMs: 0 })).toMatchObject({ kind: 'drawdown', untilMs: null });
    // A billionth of a cent from the limit, either side: decided on the decimals, not on doubles.
    expect(drawdownLock({ equityPeak: dec('1200'), equity: dec('1020.00000000001'), maxDrawdownPct: 15, nowMs: 0 })).toBeNull();
    expect(drawdownLock({ equityPeak: dec('1200'), equity: dec('1019.99999999999'), maxDrawdownPct: 15, nowMs: 0 })).not.toBeNull();
    expect(dailyLossLock({ dayStartEquity: dec('1000'), equity: dec('970.00000000001'), maxDailyLossPct: 3, timeZone: 'UTC', nowMs: 0 })).toBeNull();
    expect(dailyLossLock({ dayStartEquity: dec('1000'), equity: dec('969.99999999999'), maxDailyLossPct: 3, timeZone: 'UTC', nowMs: 0 })).not.toBeNull();
  });
  it('locks after N losses in a row for the cooldown, and a win breaks the streak', () => {
    const losses = [trade('2026-11-21T08:00:00Z', '-1'), trade('2026-11-21T08:10:00Z', '-2'), trade('2026-11-21T08:20:00Z', '-0.5')];
    const lock = lossStreakLock({ trades: losses, nowMs: t('2026-11-21T08:30:00Z'), losses: 3, cooldownMinutes: 60 });
    expect(lock).toMatchObject({ kind: 'lossStreak', untilMs: t('2026-11-21T09:20:00Z') });
    expect(lossStreakLock({ trades: losses, nowMs: t('2026-11-21T09:20:00Z'), losses: 3, cooldownMinutes: 60 })).toBeNull();
    expect(lossStreakLock({ trades: [...losses, trade('2026-11-21T08:25:00Z', '3')], nowMs: t('2026-11-21T08:30:00Z'), losses: 3, cooldownMinutes: 60 })).toBeNull();
    expect(activeLocks([lock!], t('2026-11-21T09:19:59Z'))).toHaveLength(1);
    expect(activeLocks([lock!], t('2026-11-21T09:20:00Z'))).toHaveLength(0);
  });
});
