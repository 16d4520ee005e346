/**
 * Bybit V5 wire types (STYLE point 7): valibot schemas for the REST results and WebSocket pushes the
 * adapter reads, field names from reference/bybit-v5.md sections 2-3 and the V5 docs. Numbers stay
 * strings on the wire; only ./wireToDomain.ts turns them into Decimal. Schemas list the fields we use
 * and ignore the rest, so a field Bybit adds does not break the bot. A few fields are numbers or
 * booleans on the wire (positionIdx, seq, isMaker, reduceOnly); those that Bybit has sent both ways
 * over the years are accepted both ways.
 */
import * as v from 'valibot';

/** A wire number: Bybit sends strings; accept a JSON number too and keep it as its string. */
const Num = v.pipe(v.union([v.string(), v.number()]), v.transform((x) => String(x)));
/** Optional string field that may be missing or null (older payloads). */
const OptStr = v.optional(v.pipe(v.nullable(v.union([v.string(), v.number()])), v.transform((x) => (x === null ? '' : String(x)))), '');
/** A wire boolean; the strings "true"/"false" too, but nothing else ("yes" is not false, it is wrong). */
const Bool = v.union([v.boolean(), v.pipe(v.picklist(['true', 'false'], 'expected true or false'), v.transform((s) => s === 'true'))]);

/** `result.list` with an optional paging cursor. */
export function listOf<T extends v.GenericSchema>(item: T) {
  return v.object({ list: v.array(item), nextPageCursor: OptStr });
}

export const WireInstrument = v.object({
  symbol: v.string(),
  status: OptStr,
  baseCoin: v.string(),
  quoteCoin: v.string(),
  /** minPrice/maxPrice: the band outside which Bybit takes no order, so no real trade or quote lies there. */
  priceFilter: v.object({ tickSize: Num, minPrice: OptStr, maxPrice: OptStr }),
  lotSizeFilter: v.object({
    qtyStep: Num,
    minOrderQty: Num,
    maxOrderQty: Num,
    maxMktOrderQty: OptStr,
    minNotionalValue: OptStr,
  }),
  leverageFilter: v.object({ maxLeverage: Num }),
});
export type WireInstrument = v.InferOutput<typeof WireInstrument>;

/** `market/kline` row: [start, open, high, low, close, volume, turnover], newest first. */
export const WireKlineRow = v.pipe(v.array(Num), v.minLength(6, 'a kline row has at least 6 fields'));
export const WireKlineResult = v.object({ symbol: OptStr, list: v.array(WireKlineRow) });

export const WireOrder = v.object({
  orderId: v.string(),
  orderLinkId: OptStr,
  symbol: v.string(),
  side: v.string(),
  orderType: v.string(),
  price: OptStr,
  qty: Num,
  timeInForce: OptStr,
  orderStatus: v.string(),
  rejectReason: OptStr,
  cumExecQty: OptStr,
  avgPrice: OptStr,
  reduceOnly: v.optional(Bool, false),
  takeProfit: OptStr,
  stopLoss: OptStr,
  /** Set on conditional orders (a position's TP/SL/trailing, or a `triggerPrice` order); "" or "UNKNOWN" otherwise. */
  stopOrderType: OptStr,
  triggerPrice: OptStr,
  createdTime: Num,
  updatedTime: Num,
});
export type WireOrder = v.InferOutput<typeof WireOrder>;

export const WireExecution = v.object({
  execId: v.string(),
  orderId: v.string(),
  orderLinkId: OptStr,
  symbol: v.string(),
  side: v.string(),
  execPrice: Num,
  execQty: Num,
  execFee: OptStr,
  execType: OptStr,
  isMaker: v.optional(Bool, false),
  execTime: Num,
  /** Set when the exchange created the order because a position's TP/SL/trailing stop triggered. */
  stopOrderType: OptStr,
  /**
   * Fees beyond execFee (taxes): REST sends a string ("" when none), the websocket a list of
   * `{feeCoin, feeType, subFeeType, feeRate, fee}` (V5 docs, execution and websocket execution pages).
   */
  extraFees: v.optional(v.unknown()),
});
export type WireExecution = v.InferOutput<typeof WireExecution>;

/** REST `position/list` calls the entry `avgPrice`, the `position` topic `entryPrice`. */
export const WirePosition = v.object({
  /** 0 one-way; 1 (Buy side) and 2 (Sell side) in hedge mode, where each symbol has two rows. */
  positionIdx: OptStr,
  symbol: v.string(),
  side: OptStr,
  size: Num,
  avgPrice: OptStr,
  entryPrice: OptStr,
  takeProfit: OptStr,
  stopLoss: OptStr,
  trailingStop: OptStr,
  unrealisedPnl: OptStr,
  updatedTime: OptStr,
});
export type WirePosition = v.InferOutput<typeof WirePosition>;

/**
 * One coin of a unified wallet, in the coin's own units. `availableToWithdraw` became "" on unified
 * accounts in 2025 (tests/fixtures/bybit-real/account-wallet-balance.json), so it is not relied on.
 */
export const WireWalletCoin = v.object({
  coin: v.string(),
  equity: OptStr,
  walletBalance: OptStr,
  unrealisedPnl: OptStr,
  totalPositionIM: OptStr,
  totalOrderIM: OptStr,
  locked: OptStr,
});
export type WireWalletCoin = v.InferOutput<typeof WireWalletCoin>;

/**
 * The account-wide totals are in USD over every collateral coin, and "" where they do not apply
 * (isolated margin; a mainnet unified account answered `totalAvailableBalance: ""`): "" is unknown,
 * never zero (./wireToDomain.ts balanceFromWire).
 */
export const WireWallet = v.object({
  accountType: OptStr,
  totalEquity: OptStr,
  totalWalletBalance: OptStr,
  totalAvailableBalance: OptStr,
  coin: v.optional(v.array(WireWalletCoin), []),
});
export type WireWallet = v.InferOutput<typeof WireWallet>;

/** GET /v5/account/fee-rate: fractions as strings ("0.0006"). */
export const WireFeeRate = v.object({ symbol: v.string(), takerFeeRate: v.pipe(v.string(), v.regex(/^-?\d+(\.\d+)?$/)), makerFeeRate: v.pipe(v.string(), v.regex(/^-?\d+(\.\d+)?$/)) });

/** `GET /v5/account/info`: the margin mode (ISOLATED_MARGIN, REGULAR_MARGIN, PORTFOLIO_MARGIN). */
export const WireAccountInfo = v.object({ marginMode: OptStr, unifiedMarginStatus: OptStr });
export type WireAccountInfo = v.InferOutput<typeof WireAccountInfo>;

export const WireOrderCreated = v.object({ orderId: v.string(), orderLinkId: OptStr });

// ---- WebSocket ----

export const WireWsKline = v.object({
  start: Num,
  interval: OptStr,
  open: Num,
  high: Num,
  low: Num,
  close: Num,
  volume: Num,
  confirm: Bool,
});
export type WireWsKline = v.InferOutput<typeof WireWsKline>;

/** Book levels: [price, size], size "0" deletes the level. */
const Level = v.pipe(v.array(v.string()), v.length(2, 'a book level is [price, size]'));
export const WireBookData = v.object({
  s: v.string(),
  b: v.array(Level),
  a: v.array(Level),
  u: v.number(),
  seq: v.optional(v.number()),
});
export type WireBookData = v.InferOutput<typeof WireBookData>;

function isLevels(x: unknown): boolean {
  if (!Array.isArray(x)) return false;
  for (const level of x) {
    if (!Array.isArray(level) || level.length !== 2 || typeof level[0] !== 'string' || typeof level[1] !== 'string') return false;
  }
  return true;
}

/**
 * The same check as `WireBookData`, hand-written: book deltas arrive every 20 ms per symbol, and this
 * guard costs a fraction of a schema parse (bench/streams.bench.ts). On failure, parse with the
 * schema to get the error message.
 */
export function isWireBookData(x: unknown): x is WireBookData {
  if (typeof x !== 'object' || x === null) return false;
  const d = x as Record<string, unknown>;
  return typeof d['s'] === 'string' && typeof d['u'] === 'number' && (d['seq'] === undefined || typeof d['seq'] === 'number') && isLevels(d['b']) && isLevels(d['a']);
}

/** Envelope of every topic push (public and private). */
export const WireTopicMessage = v.object({
  topic: v.string(),
  type: v.optional(v.string()),
  ts: v.optional(v.number()),
  creationTime: v.optional(v.number()),
  data: v.unknown(),
});
export type WireTopicMessage = v.InferOutput<typeof WireTopicMessage>;

export class WireError extends Error {
  override name = 'WireError';
}

/** Parses `input` with `schema`, or throws WireError naming where and what is wrong (at most 3 issues). */
export function parseWire<T extends v.GenericSchema>(schema: T, input: unknown, what: string): v.InferOutput<T> {
  const r = v.safeParse(schema, input);
  if (r.success) return r.output;
  const issues = r.issues
    .slice(0, 3)
    .map((issue) => `${issue.path?.map((p) => String(p.key)).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new WireError(`unexpected ${what} from Bybit (${issues})`);
}
