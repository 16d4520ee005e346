/**
 * Upgrades older `state.json` layouts to the current one (issue 6: "a schema version with
 * migrations"). Each step is validated against its own version's schema before it runs, and the
 * result against the current schema, so a half-understood file is refused, never guessed at.
 *
 * Version 1 was the first draft of the layout: flat maps of positions, orders, cooldowns and locks
 * keyed by symbol or name. Version 2 (current) groups everything per symbol, records each open
 * order's purpose and fill progress, keeps the take-profit ladder as rungs with their own order ids,
 * and remembers the mode the bot last ran in.
 */
import * as v from 'valibot';
import { DecimalString, PersistedStateSchema, STATE_SCHEMA_VERSION, TimestampMs, emptySymbolState, isJsonValue } from '../domain/persistedState.js';
import type { JsonValue, PersistedState, SymbolState } from '../domain/persistedState.js';

const LockV1 = v.object({ reason: v.string(), since: TimestampMs, until: v.nullable(TimestampMs) });

export const StateV1Schema = v.object({
  schemaVersion: v.literal(1),
  updatedMs: TimestampMs,
  positions: v.record(
    v.string(),
    v.object({
      side: v.picklist(['long', 'short']),
      size: DecimalString,
      entryPrice: DecimalString,
      openedMs: TimestampMs,
      stopPrice: v.nullable(DecimalString),
      stopOrderId: v.nullable(v.string()),
      /** Take-profit prices, nearest first, with equal shares of the size. */
      targets: v.array(DecimalString),
      /** How many of `targets` have filled. */
      targetsFilled: v.pipe(v.number(), v.integer(), v.minValue(0)),
    }),
  ),
  orders: v.record(
    v.string(),
    v.object({
      symbol: v.string(),
      orderId: v.nullable(v.string()),
      side: v.picklist(['buy', 'sell']),
      type: v.picklist(['market', 'limit']),
      price: v.nullable(DecimalString),
      qty: DecimalString,
      reduceOnly: v.boolean(),
      createdMs: TimestampMs,
    }),
  ),
  cooldowns: v.record(v.string(), TimestampMs),
  locks: v.object({
    dailyLoss: v.nullable(LockV1),
    drawdown: v.nullable(LockV1),
    consecutiveLoss: v.nullable(LockV1),
    killSwitch: v.nullable(LockV1),
    paused: v.nullable(LockV1),
  }),
  daily: v.nullable(v.object({ dayStartMs: TimestampMs, realisedPnl: DecimalString, equityAtDayStart: v.nullable(DecimalString) })),
  equityPeak: v.nullable(DecimalString),
  clock: v.custom<JsonValue>((x) => isJsonValue(x)),
});
export type StateV1 = v.InferOutput<typeof StateV1Schema>;

export function migrateV1toV2(old: StateV1): PersistedState {
  const symbols: Record<string, SymbolState> = {};
  const entry = (symbol: string): SymbolState => (symbols[symbol] ??= emptySymbolState());
  for (const [symbol, p] of Object.entries(old.positions)) {
    const size = p.size;
    // v1 split the size equally across the rungs; keep that, to the digit, as each rung's qty.
    const n = p.targets.length;
    entry(symbol).position = {
      side: p.side,
      size,
      entryPrice: p.entryPrice,
      openedMs: p.openedMs,
      entryOrderLinkId: null,
      stop: p.stopPrice === null ? null : { price: p.stopPrice, orderLinkId: null, orderId: p.stopOrderId },
      targets: p.targets.map((price, i) => ({ price, qty: n === 0 ? '0' : divideEvenly(size, n), filled: i < p.targetsFilled, orderLinkId: null, orderId: null })),
    };
  }
  for (const [orderLinkId, o] of Object.entries(old.orders)) {
    entry(o.symbol).openOrders[orderLinkId] = {
      orderLinkId,
      orderId: o.orderId,
      side: o.side,
      type: o.type,
      // v1 had no purpose: a reduce-only order can only have been closing a position.
      purpose: o.reduceOnly ? 'exit' : 'entry',
      status: o.orderId === null ? 'pending' : 'new',
      price: o.price,
      qty: o.qty,
      filledQty: '0',
      reduceOnly: o.reduceOnly,
      createdMs: o.createdMs,
    };
  }
  for (const [symbol, untilMs] of Object.entries(old.cooldowns)) entry(symbol).cooldownUntilMs = untilMs;
  const lock = (l: StateV1['locks']['dailyLoss']) => (l === null ? null : { reason: l.reason, sinceMs: l.since, untilMs: l.until });
  return {
    schemaVersion: 2,
    updatedMs: old.updatedMs,
    mode: null,
    symbols,
    protections: {
      dailyLoss: lock(old.locks.dailyLoss),
      drawdown: lock(old.locks.drawdown),
      consecutiveLoss: lock(old.locks.consecutiveLoss),
      killSwitch: lock(old.locks.killSwitch),
      paused: lock(old.locks.paused),
      circuitBreaker: null,
    },
    // The v1 window's base was the account's equity; the bot's own takes its place when next measured.
    daily: old.daily === null ? null : { dayStartMs: old.daily.dayStartMs, realisedPnl: old.daily.realisedPnl, botEquityAtDayStart: null },
    equityPeak: old.equityPeak === null ? null : { equity: old.equityPeak, atMs: old.updatedMs },
    botEquity: null,
    lastClock: old.clock,
  };
}

/** size / n as a plain decimal string, exact for the decimal sizes v1 stored (a bounded long division). */
function divideEvenly(size: string, n: number): string {
  const neg = size.startsWith('-');
  const [intPart = '0', fracPart = ''] = (neg ? size.slice(1) : size).split('.');
  const scale = fracPart.length + 12;
  const scaled = BigInt(intPart + fracPart.padEnd(scale, '0'));
  const q = (scaled / BigInt(n)).toString().padStart(scale + 1, '0');
  const whole = q.slice(0, q.length - scale);
  const frac = q.slice(q.length - scale).replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac === '' ? '' : `.${frac}`}`;
}

export type MigrationResult =
  | { readonly ok: true; readonly state: PersistedState; readonly fromVersion: number }
  | { readonly ok: false; readonly problem: 'schema'; readonly path: string; readonly detail: string }
  | { readonly ok: false; readonly problem: 'newer-version'; readonly detail: string };

/** Validates any known layout and brings it to the current version. Pure: writes nothing. */
export function migrateState(raw: unknown): MigrationResult {
  const version = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { schemaVersion?: unknown }).schemaVersion : undefined;
  if (typeof version === 'number' && Number.isInteger(version) && version > STATE_SCHEMA_VERSION) {
    return { ok: false, problem: 'newer-version', detail: `schemaVersion ${version}, this build reads up to ${STATE_SCHEMA_VERSION}` };
  }
  if (version === 1) {
    const old = v.safeParse(StateV1Schema, raw);
    if (!old.success) return schemaFailure(old.issues);
    return checkCurrent(migrateV1toV2(old.output), 1);
  }
  return checkCurrent(raw, STATE_SCHEMA_VERSION);
}

function checkCurrent(candidate: unknown, fromVersion: number): MigrationResult {
  const parsed = v.safeParse(PersistedStateSchema, candidate);
  if (!parsed.success) return schemaFailure(parsed.issues);
  return { ok: true, state: parsed.output, fromVersion };
}

function schemaFailure(issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): MigrationResult {
  const first = issues[0];
  return { ok: false, problem: 'schema', path: v.getDotPath(first) ?? '(root)', detail: first.message };
}
