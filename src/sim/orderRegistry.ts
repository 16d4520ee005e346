/**
 * Every order the simulator remembers, by Bybit `orderId` and by our `orderLinkId`, and the
 * executions, oldest first; both bounded by `historyLimit` so that a long replay does not grow
 * without end. Only finished orders are forgotten: an open order is always found.
 */
import type { InternalOrder } from './simMarket.js';
import { copyOrder } from './simMarket.js';
import type { OrderRef, SimExecution, SimOrder } from './simTypes.js';
import { OPEN_STATUSES } from './simTypes.js';

export class OrderRegistry {
  readonly #orders = new Map<string, InternalOrder>();
  readonly #byLinkId = new Map<string, InternalOrder>();
  readonly #executions: SimExecution[] = [];
  readonly #historyLimit: number;
  /** How many remembered orders are finished (may be forgotten). */
  #finished = 0;

  constructor(historyLimit: number) {
    this.#historyLimit = historyLimit;
  }

  add(o: InternalOrder): void {
    this.#orders.set(o.orderId, o);
    if (o.orderLinkId !== '') this.#byLinkId.set(o.orderLinkId, o);
    this.#trimHistory();
  }

  /** An order reached a final status. */
  finished(): void {
    this.#finished++;
  }

  hasLinkId(linkId: string): boolean {
    return this.#byLinkId.has(linkId);
  }

  find(ref: OrderRef): InternalOrder | undefined {
    if (ref.orderId) return this.#orders.get(ref.orderId);
    if (ref.orderLinkId) return this.#byLinkId.get(ref.orderLinkId);
    return undefined;
  }

  /** Every order still remembered (open and finished), newest first. */
  orders(symbol?: string): SimOrder[] {
    const out: SimOrder[] = [];
    for (const o of this.#orders.values()) if (symbol === undefined || o.symbol === symbol) out.push(copyOrder(o));
    return out.reverse();
  }

  record(exec: SimExecution): void {
    this.#executions.push(exec);
    if (this.#executions.length > this.#historyLimit) this.#executions.splice(0, this.#executions.length - this.#historyLimit);
  }

  /** Executions, oldest first. */
  executions(symbol?: string): readonly SimExecution[] {
    return symbol === undefined ? this.#executions.slice() : this.#executions.filter((e) => e.symbol === symbol);
  }

  #trimHistory(): void {
    if (this.#orders.size <= this.#historyLimit || this.#finished === 0) return;
    for (const [id, o] of this.#orders) {
      if (this.#orders.size <= this.#historyLimit) break;
      if (OPEN_STATUSES.has(o.status)) continue;
      this.#orders.delete(id);
      if (o.orderLinkId !== '' && this.#byLinkId.get(o.orderLinkId) === o) this.#byLinkId.delete(o.orderLinkId);
      this.#finished--;
    }
  }
}
