/**
 * The shape of `state.json` (issue 6, part 1): what the bot needs to resume after being killed.
 * Money and quantities are Decimal strings (STYLE point 8); times are Unix ms. Everything here is
 * validated with valibot on load and after every update (by src/state), so a file that loads is a file the
 * engine can trust. Older layouts are upgraded by ./migrations.ts.
 */
import * as v from 'valibot';
import { MODES } from '../domain/types.js';

export const STATE_SCHEMA_VERSION = 2;

/** A plain decimal string as stored for money and quantities: "-12.5", "0.001", never "1e-7". */
export const DecimalString = v.pipe(v.string(), v.regex(/^-?\d+(\.\d+)?$/, 'expected a plain decimal string such as "123.45"'));

export const TimestampMs = v.pipe(v.number(), v.integer('expected whole milliseconds'), v.minValue(0));

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export function isJsonValue(x: unknown, depth = 0): x is JsonValue {
  if (depth > 32) return false;
  if (x === null || typeof x === 'boolean' || typeof x === 'string') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (Array.isArray(x)) return x.every((e) => isJsonValue(e, depth + 1));
  if (typeof x === 'object') return Object.values(x).every((e) => isJsonValue(e, depth + 1));
  return false;
}

/**
 * A plain JSON copy of `x` (e.g. the clock's `ClockMeasurement`, whose interface TypeScript will not
 * treat as JSON) for `lastClock`. Throws TypeError when `x` does not survive JSON unchanged in kind.
 */
export function toJsonValue(x: unknown): JsonValue {
  const copy: unknown = JSON.parse(JSON.stringify(x) ?? 'null');
  if (!isJsonValue(copy)) throw new TypeError('not representable as JSON');
  return copy;
}

const Json = v.custom<JsonValue>((x) => isJsonValue(x), 'expected a JSON value');

/** Why a protection stops new entries, since when, and until when (null: until cleared by hand). */
export const ProtectionLockSchema = v.object({
  reason: v.string(),
  sinceMs: TimestampMs,
  untilMs: v.nullable(TimestampMs),
});

/** The stop loss protecting a position on the exchange (DESIGN section 1: placed with the entry). */
export const StopStateSchema = v.object({
  price: DecimalString,
  /** Our id of the stop order, or null when the stop is attached to the position (trading-stop). */
  orderLinkId: v.nullable(v.string()),
  orderId: v.nullable(v.string()),
});

/** One rung of the take-profit ladder; `filled` records progress so a restart does not redo it. */
export const TakeProfitTargetSchema = v.object({
  price: DecimalString,
  qty: DecimalString,
  filled: v.boolean(),
  orderLinkId: v.nullable(v.string()),
  orderId: v.nullable(v.string()),
});

/** The position the bot believes it holds (start-up reconciles it with the exchange). */
export const PositionStateSchema = v.object({
  side: v.picklist(['long', 'short']),
  size: DecimalString,
  entryPrice: DecimalString,
  openedMs: TimestampMs,
  entryOrderLinkId: v.nullable(v.string()),
  stop: v.nullable(StopStateSchema),
  targets: v.array(TakeProfitTargetSchema),
});

export const ORDER_PURPOSES = ['entry', 'exit', 'stopLoss', 'takeProfit', 'quote'] as const;
/** Only live statuses are stored: terminal orders leave `openOrders` (their history is the journal). */
export const OPEN_ORDER_STATUSES = ['pending', 'new', 'partiallyFilled'] as const;

export const OpenOrderStateSchema = v.object({
  orderLinkId: v.string(),
  /** Null until the exchange acknowledges it (status `pending`). */
  orderId: v.nullable(v.string()),
  side: v.picklist(['buy', 'sell']),
  type: v.picklist(['market', 'limit']),
  purpose: v.picklist(ORDER_PURPOSES),
  status: v.picklist(OPEN_ORDER_STATUSES),
  price: v.nullable(DecimalString),
  qty: DecimalString,
  filledQty: DecimalString,
  reduceOnly: v.boolean(),
  createdMs: TimestampMs,
});

/**
 * An open order on the account that is not the bot's: a manual one, another program's, or a
 * position's own conditional TP/SL/trailing order (`conditional` names it). Shown by `status`;
 * the bot never cancels or amends it.
 */
export const OtherOrderStateSchema = v.object({
  orderId: v.string(),
  orderLinkId: v.string(),
  side: v.picklist(['buy', 'sell']),
  type: v.picklist(['market', 'limit']),
  price: v.nullable(DecimalString),
  qty: DecimalString,
  conditional: v.nullable(v.picklist(['stopLoss', 'takeProfit', 'trailingStop', 'stop'])),
  triggerPrice: v.nullable(DecimalString),
  createdMs: TimestampMs,
});

export const SymbolStateSchema = v.object({
  position: v.nullable(PositionStateSchema),
  /** Keyed by `orderLinkId` (deterministic, so a restart knows what it already sent). */
  openOrders: v.pipe(
    v.record(v.string(), OpenOrderStateSchema),
    v.check((orders) => Object.entries(orders).every(([key, o]) => key === o.orderLinkId), 'each open order must be stored under its own orderLinkId'),
  ),
  /** The strategy sends no new entry on this symbol before this time. */
  cooldownUntilMs: v.nullable(TimestampMs),
  /** Open orders that are not the bot's, as last seen (state files before it lack the field). */
  otherOrders: v.optional(v.array(OtherOrderStateSchema)),
});

export const PROTECTION_NAMES = ['dailyLoss', 'drawdown', 'consecutiveLoss', 'killSwitch', 'paused', 'circuitBreaker'] as const;
export type ProtectionName = (typeof PROTECTION_NAMES)[number];
/** Each protection as a person reads it (notifications, `status`, log lines): one map for all of them. */
export const PROTECTION_WORDS: Readonly<Record<ProtectionName, string>> = {
  dailyLoss: 'daily loss limit',
  drawdown: 'drawdown',
  consecutiveLoss: 'loss streak',
  killSwitch: 'kill switch',
  paused: 'paused',
  circuitBreaker: 'circuit breaker',
};

export const ProtectionsSchema = v.object({
  dailyLoss: v.nullable(ProtectionLockSchema),
  drawdown: v.nullable(ProtectionLockSchema),
  consecutiveLoss: v.nullable(ProtectionLockSchema),
  killSwitch: v.nullable(ProtectionLockSchema),
  paused: v.nullable(ProtectionLockSchema),
  /** Repeated failed order requests: no new entries or quotes until `untilMs` (state files before it lack the field). */
  circuitBreaker: v.optional(v.nullable(ProtectionLockSchema), null),
});

/**
 * The current trading day's window for the daily loss limit: the bot's own equity when the day
 * began is the base the limit's percentage applies to. Older state files held the account's equity
 * (`equityAtDayStart`, dropped when read); their window takes the bot's equity when next measured.
 */
export const DailyWindowSchema = v.object({
  dayStartMs: TimestampMs,
  realisedPnl: DecimalString,
  botEquityAtDayStart: v.optional(v.nullable(DecimalString), null),
});

export const EquityPeakSchema = v.object({ equity: DecimalString, atMs: TimestampMs });

/**
 * The bot's own equity (the kill switch's measure): the account equity when it was first seen,
 * plus the net PnL of the bot's closed trades since; its open positions' unrealised PnL is added
 * when it is measured. `peak` is the highest it has been (reset by `resume --reset-peak`).
 */
export const BotEquitySchema = v.object({ startEquity: DecimalString, realisedPnl: DecimalString, peak: DecimalString, peakAtMs: TimestampMs });

export const PersistedStateSchema = v.object({
  schemaVersion: v.literal(STATE_SCHEMA_VERSION),
  updatedMs: TimestampMs,
  /** The mode the bot last ran in ('replay' for `run --replay`); null before the first run. */
  mode: v.nullable(v.picklist([...MODES, 'replay'])),
  symbols: v.record(v.pipe(v.string(), v.regex(/^[A-Z0-9]+$/, 'expected an upper-case symbol such as BTCUSDT')), SymbolStateSchema),
  protections: ProtectionsSchema,
  daily: v.nullable(DailyWindowSchema),
  /** The account's equity peak, which the drawdown lock once measured; no longer read or written (the bot's own peak is in `botEquity`). */
  equityPeak: v.nullable(EquityPeakSchema),
  /** State files written before the kill switch lack it. */
  botEquity: v.optional(v.nullable(BotEquitySchema), null),
  /** The clock module's last measurement, stored as it gives it (opaque here; `status` reads it). */
  lastClock: v.nullable(Json),
});

export type PersistedState = v.InferOutput<typeof PersistedStateSchema>;
export type SymbolState = v.InferOutput<typeof SymbolStateSchema>;
export type PositionState = v.InferOutput<typeof PositionStateSchema>;
export type OpenOrderState = v.InferOutput<typeof OpenOrderStateSchema>;
export type OtherOrderState = v.InferOutput<typeof OtherOrderStateSchema>;
export type ProtectionLock = v.InferOutput<typeof ProtectionLockSchema>;
export type DailyWindow = v.InferOutput<typeof DailyWindowSchema>;
export type TakeProfitTarget = v.InferOutput<typeof TakeProfitTargetSchema>;

export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

export function emptyState(nowMs: number): PersistedState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    updatedMs: nowMs,
    mode: null,
    symbols: {},
    protections: { dailyLoss: null, drawdown: null, consecutiveLoss: null, killSwitch: null, paused: null, circuitBreaker: null },
    daily: null,
    equityPeak: null,
    botEquity: null,
    lastClock: null,
  };
}

export function emptySymbolState(): SymbolState {
  return { position: null, openOrders: {}, cooldownUntilMs: null };
}

/** The symbol's entry in a draft, created empty when absent (for `StateStore.update`). */
export function symbolDraft(draft: PersistedState, symbol: string): SymbolState {
  const existing = draft.symbols[symbol];
  if (existing !== undefined) return existing;
  const created = emptySymbolState();
  draft.symbols[symbol] = created;
  return created;
}
