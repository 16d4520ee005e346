/**
 * In-flight order tracking (STYLE point 6), fed by private stream pushes and REST look-ups.
 * Orders are keyed by our orderLinkId and by Bybit's orderId; fills are de-duplicated by execId;
 * terminal states stay terminal, and an update older than what we hold is ignored (a stale REST
 * "open" must never overwrite a stream "filled", as it can in hummingbot). An order is declared
 * lost only after several failed look-ups, and closed orders are kept for a while so late fills
 * still find their order.
 *
 * Only the bot's own orders are tracked as orders. Bybit's `order` topic and `/v5/order/realtime`
 * carry every order of the account: manual ones, other programs', and a position's own TP/SL and
 * trailing orders (empty orderLinkId, `stopOrderType` set, status `Untriggered`). Those are kept
 * apart, by Bybit's orderId (an empty orderLinkId is no key), and `open()` never returns them, so
 * nothing the bot does to its open orders (close-all, the kill switch) ever touches them.
 */
import { TERMINAL_ORDER_STATUSES, type Fill, type Order, type OrderStatus } from '../domain/types.js';
import { ZERO } from '../domain/money.js';
import type { OrderRequest } from './exchangePort.js';

const RANK: Record<OrderStatus, number> = { pending: 0, new: 1, partiallyFilled: 2, filled: 3, cancelled: 3, rejected: 3, lost: 3 };

export interface OrderTrackerOptions {
  /** Failed look-ups before an order the exchange does not know is declared lost. */
  readonly lostAfterMisses?: number;
  /** How long a closed order stays known, for late fills. */
  readonly retainClosedMs?: number;
  /** execIds remembered for de-duplication. */
  readonly maxExecIds?: number;
  /** True for the bot's own orderLinkIds (./orderLinkId.ts); default: any non-empty id. */
  readonly isOwn?: (orderLinkId: string) => boolean;
}

/** `foreign`: not one of the bot's orders; kept apart (see `foreign()`). */
export type UpdateOutcome = 'new' | 'applied' | 'stale' | 'terminal' | 'foreign';

export class OrderTracker {
  readonly #byLinkId = new Map<string, Order>();
  /**
   * The orders of #byLinkId that are not terminal, and each linkId's place in #byLinkId: `open()`
   * looks at these few instead of every order ever tracked (it runs on every position change).
   */
  readonly #openLinks = new Set<string>();
  readonly #placeOf = new Map<string, number>();
  #nextPlace = 0;
  readonly #linkIdByOrderId = new Map<string, string>();
  readonly #misses = new Map<string, number>();
  readonly #closedAt = new Map<string, number>();
  readonly #execIds = new Set<string>();
  readonly #lostAfter: number;
  readonly #retainMs: number;
  readonly #maxExecIds: number;
  readonly #isOwn: (orderLinkId: string) => boolean;
  /** Open orders that are not the bot's, by Bybit orderId. */
  readonly #foreign = new Map<string, Order>();

  constructor(options: OrderTrackerOptions = {}) {
    this.#lostAfter = options.lostAfterMisses ?? 3;
    this.#retainMs = options.retainClosedMs ?? 5 * 60_000;
    this.#maxExecIds = options.maxExecIds ?? 20_000;
    this.#isOwn = options.isOwn ?? ((id) => id !== '');
  }

  /** True for an orderLinkId of the bot's own. */
  isOwn(orderLinkId: string): boolean {
    return orderLinkId !== '' && this.#isOwn(orderLinkId);
  }

  /** Records an order we are about to send (state "pending"). */
  trackSent(request: OrderRequest, nowMs: number): Order {
    const existing = this.#byLinkId.get(request.orderLinkId);
    if (existing) return existing;
    const order: Order = {
      orderLinkId: request.orderLinkId,
      orderId: null,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      timeInForce: request.timeInForce,
      price: request.price,
      qty: request.qty,
      reduceOnly: request.reduceOnly,
      stopLoss: request.stopLoss,
      takeProfit: request.takeProfit,
      status: 'pending',
      filledQty: ZERO,
      avgFillPrice: null,
      rejectReason: null,
      createdMs: nowMs,
      updatedMs: nowMs,
    };
    this.#set(order);
    return order;
  }

  /** The exchange acknowledged the order (placeOrder resolved). */
  acknowledge(orderLinkId: string, orderId: string, nowMs: number): void {
    const o = this.#byLinkId.get(orderLinkId);
    if (!o) return;
    this.#linkIdByOrderId.set(orderId, orderLinkId);
    this.#misses.delete(orderLinkId);
    if (o.status === 'pending') this.#set({ ...o, orderId, status: 'new', updatedMs: Math.max(o.updatedMs, nowMs) });
    else if (o.orderId === null) this.#set({ ...o, orderId });
  }

  /** An order state from the stream or REST. */
  applyUpdate(update: Order, nowMs: number): UpdateOutcome {
    if (!this.isOwn(update.orderLinkId)) {
      this.#applyForeign(update);
      return 'foreign';
    }
    const existing = this.#byLinkId.get(update.orderLinkId) ?? (update.orderId ? this.byOrderId(update.orderId) : undefined);
    if (update.orderId) this.#linkIdByOrderId.set(update.orderId, update.orderLinkId);
    this.#misses.delete(update.orderLinkId);
    if (!existing) {
      this.#store(update, nowMs);
      return 'new';
    }
    if (TERMINAL_ORDER_STATUSES.has(existing.status) && existing.status !== 'lost') {
      // Terminal stays terminal. One exception keeps accounting right: a fill racing a cancel can
      // report more filled quantity after "cancelled"; take the larger fill, keep the status.
      if (update.filledQty.gt(existing.filledQty)) this.#store({ ...existing, filledQty: update.filledQty, avgFillPrice: update.avgFillPrice, updatedMs: Math.max(existing.updatedMs, update.updatedMs) }, nowMs);
      return 'terminal';
    }
    // An order that ended on the exchange never opens again: its end is not "older" than the open
    // state we hold, which may carry our own clock (acknowledge) rather than the exchange's (a
    // post-only order cancelled as it arrived is stamped before our acknowledgement).
    const ends = TERMINAL_ORDER_STATUSES.has(update.status) && !update.filledQty.lt(existing.filledQty);
    const older = update.updatedMs < existing.updatedMs && !ends;
    const sameTimeBackwards = update.updatedMs === existing.updatedMs && (RANK[update.status] < RANK[existing.status] || update.filledQty.lt(existing.filledQty));
    if (older || sameTimeBackwards || update.filledQty.lt(existing.filledQty)) return 'stale';
    this.#store({ ...update, createdMs: existing.createdMs, orderId: update.orderId ?? existing.orderId }, nowMs);
    return 'applied';
  }

  /** True the first time an execId is seen; false for a duplicate push or REST replay. */
  recordFill(fill: Fill): boolean {
    if (this.#execIds.has(fill.execId)) return false;
    this.#execIds.add(fill.execId);
    if (this.#execIds.size > this.#maxExecIds) {
      const oldest = this.#execIds.values().next().value;
      if (oldest !== undefined) this.#execIds.delete(oldest);
    }
    return true;
  }

  /**
   * A REST look-up did not find the order. After `lostAfterMisses` misses in a row it is declared
   * lost (returned), so one slow or inconsistent answer never drops a live order.
   */
  lookupMissed(orderLinkId: string, nowMs: number): Order | null {
    const o = this.#byLinkId.get(orderLinkId);
    if (!o || TERMINAL_ORDER_STATUSES.has(o.status)) return null;
    const misses = (this.#misses.get(orderLinkId) ?? 0) + 1;
    this.#misses.set(orderLinkId, misses);
    if (misses < this.#lostAfter) return null;
    const lost: Order = { ...o, status: 'lost', updatedMs: nowMs };
    this.#store(lost, nowMs);
    this.#misses.delete(orderLinkId);
    return lost;
  }

  get(orderLinkId: string): Order | undefined {
    return this.#byLinkId.get(orderLinkId);
  }

  byOrderId(orderId: string): Order | undefined {
    const link = this.#linkIdByOrderId.get(orderId);
    return link === undefined ? undefined : this.#byLinkId.get(link);
  }

  /** Orders not in a terminal state. */
  open(symbol?: string): Order[] {
    const out: Order[] = [];
    for (const link of this.#openLinks) {
      const o = this.#byLinkId.get(link)!;
      if (symbol === undefined || o.symbol === symbol) out.push(o);
    }
    // In #byLinkId's order (first tracked first), as a walk over it would give.
    if (out.length > 1) out.sort((a, b) => this.#placeOf.get(a.orderLinkId)! - this.#placeOf.get(b.orderLinkId)!);
    return out;
  }

  /** Open orders on the account that are not the bot's (of one symbol, or all), oldest first. */
  foreign(symbol?: string): Order[] {
    const out = [...this.#foreign.values()].filter((o) => symbol === undefined || o.symbol === symbol);
    return out.sort((a, b) => a.createdMs - b.createdMs);
  }

  /** A REST list of a symbol's open orders: the foreign ones in it are all there are. */
  replaceForeign(symbol: string, listed: readonly Order[]): void {
    for (const [id, o] of this.#foreign) if (o.symbol === symbol) this.#foreign.delete(id);
    for (const o of listed) if (!this.isOwn(o.orderLinkId)) this.#applyForeign(o);
  }

  #applyForeign(update: Order): void {
    const id = update.orderId;
    if (id === null) return;
    const held = this.#foreign.get(id);
    if (held && update.updatedMs < held.updatedMs) return;
    if (TERMINAL_ORDER_STATUSES.has(update.status)) this.#foreign.delete(id);
    else this.#foreign.set(id, update);
  }

  /** Forgets closed orders older than the retention window. */
  prune(nowMs: number): void {
    // Called at every candle close of a 1m backtest, nearly always with nothing closed to forget.
    if (this.#closedAt.size === 0) return;
    for (const [link, closedAt] of this.#closedAt) {
      if (nowMs - closedAt < this.#retainMs) continue;
      const o = this.#byLinkId.get(link);
      this.#byLinkId.delete(link);
      this.#placeOf.delete(link);
      this.#openLinks.delete(link);
      this.#closedAt.delete(link);
      if (o?.orderId) this.#linkIdByOrderId.delete(o.orderId);
    }
  }

  #store(order: Order, nowMs: number): void {
    this.#set(order);
    if (TERMINAL_ORDER_STATUSES.has(order.status)) {
      if (!this.#closedAt.has(order.orderLinkId)) this.#closedAt.set(order.orderLinkId, nowMs);
    } else this.#closedAt.delete(order.orderLinkId);
  }

  /** The one writer of #byLinkId, keeping #openLinks and #placeOf in step with it. */
  #set(order: Order): void {
    const link = order.orderLinkId;
    if (!this.#byLinkId.has(link)) this.#placeOf.set(link, this.#nextPlace++);
    this.#byLinkId.set(link, order);
    if (TERMINAL_ORDER_STATUSES.has(order.status)) this.#openLinks.delete(link);
    else this.#openLinks.add(link);
  }
}
