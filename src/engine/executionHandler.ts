/**
 * Applies what the exchange reports about our orders: an order update moves the tracker and the
 * store's record, and a finished entry or take-profit goes to the position manager; a fill is
 * de-duplicated, journaled and applied to the round trip, whose completed trades reach the
 * ledger and the risk gate. Used for stream pushes and for what reconciliation finds alike.
 */
import { money } from '../domain/money.js';
import type { Fill, Order } from '../domain/types.js';
import { TERMINAL_ORDER_STATUSES } from '../domain/types.js';
import type { EngineContext } from './engineContext.js';
import { exitReason, type LedgerWriter } from './ledgerWriter.js';
import { parseOrderLinkId } from './orderLinkId.js';
import type { PositionManager } from './positionManager.js';
import type { RiskGate } from './riskGate.js';
import type { ClosedRoundTrip } from './roundTrip.js';
import { localPosition, type SymbolRuntime } from './symbolRuntime.js';

export class ExecutionHandler {
  readonly #ctx: EngineContext;
  readonly #ledger: LedgerWriter;
  readonly #risk: RiskGate;
  readonly #positions: PositionManager;

  constructor(ctx: EngineContext, ledger: LedgerWriter, risk: RiskGate, positions: PositionManager) {
    this.#ctx = ctx;
    this.#ledger = ledger;
    this.#risk = risk;
    this.#positions = positions;
  }

  async onOrder(rt: SymbolRuntime, order: Order): Promise<void> {
    const { tracker, store } = this.#ctx;
    const outcome = tracker.applyUpdate(order, this.#ctx.now());
    if (outcome === 'stale') return;
    const current = tracker.get(order.orderLinkId) ?? order;
    const terminal = TERMINAL_ORDER_STATUSES.has(current.status);
    const sym = rt.settings.symbol;
    const stored = store.state.symbols[sym]?.openOrders[order.orderLinkId];
    if (stored) {
      store.update((d) => {
        const s = d.symbols[sym]!;
        if (terminal) delete s.openOrders[order.orderLinkId];
        else {
          const o = s.openOrders[order.orderLinkId]!;
          o.orderId = current.orderId ?? o.orderId;
          o.status = current.status === 'partiallyFilled' ? 'partiallyFilled' : 'new';
          o.filledQty = money(current.filledQty);
        }
      });
    }
    const role = parseOrderLinkId(this.#ctx.settings().orderIdPrefix, order.orderLinkId)?.role;
    if (!terminal || !role) return;
    if (role.kind === 'entry') await this.#positions.afterEntry(rt, current);
    else if (role.kind === 'target' && current.status === 'filled') await this.#positions.afterTarget(rt, role.index);
  }

  async onFill(rt: SymbolRuntime, fill: Fill): Promise<void> {
    const { store } = this.#ctx;
    if (!this.#ctx.tracker.recordFill(fill)) return;
    rt.lastFillTs = Math.max(rt.lastFillTs ?? 0, fill.ts);
    this.#ledger.fill(fill);
    const sym = rt.settings.symbol;
    for (const trip of rt.roundTrip.apply(fill)) await this.#onTradeClosed(rt, trip);
    // The position as the fills say, until the exchange's own position push confirms it.
    const side = rt.roundTrip.side;
    const pos = localPosition(store, rt);
    if (side !== null && pos !== null) {
      store.update((d) => {
        const p = d.symbols[sym]!.position!;
        p.size = money(rt.roundTrip.openQty);
        p.entryPrice = money(rt.roundTrip.entryPrice);
      });
    } else if (side !== null && pos === null) {
      // A fill that opened a position without an entry record: the maker's quotes.
      store.update((d) => {
        d.symbols[sym]!.position = { side, size: money(rt.roundTrip.openQty), entryPrice: money(rt.roundTrip.entryPrice), openedMs: fill.ts, entryOrderLinkId: null, stop: null, targets: [] };
      });
    }
    if (rt.settings.strategy === 'maker' && side !== null) await this.#positions.protectMakerInventory(rt);
  }

  async #onTradeClosed(rt: SymbolRuntime, trip: ClosedRoundTrip): Promise<void> {
    const sym = rt.settings.symbol;
    const reason = exitReason(trip.lastFill, this.#ctx.settings().orderIdPrefix, rt.settings.strategy);
    this.#ledger.exit(sym, trip, reason);
    // Day windows, streaks and locks run on the engine's market clock, like its decisions (the
    // closing fill carries the exchange's own stamp, which a replay does not share).
    const now = this.#ctx.now();
    this.#risk.recordTrade(sym, trip.pnl, now);
    await this.#positions.clear(rt);
    const level = trip.pnl.isNegative() ? 'warning' : 'trade';
    this.#ctx.alert(level, reason === 'stopLoss' ? 'stopLoss' : reason === 'takeProfit' ? 'takeProfit' : 'fill', `${sym} ${trip.side} closed: ${reason}`, `PnL ${trip.pnl.toFixed(2)} USDT (fees ${trip.fees.toFixed(2)}), ${trip.qty.toFixed()} @ ${trip.entryPrice.toFixed(2)} → ${trip.exitPrice.toFixed(2)}`, sym);
    this.#risk.evaluateProtections(now);
  }
}
