/**
 * The one place where Bybit's wire strings become domain values (STYLE points 7-8): Decimal for
 * money, our unions for sides, statuses and order types. Status names follow the V5 enum page
 * (orderStatus: New, PartiallyFilled, Untriggered, Rejected, PartiallyFilledCanceled, Filled,
 * Cancelled, Triggered, Deactivated).
 */
import type { Balance } from '../../engine/exchangePort.js';
import { dec, ZERO, type Decimal } from '../../domain/money.js';
import type { Candle, Fill, Instrument, Order, OrderStatus, OrderType, Position, Side, TimeInForce } from '../../domain/types.js';
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

/** "" and "0" mean "not set" for optional prices on Bybit. */
function optPrice(s: string): Decimal | null {
  if (s === '' || s === '0') return null;
  const d = dec(s);
  return d.isZero() ? null : d;
}

function decOr(s: string, fallback: Decimal): Decimal {
  return s === '' ? fallback : dec(s);
}

function ms(s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n)) throw new WireError(`not a timestamp: "${s}"`);
  return n;
}

export function orderFromWire(w: WireOrder): Order {
  const type = orderTypeFromWire(w.orderType);
  const filledQty = decOr(w.cumExecQty, ZERO);
  return {
    orderLinkId: w.orderLinkId,
    orderId: w.orderId,
    symbol: w.symbol,
    side: sideFromWire(w.side),
    type,
    timeInForce: tifFromWire(w.timeInForce),
    price: type === 'market' ? null : optPrice(w.price),
    qty: dec(w.qty),
    reduceOnly: w.reduceOnly,
    stopLoss: optPrice(w.stopLoss),
    takeProfit: optPrice(w.takeProfit),
    status: orderStatusFromWire(w.orderStatus),
    filledQty,
    avgFillPrice: filledQty.isZero() ? null : optPrice(w.avgPrice),
    rejectReason: w.rejectReason === '' || w.rejectReason === 'EC_NoError' ? null : w.rejectReason,
    createdMs: ms(w.createdTime),
    updatedMs: ms(w.updatedTime),
  };
}

/** Only these execution types are fills of our orders; Funding and Settle are not (V5 enum execType). */
const FILL_EXEC_TYPES = new Set(['Trade', 'AdlTrade', 'BustTrade', 'Delivery', '']);

export function isFillExecution(w: WireExecution): boolean {
  return FILL_EXEC_TYPES.has(w.execType);
}

export function fillFromWire(w: WireExecution): Fill {
  return {
    execId: w.execId,
    orderId: w.orderId,
    orderLinkId: w.orderLinkId,
    symbol: w.symbol,
    side: sideFromWire(w.side),
    price: dec(w.execPrice),
    qty: dec(w.execQty),
    // Bybit: positive = paid, negative = rebate, which is our convention too.
    fee: decOr(w.execFee, ZERO),
    isMaker: w.isMaker,
    ts: ms(w.execTime),
    ...(TRIGGERS[w.stopOrderType] ? { trigger: TRIGGERS[w.stopOrderType] } : {}),
  };
}

/** Bybit `stopOrderType` of the executions the exchange itself started (a position's stops). */
const TRIGGERS: Readonly<Record<string, Fill['trigger']>> = {
  StopLoss: 'stopLoss',
  PartialStopLoss: 'stopLoss',
  TakeProfit: 'takeProfit',
  PartialTakeProfit: 'takeProfit',
  TrailingStop: 'trailingStop',
};

export function positionFromWire(w: WirePosition): Position {
  const size = dec(w.size);
  const flat = size.isZero() || w.side === '' || w.side === 'None';
  return {
    symbol: w.symbol,
    side: flat ? null : w.side === 'Buy' ? 'long' : 'short',
    size: flat ? ZERO : size,
    entryPrice: flat ? ZERO : decOr(w.entryPrice !== '' ? w.entryPrice : w.avgPrice, ZERO),
    stopLoss: optPrice(w.stopLoss),
    takeProfit: optPrice(w.takeProfit),
    trailingStop: optPrice(w.trailingStop),
    unrealisedPnl: decOr(w.unrealisedPnl, ZERO),
    updatedMs: w.updatedTime === '' ? 0 : ms(w.updatedTime),
  };
}

export function flatPosition(symbol: string): Position {
  return { symbol, side: null, size: ZERO, entryPrice: ZERO, stopLoss: null, takeProfit: null, trailingStop: null, unrealisedPnl: ZERO, updatedMs: 0 };
}

export function balanceFromWire(w: WireWallet): Balance {
  return {
    equity: decOr(w.totalEquity, ZERO),
    walletBalance: decOr(w.totalWalletBalance, ZERO),
    available: decOr(w.totalAvailableBalance, ZERO),
  };
}

export function instrumentFromWire(w: WireInstrument): Instrument {
  const maxQty = dec(w.lotSizeFilter.maxOrderQty);
  return {
    symbol: w.symbol,
    baseCoin: w.baseCoin,
    quoteCoin: w.quoteCoin,
    tickSize: dec(w.priceFilter.tickSize),
    qtyStep: dec(w.lotSizeFilter.qtyStep),
    minQty: dec(w.lotSizeFilter.minOrderQty),
    maxQty,
    maxMarketQty: decOr(w.lotSizeFilter.maxMktOrderQty, maxQty),
    minNotional: decOr(w.lotSizeFilter.minNotionalValue, ZERO),
    maxLeverage: dec(w.leverageFilter.maxLeverage),
  };
}

/** Candles are indicator inputs: numbers (DESIGN section 4 CSV has the same shape). */
export function candleFromRow(row: readonly string[]): Candle {
  return {
    ts: Number(row[0]),
    open: Number(row[1]),
    high: Number(row[2]),
    low: Number(row[3]),
    close: Number(row[4]),
    volume: Number(row[5]),
  };
}

export function candleFromWsKline(k: WireWsKline): Candle {
  return { ts: Number(k.start), open: Number(k.open), high: Number(k.high), low: Number(k.low), close: Number(k.close), volume: Number(k.volume) };
}

/** Bybit interval names for minutes (reference section 2: 1 3 5 15 30 60 120 240 360 720 D W). */
export function intervalToWire(minutes: number): string {
  if ([1, 3, 5, 15, 30, 60, 120, 240, 360, 720].includes(minutes)) return String(minutes);
  if (minutes === 1440) return 'D';
  if (minutes === 10080) return 'W';
  throw new WireError(`Bybit has no ${minutes}-minute kline interval`);
}
