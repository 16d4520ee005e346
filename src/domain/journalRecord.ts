/**
 * Records of the trade journal (issue 6, part 2): one JSON object per line, discriminated by `type`,
 * with `ts` in Unix ms. Money and quantities are Decimal strings. Statistics are derived from these
 * records alone (./statistics.ts), so each `exit` carries everything a closed trade needs.
 */
import * as v from 'valibot';
import { DecimalString, TimestampMs } from './persistedState.js';

const SymbolName = v.pipe(v.string(), v.regex(/^[A-Z0-9]+$/, 'expected an upper-case symbol such as BTCUSDT'));
const NonEmpty = v.pipe(v.string(), v.minLength(1));
const PositiveDecimal = v.pipe(DecimalString, v.regex(/^(?!-)(?!0+(\.0+)?$)/, 'expected a positive amount'));

/** An order about to be (or just) sent; written before it goes out. */
export const OrderSentRecordSchema = v.object({
  type: v.literal('order'),
  ts: TimestampMs,
  symbol: SymbolName,
  orderLinkId: NonEmpty,
  side: v.picklist(['buy', 'sell']),
  orderType: v.picklist(['market', 'limit']),
  purpose: v.picklist(['entry', 'exit', 'stopLoss', 'takeProfit', 'quote']),
  qty: PositiveDecimal,
  price: v.nullable(PositiveDecimal),
  reduceOnly: v.boolean(),
  reason: v.string(),
});

/** One execution (de-duplicated upstream by `execId`). `fee` positive = paid, negative = rebate. */
export const FillRecordSchema = v.object({
  type: v.literal('fill'),
  ts: TimestampMs,
  symbol: SymbolName,
  execId: NonEmpty,
  orderLinkId: v.string(),
  orderId: v.string(),
  side: v.picklist(['buy', 'sell']),
  price: PositiveDecimal,
  qty: PositiveDecimal,
  fee: DecimalString,
  isMaker: v.boolean(),
  /**
   * Absent for a trade. `funding`: the funding of the position at a funding time (Bybit execType
   * Funding): qty is the position's size, price the mark price, fee the funding, positive when paid
   * and negative when received; it changes no position. The others (`adl`, `liquidation`,
   * `blockTrade`, `movePosition`, `delivery`) change the position like a trade.
   */
  source: v.optional(v.picklist(['funding', 'adl', 'liquidation', 'blockTrade', 'movePosition', 'delivery'])),
});

/** The position after a change; `side` null and `size` "0" when flat. */
export const PositionRecordSchema = v.object({
  type: v.literal('position'),
  ts: TimestampMs,
  symbol: SymbolName,
  side: v.nullable(v.picklist(['long', 'short'])),
  size: DecimalString,
  entryPrice: DecimalString,
});

/**
 * A closed trade (one per round trip, written when the position is flat again). `pnl` is net of
 * `fees`, as in the backtest's trades (DESIGN section 4); partial take-profits are included in it.
 */
export const ExitRecordSchema = v.object({
  type: v.literal('exit'),
  ts: TimestampMs,
  symbol: SymbolName,
  side: v.picklist(['long', 'short']),
  entryTs: TimestampMs,
  entryPrice: PositiveDecimal,
  /** Quantity-weighted average exit price. */
  exitPrice: PositiveDecimal,
  qty: PositiveDecimal,
  fees: DecimalString,
  /** Funding paid while the trade was open (negative: received), when there was any; `pnl` is net of it too. */
  funding: v.optional(DecimalString),
  pnl: DecimalString,
  /** e.g. stopLoss, takeProfit, trailingStop, timeExit, signal, manual, closeAll, killSwitch. */
  reason: NonEmpty,
});

/** Same levels as `src/alerts/Alert.ts` (a sibling layer, so repeated here rather than imported). */
export const JOURNAL_ALERT_LEVELS = ['info', 'trade', 'warning', 'critical'] as const;

/** An alert as the router saw it (the fields of `Alert` in src/alerts), journaled for the record. */
export const AlertRecordSchema = v.object({
  type: v.literal('alert'),
  ts: TimestampMs,
  level: v.picklist(JOURNAL_ALERT_LEVELS),
  /** The alert's kind, e.g. `killSwitch`, `clockDistrust`. */
  kind: NonEmpty,
  title: v.string(),
  body: v.string(),
  symbol: v.optional(SymbolName),
});

/**
 * An equity observation: the account's (`exchange`, `paper`) or the bot's own (`bot`: its start equity
 * plus its realised and unrealised PnL, written hourly and at each close). Statistics take the first one as the
 * starting equity of the realised equity curve, so drawdown can be a percentage.
 */
export const EquityRecordSchema = v.object({
  type: v.literal('equity'),
  ts: TimestampMs,
  equity: DecimalString,
  source: v.picklist(['exchange', 'paper', 'bot']),
});

export const JournalRecordSchema = v.variant('type', [
  OrderSentRecordSchema,
  FillRecordSchema,
  PositionRecordSchema,
  ExitRecordSchema,
  AlertRecordSchema,
  EquityRecordSchema,
]);

export type JournalRecord = v.InferOutput<typeof JournalRecordSchema>;
export type OrderSentRecord = v.InferOutput<typeof OrderSentRecordSchema>;
export type FillRecord = v.InferOutput<typeof FillRecordSchema>;
export type PositionRecord = v.InferOutput<typeof PositionRecordSchema>;
export type ExitRecord = v.InferOutput<typeof ExitRecordSchema>;
export type AlertRecord = v.InferOutput<typeof AlertRecordSchema>;
export type EquityRecord = v.InferOutput<typeof EquityRecordSchema>;
export type JournalRecordType = JournalRecord['type'];
