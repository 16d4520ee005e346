/**
 * Protections (STYLE point 11): pure functions of trade history, equity and time that return a lock
 * or null. The engine asks them before every entry; a lock stops new entries and never touches the
 * management of open positions.
 *
 * - daily loss: the bot's equity (./killSwitch.ts: its own realised and open PnL, fees and funding;
 *   nothing else the account holds) falls maxDailyLossPct of its value at the day's start (midnight
 *   in the configured zone) below that value → locked until the next midnight;
 * - drawdown: the bot's equity falls maxDrawdownPct below its peak → locked until the owner resets
 *   the peak (`resume --reset-peak`) or the equity recovers and the owner resumes;
 * - loss streak: the last N closed trades all lost → locked for cooldownMinutes after the last one.
 */
import type { Decimal } from '../domain/money.js';

export type LockKind = 'dailyLoss' | 'drawdown' | 'lossStreak' | 'killSwitch' | 'paused' | 'battery' | 'clock';

export interface Lock {
  readonly kind: LockKind;
  readonly reason: string;
  readonly sinceMs: number;
  /** null = until the owner lifts it (`resume`). */
  readonly untilMs: number | null;
}

export interface ClosedTrade {
  readonly symbol: string;
  readonly closedAtMs: number;
  /** Net of fees. */
  readonly pnl: Decimal;
}

/** Building an Intl.DateTimeFormat is costly (a fifth of a backtest's time): one per zone. */
const formats = new Map<string, Intl.DateTimeFormat>();

/** UTC offset of a time zone at an instant, in ms (positive east of Greenwich). */
function zoneOffsetMs(ms: number, timeZone: string): number {
  // UTC (the default) needs no Intl: its first use loads ICU's data, 8 MB of a phone's memory.
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(ms);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The last plain local day computed per zone, [startMs, endMs): the engine asks for the day of
 * "now" on every entry and trade of a backtest, and each computation formats dates (Intl).
 */
const lastDays = new Map<string, { readonly startMs: number; readonly endMs: number }>();
const DAY_MS = 86_400_000;

/** The instant local midnight began, for the local day containing `ms` in `timeZone`. */
export function startOfDayMs(ms: number, timeZone: string): number {
  const day = lastDays.get(timeZone);
  if (day !== undefined && ms >= day.startMs && ms < day.endMs) return day.startMs;
  const startMs = computeStartOfDayMs(ms, timeZone);
  // 26 h after a midnight is always inside the next local day, whatever DST does.
  const endMs = computeStartOfDayMs(startMs + 26 * 3_600_000, timeZone);
  // Remembered only for a plain day: 24 h at one UTC offset, starting at a local midnight. Every
  // instant of it then has the same local midnight, so the computation would give startMs again.
  const offset = zoneOffsetMs(startMs, timeZone);
  if (endMs - startMs === DAY_MS && offset === zoneOffsetMs(endMs - 1, timeZone) && (startMs + offset) % DAY_MS === 0) {
    lastDays.set(timeZone, { startMs, endMs });
  }
  return startMs;
}

function computeStartOfDayMs(ms: number, timeZone: string): number {
  const local = ms + zoneOffsetMs(ms, timeZone);
  const midnightLocal = Math.floor(local / 86_400_000) * 86_400_000;
  // The offset at midnight can differ from the offset now (a DST change during the day): settle it.
  let guess = midnightLocal - zoneOffsetMs(midnightLocal, timeZone);
  guess = midnightLocal - zoneOffsetMs(guess, timeZone);
  return guess;
}

/** The instant the next local day begins. */
export function nextDayStartMs(ms: number, timeZone: string): number {
  const start = startOfDayMs(ms, timeZone);
  const day = lastDays.get(timeZone);
  if (day !== undefined && day.startMs === start) return day.endMs;
  return computeStartOfDayMs(start + 26 * 3_600_000, timeZone);
}

/** The day's loss is what the bot's equity lost since the day began: a loss does not wait to be realised. */
export function dailyLossLock(a: { readonly dayStartEquity: Decimal; readonly equity: Decimal; readonly nowMs: number; readonly timeZone: string; readonly maxDailyLossPct: number }): Lock | null {
  if (a.dayStartEquity.lte(0)) return null;
  const start = a.dayStartEquity.toNumber();
  if (clearlyBelow(start - a.equity.toNumber(), (start * a.maxDailyLossPct) / 100, start)) return null;
  const loss = a.dayStartEquity.minus(a.equity);
  const limit = a.dayStartEquity.mul(a.maxDailyLossPct).div(100);
  if (loss.lt(limit)) return null;
  return {
    kind: 'dailyLoss',
    reason: `daily loss ${loss.toFixed(2)} USDT reached the limit of ${a.maxDailyLossPct} % (${limit.toFixed(2)} USDT) of the bot's equity at the day's start (${a.dayStartEquity.toFixed(2)} USDT)`,
    sinceMs: a.nowMs,
    untilMs: nextDayStartMs(a.nowMs, a.timeZone),
  };
}

export function drawdownLock(a: { readonly equityPeak: Decimal; readonly equity: Decimal; readonly maxDrawdownPct: number; readonly nowMs: number }): Lock | null {
  if (a.equityPeak.lte(0)) return null;
  const peak = a.equityPeak.toNumber();
  if (clearlyBelow((peak - a.equity.toNumber()) * 100, a.maxDrawdownPct * peak, 100 * peak)) return null;
  const ddPct = a.equityPeak.minus(a.equity).div(a.equityPeak).mul(100);
  if (ddPct.lt(a.maxDrawdownPct)) return null;
  return {
    kind: 'drawdown',
    reason: `the bot's equity ${a.equity.toFixed(2)} USDT is ${ddPct.toFixed(2)} % below its peak ${a.equityPeak.toFixed(2)} USDT (limit ${a.maxDrawdownPct} %); to accept the loss and trade on, run \`resume --reset-peak\``,
    sinceMs: a.nowMs,
    untilMs: null,
  };
}

/**
 * `x < limit` for the real numbers the doubles stand for, when it holds by far more than the
 * doubles' rounding (terms of about `scale`): then the Decimal working (a division at 40 digits,
 * most of a trade's protection checks) is not needed; otherwise false, and Decimal decides.
 */
function clearlyBelow(x: number, limit: number, scale: number): boolean {
  return x + 1e-9 * (Math.abs(x) + Math.abs(limit) + Math.abs(scale)) < limit;
}

export function lossStreakLock(a: { readonly trades: readonly ClosedTrade[]; readonly nowMs: number; readonly losses: number; readonly cooldownMinutes: number }): Lock | null {
  const closed = a.trades.filter((t) => t.closedAtMs <= a.nowMs).sort((x, y) => x.closedAtMs - y.closedAtMs);
  if (closed.length < a.losses) return null;
  const last = closed.slice(-a.losses);
  if (!last.every((t) => t.pnl.isNegative())) return null;
  const lastAt = last[last.length - 1]!.closedAtMs;
  const untilMs = lastAt + a.cooldownMinutes * 60_000;
  if (untilMs <= a.nowMs) return null;
  return { kind: 'lossStreak', reason: `${a.losses} losing trades in a row; pausing entries for ${a.cooldownMinutes} minutes`, sinceMs: lastAt, untilMs };
}

/** Drops locks whose time has passed. */
export function activeLocks(locks: readonly Lock[], nowMs: number): Lock[] {
  return locks.filter((l) => l.untilMs === null || l.untilMs > nowMs);
}

