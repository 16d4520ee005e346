/**
 * Intent → order (STYLE point 4). Sizes an entry from risk per trade or a fixed notional, caps it
 * by leverage and available balance, rounds to the instrument's tick and lot with Decimal, checks
 * the minimum quantity and notional, and returns a plan or a reason to skip: never a throw, so a
 * dropped intent is always visible in the log.
 */
import { Dec, roundToStep, toPrice, type Decimal } from '../domain/money.js';
import type { Instrument, Intent } from '../domain/types.js';
import type { OrderRequest } from './exchangePort.js';
import { makeOrderLinkId } from './orderLinkId.js';
import { splitLadder } from './positionPlan.js';

export type Sizing =
  | { readonly mode: 'risk'; readonly riskPerTradePct: number; readonly maxNotionalUsdt: number | null }
  | { readonly mode: 'notional'; readonly notionalUsdt: number };

export interface EntryContext {
  readonly instrument: Instrument;
  readonly equity: Decimal;
  readonly available: Decimal;
  readonly sizing: Sizing;
  readonly leverage: number;
  /** Taker fee rate in percent (0.055 = 0.055 %), counted into the risk of a stop-out. */
  readonly takerFeePct: number;
  /** Fractions of the position closed at each target, nearest first (sum 1). */
  readonly ladderFractions: readonly number[];
  readonly orderIdPrefix: string;
  /**
   * A post-only limit entry at the intent's reference price (the signal's close), `offsetPct`
   * better (below it for a long, above for a short), rounded to the tick away from the market, and
   * no nearer the market than the book's own side (`touch`, when known: see `limitPrice`);
   * absent: a market entry.
   */
  readonly limit?: { readonly offsetPct: number; readonly touch?: { readonly bid: number; readonly ask: number } | null };
}

export interface EntryPlan {
  readonly status: 'planned';
  readonly request: OrderRequest;
  readonly stopLoss: Decimal;
  /** Target prices with the quantity to close at each; quantities add up to the entry quantity. */
  readonly targets: readonly { readonly price: Decimal; readonly qty: Decimal }[];
  readonly notional: Decimal;
  /** Loss at the stop, fees included, in USDT. */
  readonly riskUsdt: Decimal;
}

export interface Skipped {
  readonly status: 'skipped';
  readonly reason: string;
}

/** Share of available margin an entry may use; the rest absorbs fees and mark-price moves. */
const MARGIN_HEADROOM = new Dec('0.95');

export function planEntry(intent: Extract<Intent, { kind: 'enter' }>, ctx: EntryContext): EntryPlan | Skipped {
  const skip = (reason: string): Skipped => ({ status: 'skipped', reason: `${intent.symbol} ${intent.side} entry skipped: ${reason}` });
  const { instrument: ins } = ctx;
  const long = intent.side === 'long';
  if (!(intent.refPrice > 0) || !(intent.stopLoss > 0)) return skip(`prices must be positive (ref ${intent.refPrice}, stop ${intent.stopLoss})`);
  const entry = ctx.limit ? limitPrice(intent.refPrice, ctx.limit.offsetPct, ins.tickSize, long, ctx.limit.touch) : toPrice(intent.refPrice);
  // The stop is rounded away from the entry, so rounding never moves it inside the strategy's buffer.
  const stop = roundToStep(toPrice(intent.stopLoss), ins.tickSize, long ? 'down' : 'up');
  if (long ? !stop.lt(entry) : !stop.gt(entry)) return skip(`stop ${stop.toFixed()} is not ${long ? 'below' : 'above'} the entry ${entry.toFixed()}`);
  if (ctx.equity.lte(0)) return skip('no equity');

  const fee = new Dec(ctx.takerFeePct).div(100);
  let qty: Decimal;
  if (ctx.sizing.mode === 'risk') {
    const riskUsdt = ctx.equity.mul(ctx.sizing.riskPerTradePct).div(100);
    // Loss at the stop = qty·|entry − stop| + taker fees on the way in and out.
    const lossPerUnit = entry.minus(stop).abs().plus(entry.plus(stop).mul(fee));
    qty = riskUsdt.div(lossPerUnit);
    if (ctx.sizing.maxNotionalUsdt !== null) qty = Dec.min(qty, new Dec(ctx.sizing.maxNotionalUsdt).div(entry));
  } else {
    qty = new Dec(ctx.sizing.notionalUsdt).div(entry);
  }
  const maxByMargin = ctx.available.mul(ctx.leverage).mul(MARGIN_HEADROOM).div(entry);
  let capped = '';
  if (qty.gt(maxByMargin)) {
    qty = maxByMargin;
    capped = ` (capped by ${ctx.leverage}x leverage on ${ctx.available.toFixed(2)} USDT available)`;
  }
  qty = Dec.min(roundToStep(qty, ins.qtyStep, 'down'), ins.maxMarketQty, ins.maxQty);
  if (qty.lt(ins.minQty)) return skip(`quantity ${qty.toFixed()} is below the minimum ${ins.minQty.toFixed()}${capped}`);
  const notional = qty.mul(entry);
  if (notional.lt(ins.minNotional)) return skip(`order value ${notional.toFixed(2)} USDT is below the minimum ${ins.minNotional.toFixed()} USDT${capped}`);

  const targets = planTargets(intent.targets, entry, qty, ctx, long);
  if (typeof targets === 'string') return skip(targets);
  const attachTp = targets.length === 1 ? targets[0]!.price : null;
  const request: OrderRequest = {
    symbol: intent.symbol,
    side: long ? 'buy' : 'sell',
    type: ctx.limit ? 'limit' : 'market',
    qty,
    price: ctx.limit ? entry : null,
    timeInForce: ctx.limit ? 'PostOnly' : 'IOC',
    reduceOnly: false,
    orderLinkId: makeOrderLinkId(ctx.orderIdPrefix, intent.symbol, { kind: 'entry', side: intent.side }, intent.decidedAtMs),
    stopLoss: stop,
    takeProfit: attachTp,
  };
  const riskUsdt = qty.mul(entry.minus(stop).abs().plus(entry.plus(stop).mul(fee)));
  return { status: 'planned', request, stopLoss: stop, targets, notional, riskUsdt };
}

/**
 * The limit entry's price: `offsetPct` better than `ref`, rounded to the tick away from the market
 * (down for a buy), and with a known `touch` at most the best bid for a buy, at least the best ask
 * for a sell. The signal's close is the last trade, which hit either the bid or the ask: at the
 * close, the order on that side would cross the book and Bybit refuses a post-only order that
 * would (EC_PostOnlyWillTakeLiquidity). The nearest price that rests instead is the own side's
 * best price: the same rule for both sides, whichever side the last trade was on.
 */
export function limitPrice(ref: number, offsetPct: number, tick: Decimal, long: boolean, touch?: { readonly bid: number; readonly ask: number } | null): Decimal {
  const off = new Dec(offsetPct).div(100);
  const raw = long ? toPrice(ref).mul(new Dec(1).minus(off)) : toPrice(ref).mul(off.plus(1));
  const price = roundToStep(raw, tick, long ? 'down' : 'up');
  const own = touch ? (long ? touch.bid : touch.ask) : NaN;
  if (!(own > 0)) return price;
  const book = roundToStep(toPrice(own), tick, long ? 'down' : 'up');
  return long ? Dec.min(price, book) : Dec.max(price, book);
}

/** Target prices rounded towards the entry (a target one tick nearer fills at least as often), then split. */
function planTargets(prices: readonly number[], entry: Decimal, qty: Decimal, ctx: EntryContext, long: boolean): { price: Decimal; qty: Decimal }[] | string {
  const n = Math.min(prices.length, ctx.ladderFractions.length);
  if (n === 0) return [];
  const rounded: Decimal[] = [];
  for (const p of prices.slice(0, n)) {
    const price = roundToStep(toPrice(p), ctx.instrument.tickSize, long ? 'down' : 'up');
    if (long ? !price.gt(entry) : !price.lt(entry)) return `target ${price.toFixed()} is not ${long ? 'above' : 'below'} the entry ${entry.toFixed()}`;
    rounded.push(price);
  }
  const out = splitLadder(qty, rounded, ctx.ladderFractions, ctx.instrument).map(({ price, qty: q }) => ({ price, qty: q }));
  if (out.length === 0) return 'no take-profit target is large enough for the exchange minimums';
  return out;
}
