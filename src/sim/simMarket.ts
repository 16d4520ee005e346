/**
 * The plain per-symbol state the parts of the simulator share (`Simulator` owns one per symbol):
 * market data, the one-way position, the resting and pending orders. Plain data, so that the account
 * (./simAccount.ts), the order book (./restingOrders.ts) and the fill model (./candleFillModel.ts)
 * each read and change it without reaching into one another's private fields.
 */
import type { Dec as Decimal } from '../domain/money.js';
import type { Candle, Instrument, Side } from '../domain/types.js';
import { ZERO } from '../domain/money.js';
import { SyntheticBook } from './syntheticBook.js';
import type { SimOrder } from './simTypes.js';

export interface PositionState {
  side: Side | null;
  size: Decimal;
  entryPrice: Decimal;
  takeProfit: Decimal | null;
  stopLoss: Decimal | null;
  trailingStop: Decimal | null;
  activePrice: Decimal | null;
  /** Numbers mirroring the stops, NaN when unset, for cheap comparisons. */
  tpNum: number;
  slNum: number;
  trailNum: number;
  activeNum: number;
  trailActive: boolean;
  /** Best price since the trailing stop activated. */
  trailPeak: number;
  curRealisedPnl: Decimal;
  cumRealisedPnl: Decimal;
  createdMs: number;
  updatedMs: number;
  seq: number;
}

/** An open or remembered order, with its limit as a number for cheap comparisons on the path. */
export interface InternalOrder extends SimOrder {
  limitNum: number;
}

export interface SimMarket {
  readonly inst: Instrument;
  readonly book: SyntheticBook;
  readonly intervalMs: number;
  last: number;
  lastTs: number;
  candle: Candle | null;
  leverage: Decimal;
  /** Resting limit orders. */
  readonly resting: InternalOrder[];
  /** Orders waiting for the next price point ('nextPrice' mode). */
  readonly pending: InternalOrder[];
  readonly pos: PositionState;
  /** The take profit is ignored for the current candle (stop-first rule). */
  tpSuppressed: boolean;
}

export function newMarket(inst: Instrument, intervalMs: number, leverage: Decimal): SimMarket {
  return {
    inst,
    book: new SyntheticBook(inst),
    intervalMs,
    last: NaN,
    lastTs: 0,
    candle: null,
    leverage,
    resting: [],
    pending: [],
    pos: emptyPosition(),
    tpSuppressed: false,
  };
}

function emptyPosition(): PositionState {
  return {
    side: null,
    size: ZERO,
    entryPrice: ZERO,
    takeProfit: null,
    stopLoss: null,
    trailingStop: null,
    activePrice: null,
    tpNum: NaN,
    slNum: NaN,
    trailNum: NaN,
    activeNum: NaN,
    trailActive: false,
    trailPeak: NaN,
    curRealisedPnl: ZERO,
    cumRealisedPnl: ZERO,
    createdMs: 0,
    updatedMs: 0,
    seq: 0,
  };
}

/** Flat again: no side, no size, no stops (the realised PnL figures stay). */
export function clearPosition(p: PositionState): void {
  p.side = null;
  p.size = ZERO;
  p.entryPrice = ZERO;
  p.takeProfit = null;
  p.stopLoss = null;
  p.trailingStop = null;
  p.activePrice = null;
  p.trailActive = false;
  syncStopNums(p);
}

export function syncStopNums(p: PositionState): void {
  p.tpNum = num(p.takeProfit);
  p.slNum = num(p.stopLoss);
  p.trailNum = num(p.trailingStop);
  p.activeNum = num(p.activePrice);
}

export function hasStops(p: PositionState): boolean {
  return p.takeProfit !== null || p.stopLoss !== null || p.trailingStop !== null;
}

export function num(d: Decimal | null): number {
  return d === null ? NaN : d.toNumber();
}

export function sameDec(a: Decimal | null, b: Decimal | null): boolean {
  return a === null || b === null ? a === b : a.eq(b);
}

export function removeFrom(list: InternalOrder[], o: InternalOrder): void {
  const i = list.indexOf(o);
  if (i >= 0) list.splice(i, 1);
}

/** The order as reported: a fresh copy without the internal number. */
export function copyOrder(o: InternalOrder): SimOrder {
  const { limitNum: _ignored, ...rest } = o;
  return rest;
}
