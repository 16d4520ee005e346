/**
 * Carries out what matching decided (./restingOrders.ts): one execution of an order, or its
 * cancellation. An execution is booked on the account (./simAccount.ts), the only place money moves,
 * then updates the order, hands attached TP/SL to the position, is remembered and reported, and, when
 * it leaves the position flat, cancels the reduce-only orders that have nothing left to reduce.
 */
import type { Dec as Decimal } from '../domain/money.js';
import { ZERO } from '../domain/money.js';
import type { MarketClock } from './marketClock.js';
import type { OrderRegistry } from './orderRegistry.js';
import type { Prng } from './prng.js';
import type { SimAccount } from './simAccount.js';
import type { SimEventSink } from './simEvents.js';
import type { InternalOrder, SimMarket } from './simMarket.js';
import { removeFrom, syncStopNums } from './simMarket.js';
import type { SimCancelType, SimExecution } from './simTypes.js';

export interface OrderFillerParts {
  readonly registry: OrderRegistry;
  readonly account: SimAccount;
  readonly clock: MarketClock;
  /** Ids of orders and executions; one generator for both, so that ids follow the order of events. */
  readonly prng: Prng;
  readonly events: SimEventSink;
}

export class OrderFiller {
  readonly #registry: OrderRegistry;
  readonly #account: SimAccount;
  readonly #clock: MarketClock;
  readonly #prng: Prng;
  readonly #events: SimEventSink;

  constructor(parts: OrderFillerParts) {
    this.#registry = parts.registry;
    this.#account = parts.account;
    this.#clock = parts.clock;
    this.#prng = parts.prng;
    this.#events = parts.events;
  }

  /** One execution of `qtyIn` of `o` at `price` (a reduce-only order is capped at the position). */
  fill(m: SimMarket, o: InternalOrder, qtyIn: Decimal, price: Decimal, isMaker: boolean): void {
    const p = m.pos;
    let qty = qtyIn;
    if (o.reduceOnly) {
      if (p.side === null || p.side === o.side) {
        this.cancel(m, o, 'CancelByReduceOnly', 'EC_ReduceOnlySetButNotReducing');
        return;
      }
      if (qty.gt(p.size)) qty = p.size;
    }
    if (qty.lte(0)) return;
    const now = this.#clock.now();
    const s = this.#account.settle(p, o.side, qty, price, isMaker, now);

    o.cumExecQty = o.cumExecQty.add(qty);
    o.cumExecValue = o.cumExecValue.add(s.value);
    o.cumExecFee = o.cumExecFee.add(s.fee);
    o.leavesQty = o.reduceOnly && p.side === null ? ZERO : o.qty.sub(o.cumExecQty);
    o.avgPrice = o.cumExecValue.div(o.cumExecQty);
    o.updatedMs = now;
    if (o.leavesQty.lte(0)) {
      o.leavesQty = ZERO;
      o.status = 'Filled';
      removeFrom(m.resting, o);
      removeFrom(m.pending, o);
      this.#registry.finished();
    } else o.status = 'PartiallyFilled';

    // Attached TP/SL become the position's when the order opened or added to it (tpslMode Full).
    if (p.side === o.side && (o.takeProfit !== null || o.stopLoss !== null)) {
      if (o.takeProfit !== null) p.takeProfit = o.takeProfit;
      if (o.stopLoss !== null) p.stopLoss = o.stopLoss;
      syncStopNums(p);
    }

    const exec: SimExecution = {
      execId: this.#prng.uuid(),
      orderId: o.orderId,
      orderLinkId: o.orderLinkId,
      symbol: o.symbol,
      side: o.side,
      orderType: o.orderType,
      stopOrderType: o.stopOrderType,
      orderPrice: o.price,
      orderQty: o.qty,
      execPrice: price,
      execQty: qty,
      execValue: s.value,
      execFee: s.fee,
      feeRate: s.feeRate,
      isMaker,
      closedSize: s.closed,
      closedPnl: s.pnl,
      leavesQty: o.leavesQty,
      execTime: now,
      seq: p.seq,
    };
    this.#registry.record(exec);
    this.#events.execution(exec);
    this.#events.order(o);
    if (p.side === null) {
      // A flat position leaves nothing for reduce-only orders to reduce.
      for (const r of [...m.resting, ...m.pending]) if (r.reduceOnly) this.cancel(m, r, 'CancelByReduceOnly', 'EC_ReduceOnlySetButNotReducing');
    }
    this.#events.position(m);
    this.#events.wallet();
  }

  cancel(m: SimMarket, o: InternalOrder, cancelType: SimCancelType, reason: string): void {
    removeFrom(m.resting, o);
    removeFrom(m.pending, o);
    o.status = o.cumExecQty.gt(0) ? 'PartiallyFilledCanceled' : 'Cancelled';
    o.cancelType = cancelType;
    o.rejectReason = reason;
    o.leavesQty = ZERO;
    o.updatedMs = this.#clock.now();
    this.#registry.finished();
    this.#events.order(o);
  }
}
