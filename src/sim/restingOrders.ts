/**
 * The simulator's order book of user orders (issue 3) and how they match, per symbol:
 * - A new or re-priced order is routed: a limit that does not cross the synthetic book's touch rests
 *   (IOC and FOK ones are cancelled instead); a crossing one takes liquidity, except PostOnly, which
 *   is cancelled with `EC_PostOnlyWillTakeLiquidity`. With `marketFill: 'nextPrice'` (backtest) a
 *   taker order waits for the next path point (DESIGN section 5: a decision at the close of candle t
 *   fills at the open of t+1); with `'touch'` (sandbox) it fills at once at the best ask (buy) or bid
 *   (sell). Either way plus `slippageBps` against the taker, rounded to the tick, never worse than
 *   the order's limit; taker fee.
 * - A resting limit fills at its price with the maker fee when the fill model (./candleFillModel.ts)
 *   finds price trading strictly beyond it.
 * - `partialFillRatio` r splits fills: a resting order fills r of what is left each time price trades
 *   through it; a taker order fills in two executions (r, then the rest; IOC keeps only the first).
 *   A thin book (`thinBookRatio`) gives a market order only that share, the IOC rest is cancelled.
 * Executions and cancellations are carried out by ./orderFiller.ts.
 */
import type { Dec as Decimal } from '../domain/money.js';
import type { OrderType, Side, TimeInForce } from '../domain/types.js';
import { Dec, ZERO, roundToStep, toPrice } from '../domain/money.js';
import type { MarketClock } from './marketClock.js';
import type { OrderFiller } from './orderFiller.js';
import type { OrderRegistry } from './orderRegistry.js';
import type { Prng } from './prng.js';
import type { MarketFillMode } from './simConfig.js';
import type { SimEventSink } from './simEvents.js';
import type { InternalOrder, SimMarket } from './simMarket.js';
import { copyOrder, num, removeFrom } from './simMarket.js';
import type { AmendOrderInput, SimCancelType, SimOrder, SimStopOrderType } from './simTypes.js';
import { OPEN_STATUSES } from './simTypes.js';

/** A checked order request (see ./requestChecks.ts). */
export interface OrderSpec {
  readonly side: Side;
  readonly orderType: OrderType;
  readonly price: Decimal | null;
  readonly qty: Decimal;
  readonly tif: TimeInForce;
  readonly reduceOnly: boolean;
  readonly linkId: string;
  readonly takeProfit: Decimal | null;
  readonly stopLoss: Decimal | null;
}

export interface RestingOrdersParts {
  readonly registry: OrderRegistry;
  readonly filler: OrderFiller;
  readonly clock: MarketClock;
  readonly prng: Prng;
  readonly events: SimEventSink;
  /** Against the taker, in basis points of price. */
  readonly slippageBps: number;
  readonly marketFill: MarketFillMode;
  /** Checked by the caller (`Simulator`), as are the ratios given to the setters. */
  readonly partialFillRatio: number | null;
  readonly thinBookRatio: number | null;
}

export class RestingOrders {
  readonly #registry: OrderRegistry;
  readonly #filler: OrderFiller;
  readonly #clock: MarketClock;
  readonly #prng: Prng;
  readonly #events: SimEventSink;
  readonly #slip: number;
  /** What a buy's and a sell's reference price are multiplied by for the slippage (1 ± bps/10,000), worked out once. */
  readonly #buySlip: Decimal;
  readonly #sellSlip: Decimal;
  #marketFill: MarketFillMode;
  #partial: number | null;
  #thin: number | null;

  constructor(parts: RestingOrdersParts) {
    this.#registry = parts.registry;
    this.#filler = parts.filler;
    this.#clock = parts.clock;
    this.#prng = parts.prng;
    this.#events = parts.events;
    this.#slip = parts.slippageBps;
    const f = new Dec(this.#slip).div(10_000);
    this.#buySlip = f.add(1);
    this.#sellSlip = new Dec(1).sub(f);
    this.#marketFill = parts.marketFill;
    this.#partial = parts.partialFillRatio;
    this.#thin = parts.thinBookRatio;
  }

  setPartialFillRatio(ratio: number | null): void {
    this.#partial = ratio;
  }

  setThinBookRatio(ratio: number | null): void {
    this.#thin = ratio;
  }

  setMarketFill(mode: MarketFillMode): void {
    this.#marketFill = mode;
  }

  /** A new user order: remembered, then routed (filled, rested, made to wait, or cancelled). */
  place(m: SimMarket, spec: OrderSpec): InternalOrder {
    const o = this.#newOrder(m, spec, false, '');
    this.#route(m, o, true);
    return o;
  }

  /** Applies a checked amendment and routes the order again: a re-priced limit may now cross. */
  amend(m: SimMarket, o: InternalOrder, input: AmendOrderInput): void {
    if (input.qty !== undefined) {
      o.qty = input.qty;
      o.leavesQty = input.qty.sub(o.cumExecQty);
    }
    if (input.price !== undefined && o.orderType === 'limit') {
      o.price = input.price;
      o.limitNum = input.price.toNumber();
    }
    if (input.takeProfit !== undefined) o.takeProfit = input.takeProfit;
    if (input.stopLoss !== undefined) o.stopLoss = input.stopLoss;
    o.updatedMs = this.#clock.now();
    removeFrom(m.resting, o);
    removeFrom(m.pending, o);
    this.#route(m, o, false);
  }

  /**
   * Fills what is left of an open order at once, at its limit price (maker) or at the touch (market):
   * the "fill racing a cancel" fault.
   */
  forceFill(m: SimMarket, o: InternalOrder): void {
    const price = o.price ?? this.#takerPrice(m, o.side, m.last, true);
    this.#filler.fill(m, o, o.leavesQty, price, o.price !== null);
  }

  /** Price traded strictly beyond a resting limit: it fills (r of what is left, if partial) as maker. */
  fillResting(m: SimMarket, o: InternalOrder): void {
    if (!OPEN_STATUSES.has(o.status)) return;
    let q = o.leavesQty;
    if (this.#partial !== null) q = this.#partialQty(m, q);
    this.#filler.fill(m, o, q, o.price!, true);
  }

  /** Orders waiting for the next price point meet it (`marketFill: 'nextPrice'`). */
  fillPending(m: SimMarket, price: number): void {
    const pend = m.pending.splice(0, m.pending.length);
    for (const o of pend) this.#fillPendingAt(m, o, price);
  }

  /**
   * A position stop triggered: the whole position is closed by a reduce-only market order of
   * `stopOrderType`, at `ref` plus slippage, as taker.
   */
  closeOnTrigger(m: SimMarket, stopOrderType: SimStopOrderType, ref: Decimal): void {
    const closeSide: Side = m.pos.side === 'buy' ? 'sell' : 'buy';
    const spec: OrderSpec = {
      side: closeSide,
      orderType: 'market',
      price: null,
      qty: m.pos.size,
      tif: 'IOC',
      reduceOnly: true,
      linkId: '',
      takeProfit: null,
      stopLoss: null,
    };
    const o = this.#newOrder(m, spec, true, stopOrderType);
    this.#filler.fill(m, o, o.qty, this.#slipped(m, closeSide, ref), false);
  }

  cancel(m: SimMarket, o: InternalOrder, cancelType: SimCancelType, reason: string): void {
    this.#filler.cancel(m, o, cancelType, reason);
  }

  /** Cancels every open order of `markets` (of one symbol, or all); returns what was cancelled. */
  cancelAll(markets: Iterable<SimMarket>, symbol?: string): SimOrder[] {
    const out: SimOrder[] = [];
    for (const m of markets) {
      if (symbol !== undefined && m.inst.symbol !== symbol) continue;
      for (const o of [...m.pending, ...m.resting]) {
        this.cancel(m, o, 'CancelByUser', 'EC_PerCancelRequest');
        out.push(copyOrder(o));
      }
    }
    return out;
  }

  /** Decides what a new (or re-priced) order does now: fill, rest, wait for the next price, or cancel. */
  #route(m: SimMarket, o: InternalOrder, isNew: boolean): void {
    if (isNew) this.#registry.add(o);
    const { bid, ask } = m.book.touch(m.last);
    const marketable = o.orderType === 'market' || (o.side === 'buy' ? o.limitNum >= ask : o.limitNum <= bid);
    if (!marketable) {
      if (o.timeInForce === 'IOC' || o.timeInForce === 'FOK') {
        this.cancel(m, o, 'UNKNOWN', 'EC_NoImmediateQtyToFill');
        return;
      }
      m.resting.push(o);
      this.#events.order(o);
      return;
    }
    if (o.timeInForce === 'PostOnly') {
      this.cancel(m, o, 'UNKNOWN', 'EC_PostOnlyWillTakeLiquidity');
      return;
    }
    if (this.#marketFill === 'nextPrice') {
      m.pending.push(o);
      if (o.orderType === 'limit') this.#events.order(o);
      return;
    }
    this.#takeNow(m, o, this.#takerPrice(m, o.side, m.last, true));
  }

  /** Taker fill of a marketable order at `price` (already slipped), honouring its limit and TIF. */
  #takeNow(m: SimMarket, o: InternalOrder, price: Decimal): void {
    const px = o.price !== null ? (o.side === 'buy' ? Dec.min(price, o.price) : Dec.max(price, o.price)) : price;
    if (this.#thin !== null && o.orderType === 'market' && !o.reduceOnly) {
      // Thin book: what the touch offers fills, the IOC rest is cancelled.
      const q = roundToStep(o.leavesQty.mul(this.#thin), m.inst.qtyStep, 'down');
      if (q.gt(0)) this.#filler.fill(m, o, q, px, false);
      if (OPEN_STATUSES.has(o.status)) this.cancel(m, o, 'UNKNOWN', 'EC_NoImmediateQtyToFill');
      return;
    }
    if (this.#partial === null || o.timeInForce === 'FOK') {
      this.#filler.fill(m, o, o.leavesQty, px, false);
      return;
    }
    this.#filler.fill(m, o, this.#partialQty(m, o.leavesQty), px, false);
    if (!OPEN_STATUSES.has(o.status)) return;
    if (o.timeInForce === 'IOC' && o.orderType === 'limit') {
      this.cancel(m, o, 'UNKNOWN', 'EC_NoImmediateQtyToFill');
      return;
    }
    if (o.orderType === 'market') this.#filler.fill(m, o, o.leavesQty, px, false);
    else {
      m.resting.push(o);
      this.#events.order(o);
    }
  }

  #fillPendingAt(m: SimMarket, o: InternalOrder, price: number): void {
    if (!OPEN_STATUSES.has(o.status)) return;
    if (o.orderType === 'limit' && (o.side === 'buy' ? price > o.limitNum : price < o.limitNum)) {
      // Price moved away before the order reached the market: it now rests like any limit.
      if (o.timeInForce === 'IOC' || o.timeInForce === 'FOK') this.cancel(m, o, 'UNKNOWN', 'EC_NoImmediateQtyToFill');
      else {
        m.resting.push(o);
        this.#events.order(o);
      }
      return;
    }
    this.#takeNow(m, o, this.#slipped(m, o.side, toPrice(price)));
  }

  #takerPrice(m: SimMarket, side: Side, last: number, useTouch: boolean): Decimal {
    const t = m.book.touch(last);
    const ref = useTouch ? toPrice(side === 'buy' ? t.ask : t.bid) : toPrice(last);
    return this.#slipped(m, side, ref);
  }

  #slipped(m: SimMarket, side: Side, ref: Decimal): Decimal {
    if (this.#slip === 0) return roundToStep(ref, m.inst.tickSize, side === 'buy' ? 'up' : 'down');
    const raw = ref.mul(side === 'buy' ? this.#buySlip : this.#sellSlip);
    return roundToStep(raw, m.inst.tickSize, side === 'buy' ? 'up' : 'down');
  }

  #partialQty(m: SimMarket, leaves: Decimal): Decimal {
    const q = roundToStep(leaves.mul(this.#partial ?? 1), m.inst.qtyStep, 'down');
    return q.lte(0) ? leaves : q;
  }

  #newOrder(m: SimMarket, a: OrderSpec, closeOnTrigger: boolean, stopOrderType: SimStopOrderType): InternalOrder {
    const now = this.#clock.now();
    const o: InternalOrder = {
      orderId: this.#prng.uuid(),
      orderLinkId: a.linkId,
      symbol: m.inst.symbol,
      side: a.side,
      orderType: a.orderType,
      price: a.price,
      qty: a.qty,
      timeInForce: a.tif,
      reduceOnly: a.reduceOnly,
      closeOnTrigger,
      stopOrderType,
      takeProfit: a.takeProfit,
      stopLoss: a.stopLoss,
      status: 'New',
      cumExecQty: ZERO,
      cumExecValue: ZERO,
      cumExecFee: ZERO,
      avgPrice: null,
      leavesQty: a.qty,
      rejectReason: 'EC_NoError',
      cancelType: 'UNKNOWN',
      createdMs: now,
      updatedMs: now,
      limitNum: num(a.price),
    };
    // Orders sent by a triggered stop are remembered at once; user orders when routed.
    if (closeOnTrigger) this.#registry.add(o);
    return o;
  }
}
