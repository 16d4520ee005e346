/**
 * The one place where Bybit's wire strings become domain values (STYLE points 7-8): Decimal for
 * money, our unions for sides, statuses and order types. Status names follow the V5 enum page
 * (orderStatus: New, PartiallyFilled, Untriggered, Rejected, PartiallyFilledCanceled, Filled,
 * Cancelled, Triggered, Deactivated).
 *
 * It is also the sanity gate (issue 11, bad-input corpus): a price that is not a positive finite
 * number, a negative or non-finite quantity, a candle whose high/low do not contain its open/close,
 * never becomes a domain value. Each is a WireError naming the field and the value, so a corrupt
 * frame is logged and dropped instead of sizing an order or entering the ledger. A price that is
 * well-formed but absurd (1e12 for BTC) is caught against the instrument's price band (`PriceBand`).
 */
import type { Balance } from '../../engine/exchangePort.js';
import { dec, ZERO, type Decimal } from '../../domain/money.js';
import type { Candle, ConditionalKind, Fill, FillSource, Instrument, Order, OrderStatus, OrderType, Position, Side, TimeInForce } from '../../domain/types.js';
import { WireError, type WireExecution, type WireInstrument, type WireOrder, type WirePosition, type WireWallet, type WireWsKline } from './bybitWire.js';

export function sideFromWire(s: string): Side {
  if (s === 'Buy') return 'buy';
  if (s === 'Sell') return 'sell';
  throw new WireError(`unknown side "${s}"`);
}

export function sideToWire(s: Side): 'Buy' | 'Sell' {
  return s === 'buy' ? 'Buy' : 'Sell';
}

const STATUS: Readonly<Record<string, OrderStatus>> = {
  Created: 'new',
  New: 'new',
  Untriggered: 'new',
  Triggered: 'new',
  Active: 'new',
  PartiallyFilled: 'partiallyFilled',
  Filled: 'filled',
  Cancelled: 'cancelled',
  PartiallyFilledCanceled: 'cancelled',
  Deactivated: 'cancelled',
  Rejected: 'rejected',
};

export function orderStatusFromWire(s: string): OrderStatus {
  const status = STATUS[s];
  if (status === undefined) throw new WireError(`unknown orderStatus "${s}"`);
  return status;
}

function orderTypeFromWire(s: string): OrderType {
  if (s === 'Market') return 'market';
  if (s === 'Limit') return 'limit';
  throw new WireError(`unknown orderType "${s}"`);
}

function tifFromWire(s: string): TimeInForce {
  return s === 'IOC' || s === 'FOK' || s === 'PostOnly' ? s : 'GTC';
}

/** Bybit's numbers are plain decimals; decimal.js and Number() would also take "0x1f", " 5", "Infinity". */
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/** A Decimal from a wire string, or a WireError naming the field. */
function decField(s: string, field: string): Decimal {
  if (!PLAIN_NUMBER.test(s)) throw new WireError(`${field} "${s.slice(0, 40)}" is not a number`);
  return dec(s);
}

function positive(s: string, field: string): Decimal {
  const d = decField(s, field);
  if (!d.gt(0)) throw new WireError(`${field} "${s}" is not a positive number`);
  return d;
}

function nonNegative(s: string, field: string): Decimal {
  const d = decField(s, field);
  if (d.isNeg() && !d.isZero()) throw new WireError(`${field} "${s}" is negative`);
  return d;
}

/** "" and "0" mean "not set" for optional prices on Bybit; anything else must be a positive number. */
function optPrice(s: string, field: string): Decimal | null {
  if (s === '' || s === '0') return null;
  const d = nonNegative(s, field);
  return d.isZero() ? null : d;
}

function decOr(s: string, fallback: Decimal, field: string): Decimal {
  return s === '' ? fallback : decField(s, field);
}

function nonNegativeOr(s: string, fallback: Decimal, field: string): Decimal {
  return s === '' ? fallback : nonNegative(s, field);
}

/**
 * Bybit's price limits of an instrument (`priceFilter.minPrice`/`maxPrice` of instruments-info):
 * it accepts no order outside them, so no trade, candle or book level can lie outside either.
 */
export interface PriceBand {
  readonly min: number;
  readonly max: number;
}

export function priceBandFromWire(w: WireInstrument): PriceBand | null {
  const min = Number(w.priceFilter.minPrice);
  const max = Number(w.priceFilter.maxPrice);
  if (w.priceFilter.maxPrice === '' || !Number.isFinite(min) || !Number.isFinite(max) || !(max > 0) || min < 0 || min >= max) return null;
  return { min, max };
}

/** Why `price` lies outside `band`, or null when it is inside (or there is no band). */
export function outsideBand(price: number, band: PriceBand | null | undefined, field: string): string | null {
  if (band === null || band === undefined) return null;
  if (price < band.min || price > band.max) return `${field} ${price} is outside Bybit's price limits ${band.min}-${band.max} for this symbol`;
  return null;
}

function ms(s: string, field = 'timestamp'): number {
  const n = Number(s);
  if (s === '' || !Number.isSafeInteger(n) || n < 0) throw new WireError(`${field} "${s.slice(0, 40)}" is not a timestamp`);
  return n;
}

export function orderFromWire(w: WireOrder): Order {
  const type = orderTypeFromWire(w.orderType);
  const filledQty = nonNegativeOr(w.cumExecQty, ZERO, 'order cumExecQty');
  return {
    orderLinkId: w.orderLinkId,
    orderId: w.orderId,
    symbol: w.symbol,
    side: sideFromWire(w.side),
    type,
    timeInForce: tifFromWire(w.timeInForce),
    price: type === 'market' ? null : optPrice(w.price, 'order price'),
    // "0" is real: a position's TP/SL orders carry no quantity of their own.
    qty: nonNegative(w.qty, 'order qty'),
    reduceOnly: w.reduceOnly,
    stopLoss: optPrice(w.stopLoss, 'order stopLoss'),
    takeProfit: optPrice(w.takeProfit, 'order takeProfit'),
    status: orderStatusFromWire(w.orderStatus),
    filledQty,
    avgFillPrice: filledQty.isZero() ? null : optPrice(w.avgPrice, 'order avgPrice'),
    rejectReason: w.rejectReason === '' || w.rejectReason === 'EC_NoError' ? null : w.rejectReason,
    createdMs: ms(w.createdTime, 'order createdTime'),
    updatedMs: ms(w.updatedTime, 'order updatedTime'),
    ...conditionalFromWire(w),
  };
}

/** Conditional orders carry a `stopOrderType`; plain ones "" (ccxt 2025) or "UNKNOWN" (docs). */
function conditionalFromWire(w: WireOrder): Pick<Order, 'conditional'> {
  const t = w.stopOrderType;
  if (t === '' || t === 'UNKNOWN') return {};
  const kind: ConditionalKind = TRIGGERS[t] ?? 'stop';
  return { conditional: { kind, triggerPrice: optPrice(w.triggerPrice, 'order triggerPrice') } };
}

/**
 * The execution types the bot books (V5 enum execType): trades, and what else changes a linear
 * position or its money: funding, auto-deleveraging, a takeover liquidation, a block trade, a moved
 * position, a delivery. `Settle` is inverse futures only; `""` is an older payload's Trade.
 */
const EXEC_SOURCES: Readonly<Record<string, FillSource | null>> = {
  Trade: null,
  '': null,
  Funding: 'funding',
  AdlTrade: 'adl',
  BustTrade: 'liquidation',
  BlockTrade: 'blockTrade',
  MovePosition: 'movePosition',
  Delivery: 'delivery',
};

export function isFillExecution(w: WireExecution): boolean {
  return Object.hasOwn(EXEC_SOURCES, w.execType);
}

/**
 * The sum of `extraFees` (taxes Bybit charges on top of execFee for some accounts; its websocket
 * example: execFee 26.3725275 = 0.055 % of the value, and a GST of 0.006403779 beside it): a list of
 * `{fee, feeCoin, …}` on the websocket, the same list as a JSON string (or "") over REST.
 */
function extraFeesFromWire(raw: unknown): Decimal {
  let list: unknown = raw;
  if (raw === undefined || raw === null || raw === '') return ZERO;
  if (typeof raw === 'string') {
    try {
      list = JSON.parse(raw);
    } catch {
      throw new WireError(`execution extraFees "${raw.slice(0, 40)}" is not a list of fees`);
    }
  }
  if (!Array.isArray(list)) throw new WireError('execution extraFees is not a list of fees');
  let sum = ZERO;
  for (const item of list as unknown[]) {
    const fee = typeof item === 'object' && item !== null ? (item as { fee?: unknown }).fee : undefined;
    if (typeof fee !== 'string' && typeof fee !== 'number') throw new WireError('execution extraFees has an entry without a fee');
    sum = sum.plus(decField(String(fee), 'execution extraFees fee'));
  }
  return sum;
}

/** A fee above the fill's whole value is no fee Bybit charges (taker 0.055 %): a corrupt number. */
export function fillFromWire(w: WireExecution): Fill {
  const price = positive(w.execPrice, 'execution execPrice');
  const qty = positive(w.execQty, 'execution execQty');
  // Bybit: positive = paid, negative = rebate, which is our convention too; for Funding, positive =
  // the position paid funding, negative = it received it (execution-list fixture, 2024-03-20).
  const fee = decOr(w.execFee, ZERO, 'execution execFee').plus(extraFeesFromWire(w.extraFees));
  const source = EXEC_SOURCES[w.execType] ?? null;
  if (fee.abs().gt(price.mul(qty))) throw new WireError(`execution execFee "${w.execFee}" exceeds the fill's value ${price.mul(qty).toFixed()}`);
  return {
    execId: w.execId,
    orderId: w.orderId,
    orderLinkId: w.orderLinkId,
    symbol: w.symbol,
    side: sideFromWire(w.side),
    price,
    qty,
    fee,
    isMaker: w.isMaker,
    ts: ms(w.execTime, 'execution execTime'),
    ...(FILL_TRIGGERS[w.stopOrderType] ? { trigger: FILL_TRIGGERS[w.stopOrderType] } : {}),
    ...(source ? { source } : {}),
  };
}

/** Bybit `stopOrderType` of a position's stops (and of the executions the exchange starts for them). */
const TRIGGERS: Readonly<Record<string, 'stopLoss' | 'takeProfit' | 'trailingStop'>> = {
  StopLoss: 'stopLoss',
  PartialStopLoss: 'stopLoss',
  TakeProfit: 'takeProfit',
  PartialTakeProfit: 'takeProfit',
  TrailingStop: 'trailingStop',
};
const FILL_TRIGGERS: Readonly<Record<string, Fill['trigger']>> = TRIGGERS;

export function positionFromWire(w: WirePosition): Position {
  const size = nonNegative(w.size, 'position size');
  const flat = size.isZero() || w.side === '' || w.side === 'None';
  if (!flat && w.side !== 'Buy' && w.side !== 'Sell') throw new WireError(`unknown position side "${w.side}"`);
  const entryField = w.entryPrice !== '' ? 'position entryPrice' : 'position avgPrice';
  return {
    symbol: w.symbol,
    side: flat ? null : w.side === 'Buy' ? 'long' : 'short',
    size: flat ? ZERO : size,
    entryPrice: flat ? ZERO : nonNegativeOr(w.entryPrice !== '' ? w.entryPrice : w.avgPrice, ZERO, entryField),
    stopLoss: optPrice(w.stopLoss, 'position stopLoss'),
    takeProfit: optPrice(w.takeProfit, 'position takeProfit'),
    trailingStop: optPrice(w.trailingStop, 'position trailingStop'),
    unrealisedPnl: decOr(w.unrealisedPnl, ZERO, 'position unrealisedPnl'),
    updatedMs: w.updatedTime === '' ? 0 : ms(w.updatedTime, 'position updatedTime'),
  };
}

export function flatPosition(symbol: string): Position {
  return { symbol, side: null, size: ZERO, entryPrice: ZERO, stopLoss: null, takeProfit: null, trailingStop: null, unrealisedPnl: ZERO, updatedMs: 0 };
}

/** The coin the bot's linear USDT perpetuals settle in: its own figures stand in for empty totals. */
export const SETTLE_COIN = 'USDT';

/**
 * Equity may be negative (a bankrupt account); it may not be NaN or missing digits. Bybit sends ""
 * for an account-wide total that does not apply (isolated margin, and a mainnet unified account's
 * `totalAvailableBalance`): "" is unknown, never 0 (0 available skipped every entry, 0 equity latched
 * a 100 % drawdown lock). Then the USDT coin's own figures are used: its equity and wallet balance,
 * and as available its wallet balance less its position and order margin, what is locked and any
 * unrealised loss (never more than Bybit's own total would allow). With neither, the balance is
 * unknown: a WireError, so nothing is sized on a guess.
 */
export function balanceFromWire(w: WireWallet): Balance {
  const coin = w.coin.find((c) => c.coin === SETTLE_COIN);
  const fromCoin = (field: 'equity' | 'walletBalance', total: string): Decimal => {
    if (total !== '') return decField(total, `wallet ${field === 'equity' ? 'totalEquity' : 'totalWalletBalance'}`);
    if (coin === undefined || coin[field] === '') throw new WireError(`wallet ${field === 'equity' ? 'totalEquity' : 'totalWalletBalance'} is empty and the answer has no ${SETTLE_COIN} ${field}: the balance is unknown`);
    return decField(coin[field], `wallet ${SETTLE_COIN} ${field}`);
  };
  const equity = fromCoin('equity', w.totalEquity);
  const walletBalance = fromCoin('walletBalance', w.totalWalletBalance);
  let available: Decimal;
  if (w.totalAvailableBalance !== '') available = decField(w.totalAvailableBalance, 'wallet totalAvailableBalance');
  else if (coin === undefined || coin.walletBalance === '') throw new WireError(`wallet totalAvailableBalance is empty and the answer has no ${SETTLE_COIN} coin: the available balance is unknown`);
  else {
    const used = [coin.totalPositionIM, coin.totalOrderIM, coin.locked].reduce((sum, s, i) => sum.add(nonNegativeOr(s, ZERO, `wallet ${SETTLE_COIN} ${['totalPositionIM', 'totalOrderIM', 'locked'][i]}`)), ZERO);
    const upl = decOr(coin.unrealisedPnl, ZERO, `wallet ${SETTLE_COIN} unrealisedPnl`);
    const free = decField(coin.walletBalance, `wallet ${SETTLE_COIN} walletBalance`).sub(used).add(upl.isNeg() ? upl : ZERO);
    available = free.isNeg() ? ZERO : free;
  }
  return { equity, walletBalance, available };
}

/** The account's position mode, from the rows of `position/list`: hedge rows carry positionIdx 1 and 2. */
export function positionModeFromWire(rows: readonly WirePosition[]): 'oneWay' | 'hedge' {
  return rows.some((r) => r.positionIdx === '1' || r.positionIdx === '2') ? 'hedge' : 'oneWay';
}

/** Steps must be positive: the executor divides by them (roundToStep). */
export function instrumentFromWire(w: WireInstrument): Instrument {
  const maxQty = positive(w.lotSizeFilter.maxOrderQty, `${w.symbol} lotSizeFilter.maxOrderQty`);
  return {
    symbol: w.symbol,
    baseCoin: w.baseCoin,
    quoteCoin: w.quoteCoin,
    tickSize: positive(w.priceFilter.tickSize, `${w.symbol} priceFilter.tickSize`),
    qtyStep: positive(w.lotSizeFilter.qtyStep, `${w.symbol} lotSizeFilter.qtyStep`),
    minQty: nonNegative(w.lotSizeFilter.minOrderQty, `${w.symbol} lotSizeFilter.minOrderQty`),
    maxQty,
    maxMarketQty: w.lotSizeFilter.maxMktOrderQty === '' ? maxQty : positive(w.lotSizeFilter.maxMktOrderQty, `${w.symbol} lotSizeFilter.maxMktOrderQty`),
    minNotional: nonNegativeOr(w.lotSizeFilter.minNotionalValue, ZERO, `${w.symbol} lotSizeFilter.minNotionalValue`),
    maxLeverage: positive(w.leverageFilter.maxLeverage, `${w.symbol} leverageFilter.maxLeverage`),
    ...(w.status !== '' ? { status: w.status } : {}),
  };
}

function candlePrice(s: string, field: string): number {
  const n = Number(s);
  if (!PLAIN_NUMBER.test(s) || !Number.isFinite(n) || !(n > 0)) throw new WireError(`kline ${field} "${s.slice(0, 40)}" is not a positive price`);
  return n;
}

/**
 * Candles are indicator inputs: numbers (DESIGN section 4 CSV has the same shape). Every price must
 * be positive and finite, the volume finite and not negative, and high/low must contain open and
 * close: one poisoned candle would sit in every indicator window for hours.
 */
export function candleFromParts(start: string, open: string, high: string, low: string, close: string, volume: string): Candle {
  const c: Candle = {
    ts: ms(start, 'kline start'),
    open: candlePrice(open, 'open'),
    high: candlePrice(high, 'high'),
    low: candlePrice(low, 'low'),
    close: candlePrice(close, 'close'),
    volume: Number(volume),
  };
  if (!PLAIN_NUMBER.test(volume) || !Number.isFinite(c.volume) || c.volume < 0) throw new WireError(`kline volume "${volume.slice(0, 40)}" is not a volume`);
  if (c.high < Math.max(c.open, c.close, c.low) || c.low > Math.min(c.open, c.close)) {
    throw new WireError(`kline high ${c.high} / low ${c.low} do not contain open ${c.open} and close ${c.close}`);
  }
  return c;
}

/** A kline row is at least 6 fields (WireKlineRow checks the length). */
export function candleFromRow(row: readonly string[]): Candle {
  return candleFromParts(row[0]!, row[1]!, row[2]!, row[3]!, row[4]!, row[5]!);
}

export function candleFromWsKline(k: WireWsKline): Candle {
  return candleFromParts(k.start, k.open, k.high, k.low, k.close, k.volume);
}

/** Why a candle is absurd for its instrument (outside Bybit's price band), or null. */
export function candleOutsideBand(c: Candle, band: PriceBand | null | undefined): string | null {
  return outsideBand(c.high, band, 'kline high') ?? outsideBand(c.low, band, 'kline low');
}

/** Bybit interval names for minutes (reference section 2: 1 3 5 15 30 60 120 240 360 720 D W). */
export function intervalToWire(minutes: number): string {
  if ([1, 3, 5, 15, 30, 60, 120, 240, 360, 720].includes(minutes)) return String(minutes);
  if (minutes === 1440) return 'D';
  if (minutes === 10080) return 'W';
  throw new WireError(`Bybit has no ${minutes}-minute kline interval`);
}
