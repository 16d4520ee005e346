/**
 * Pure decisions of the position manager (issue 7 item 4): the take-profit ladder for what actually
 * filled, the breakeven stop after the first target(s), the trailing stop's Bybit parameters, and
 * the time exit. The live loop turns these into exchange calls; keeping them pure lets backtest,
 * paper and live share them exactly.
 */
import { Dec, roundToStep, ZERO, type Decimal } from '../domain/money.js';
import type { Instrument, PositionSide } from '../domain/types.js';
import type { OrderRequest, TradingStopRequest } from './exchangePort.js';
import { makeOrderLinkId } from './orderLinkId.js';

export interface LadderTarget {
  readonly price: Decimal;
  readonly qty: Decimal;
}

/**
 * Splits `qty` over the targets: each slice keeps its fraction, rounded down to the lot; the last
 * takes the remainder so the slices add up to `qty`; a slice under the exchange minimum (quantity
 * or notional) is merged into the next one. `index` is the target's 1-based place in the ladder.
 */
export function splitLadder(qty: Decimal, prices: readonly Decimal[], fractions: readonly number[], ins: Instrument): { index: number; price: Decimal; qty: Decimal }[] {
  const n = Math.min(prices.length, fractions.length);
  const slices: { index: number; price: Decimal; qty: Decimal }[] = [];
  let assigned = ZERO;
  let carry = ZERO;
  for (let i = 0; i < n; i++) {
    const price = prices[i]!;
    const last = i === n - 1;
    const slice = last ? qty.minus(assigned) : roundToStep(qty.mul(fractions[i]!), ins.qtyStep, 'down').plus(carry);
    if (!last && (slice.lt(ins.minQty) || slice.mul(price).lt(ins.minNotional))) {
      carry = slice;
      continue;
    }
    carry = ZERO;
    if (slice.lte(0)) continue;
    slices.push({ index: i + 1, price, qty: slice });
    assigned = assigned.plus(slice);
  }
  return slices;
}

/**
 * Reduce-only limit orders for the ladder, sized on the quantity that really filled (an entry may
 * fill partly), split by splitLadder.
 */
export function ladderOrders(a: {
  readonly symbol: string;
  readonly side: PositionSide;
  readonly filledQty: Decimal;
  readonly prices: readonly Decimal[];
  readonly fractions: readonly number[];
  readonly instrument: Instrument;
  readonly prefix: string;
  /** The entry's decision time: target ids reuse it, so they are as deterministic as the entry's. */
  readonly entryStampMs: number;
  /** Targets already filled (1-based indexes): not placed again after a restart. */
  readonly filledTargets?: readonly number[];
}): OrderRequest[] {
  const slices = splitLadder(a.filledQty, a.prices, a.fractions, a.instrument);
  const done = new Set(a.filledTargets ?? []);
  return slices
    .filter((s) => !done.has(s.index))
    .map((s) => ({
      symbol: a.symbol,
      side: a.side === 'long' ? 'sell' : 'buy',
      type: 'limit',
      qty: s.qty,
      price: s.price,
      timeInForce: 'GTC',
      reduceOnly: true,
      orderLinkId: makeOrderLinkId(a.prefix, a.symbol, { kind: 'target', index: s.index }, a.entryStampMs),
      stopLoss: null,
      takeProfit: null,
    }));
}

/**
 * The breakeven stop: the entry moved by `feeBufferPct` in the position's favour, so a stop-out
 * there still pays the round trip's fees. Rounded in the favourable direction (never a loss).
 */
export function breakevenStop(side: PositionSide, entryPrice: Decimal, feeBufferPct: number, instrument: Instrument): Decimal {
  const buffer = entryPrice.mul(feeBufferPct).div(100);
  return side === 'long' ? roundToStep(entryPrice.plus(buffer), instrument.tickSize, 'up') : roundToStep(entryPrice.minus(buffer), instrument.tickSize, 'down');
}

/**
 * Bybit's rule for a stop loss (trading-stop or attached to an order): a long's (Buy position's)
 * stop must be below the last price, a short's above it; otherwise it is refused with 10001
 * ("should lower than base_price" / "should greater base_price"). True when `stop` breaks it, i.e.
 * the market has already reached the stop.
 */
export function stopBeyondPrice(side: PositionSide, stop: Decimal, lastPrice: Decimal): boolean {
  return side === 'long' ? stop.gte(lastPrice) : stop.lte(lastPrice);
}

/** The market maker's inventory stop: `pct` % from the entry price, on the tick, away from the price. */
export function makerInventoryStop(side: PositionSide, entry: Decimal, pct: number, tickSize: Decimal): Decimal {
  const move = entry.mul(pct).div(100);
  return side === 'long' ? roundToStep(entry.minus(move), tickSize, 'down') : roundToStep(entry.plus(move), tickSize, 'up');
}

/** The same rule for a take-profit: a long's above the last price, a short's below it. */
export function targetBeyondPrice(side: PositionSide, target: Decimal, lastPrice: Decimal): boolean {
  return side === 'long' ? target.lte(lastPrice) : target.gte(lastPrice);
}

/** True when the breakeven stop improves on the current one (it never moves a stop backwards). */
export function improvesStop(side: PositionSide, current: Decimal | null, proposed: Decimal): boolean {
  if (current === null) return true;
  return side === 'long' ? proposed.gt(current) : proposed.lt(current);
}

/**
 * Bybit trailing stop for a position (trading-stop `trailingStop` + `activePrice`): it activates
 * once price has moved `activationR` × the initial risk in favour, then trails by `distancePct` of
 * the entry price.
 */
export function trailingStop(a: {
  readonly symbol: string;
  readonly side: PositionSide;
  readonly entryPrice: Decimal;
  readonly initialStop: Decimal;
  readonly activationR: number;
  readonly distancePct: number;
  readonly instrument: Instrument;
}): TradingStopRequest {
  const r = a.entryPrice.minus(a.initialStop).abs();
  const move = r.mul(a.activationR);
  const active = a.side === 'long' ? roundToStep(a.entryPrice.plus(move), a.instrument.tickSize, 'up') : roundToStep(a.entryPrice.minus(move), a.instrument.tickSize, 'down');
  const distance = Dec.max(a.instrument.tickSize, roundToStep(a.entryPrice.mul(a.distancePct).div(100), a.instrument.tickSize, 'nearest'));
  return { symbol: a.symbol, trailingStop: distance, activePrice: active };
}

/** Whether a position opened on the candle at `entryCandleTs` has been held `timeExitCandles` candles. */
export function timeExitDue(entryCandleTs: number, lastClosedCandleTs: number, intervalMinutes: number, timeExitCandles: number): boolean {
  if (timeExitCandles <= 0) return false;
  return (lastClosedCandleTs - entryCandleTs) / (intervalMinutes * 60_000) >= timeExitCandles;
}
