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
import { limitEndedLine } from './limitEntry.js';
import { parseOrderLinkId } from './orderLinkId.js';
import type { DeepReadonly, OtherOrderState, PositionState } from '../domain/persistedState.js';
import { dec } from '../domain/money.js';
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
    if (outcome === 'foreign') {
      this.storeOtherOrders(rt);
      return;
    }
    const current = tracker.get(order.orderLinkId) ?? order;
    const terminal = TERMINAL_ORDER_STATUSES.has(current.status);
    const sym = rt.settings.symbol;
    const role = parseOrderLinkId(this.#ctx.settings().orderIdPrefix, order.orderLinkId)?.role;
    // An entry that is done stays on record until what filled is protected and laddered: the stop
    // is set on the position first, a call to Bybit, and the store's pending writes land meanwhile.
    // A SIGKILL then leaves the entry to the restart, which looks it up, finds it done, and comes
    // back here; without it the restart found a position whose ladder nobody would place.
    const entryDone = terminal && role?.kind === 'entry';
    const stored = store.state.symbols[sym]?.openOrders[order.orderLinkId];
    if (stored) {
      store.update((d) => {
        const s = d.symbols[sym]!;
        if (terminal && !entryDone) delete s.openOrders[order.orderLinkId];
        else {
          const o = s.openOrders[order.orderLinkId]!;
          o.orderId = current.orderId ?? o.orderId;
          if (!terminal) o.status = current.status === 'partiallyFilled' ? 'partiallyFilled' : 'new';
          o.filledQty = money(current.filledQty);
        }
      });
    }
    if (!terminal || !role) return;
    if (role.kind === 'entry') {
      const pending = localPosition(store, rt);
      if (current.type === 'limit' && pending?.entryOrderLinkId === current.orderLinkId) {
        this.#ctx.logger.info(limitEndedLine(sym, pending.side, current, rt.limitCancelWhy));
        rt.limitCancelWhy = null;
      }
      try {
        await this.#positions.afterEntry(rt, current);
      } finally {
        if (stored) {
          store.update((d) => {
            delete d.symbols[sym]!.openOrders[order.orderLinkId];
          });
        }
      }
      const pos = localPosition(store, rt);
      // Under the kill switch the fill was closed at once (PositionManager.afterEntry says so): no "opened" line.
      if (pos && this.#ctx.logger.discards !== true && current.filledQty.gt(0) && store.state.protections.killSwitch === null) {
        const targets = pos.targets.map((t) => t.price).join(', ');
        this.#ctx.logger.info(`${sym} ${pos.side} opened: ${pos.size} @ ${pos.entryPrice}, stop ${pos.stop?.price ?? 'none'}${targets ? `, targets ${targets}` : ''}`);
      }
    } else if (role.kind === 'target' && current.status === 'filled') {
      const before = localPosition(store, rt)?.stop?.price ?? null;
      await this.#positions.afterTarget(rt, role.index);
      const pos = localPosition(store, rt);
      const after = pos?.stop?.price ?? null;
      if (pos && after !== null && after !== before) this.#ctx.logger.info(`${sym} ${pos.side} stop moved: ${before ?? 'none'} → ${after}${stopAtBreakeven(pos) ? ' (breakeven)' : ''}`);
    }
  }

  /**
   * Keeps the state file's list of the symbol's open orders that are not the bot's in step with the
   * tracker (`status` shows them); written only when it changed.
   */
  storeOtherOrders(rt: SymbolRuntime): void {
    const sym = rt.settings.symbol;
    const now = this.#ctx.tracker.foreign(sym).map(otherOrderState);
    const before = this.#ctx.store.state.symbols[sym]?.otherOrders ?? [];
    if (JSON.stringify(before) === JSON.stringify(now)) return;
    if (before.length === 0 && now.length > 0) this.#ctx.logger.info(`${sym}: ${now.length} open order(s) on the account that are not the bot's (manual, another program's, or a position's own TP/SL); the bot leaves them alone`);
    this.#ctx.store.update((d) => {
      const s = d.symbols[sym];
      if (s) s.otherOrders = now;
    });
  }

  async onFill(rt: SymbolRuntime, fill: Fill): Promise<void> {
    const { store } = this.#ctx;
    if (!this.#ctx.tracker.recordFill(fill)) return;
    if (fill.source === 'funding') {
      this.#onFunding(rt, fill);
      return;
    }
    rt.lastFillTs = Math.max(rt.lastFillTs ?? 0, fill.ts);
    this.#ledger.fill(fill);
    const sym = rt.settings.symbol;
    // A backtest's silent logger: no line to build (Decimal text, slow in a backtest's first, uncompiled trades).
    if (this.#ctx.logger.discards !== true) {
      const role = parseOrderLinkId(this.#ctx.settings().orderIdPrefix, fill.orderLinkId)?.role;
      const what = fill.trigger ? EXIT_WORDS[fill.trigger] : role?.kind === 'entry' ? `${role.side} entry` : role?.kind === 'target' ? `target ${role.index}` : role?.kind === 'quote' ? 'quote' : role?.kind === 'exit' ? 'exit' : 'order';
      // Targets and quotes get a line of their own; an entry's fills are summed up in "opened", an exit's in "closed".
      const line = `${sym} ${what} filled: ${fill.side} ${fill.qty.toFixed()} @ ${fill.price.toFixed()}`;
      if (role?.kind === 'target' || role?.kind === 'quote') this.#ctx.logger.info(line);
      else this.#ctx.logger.debug(line);
    }
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

  /**
   * Funding at a funding time: journaled, and charged to the open trade. It lowers (or raises) the
   * bot's equity at once, so it counts toward the day's loss and the drawdown when it is booked, and
   * joins the trade's PnL (and the statistics) when the trade closes. It moves no position, so it
   * does not count as the newest fill the reconciler compares position snapshots with.
   */
  #onFunding(rt: SymbolRuntime, fill: Fill): void {
    this.#ledger.fill(fill);
    const sym = rt.settings.symbol;
    // Market clock, like the day windows; a funding at midnight belongs to the day it opens.
    const now = this.#ctx.now();
    this.#risk.rollDailyWindow(now);
    const held = rt.roundTrip.addFunding(fill.fee);
    const what = fill.fee.isNegative() ? 'received' : 'paid';
    const amount = `${fill.fee.abs().toSignificantDigits(6).toFixed()} USDT`;
    const on = `${fill.side === 'buy' ? 'long' : 'short'} ${fill.qty.toFixed()} at mark ${fill.price.toFixed()}`;
    if (held) this.#ctx.logger.info(`${sym} funding ${what}: ${amount} on the ${on}`);
    else this.#ctx.logger.info(`${sym} funding ${what}: ${amount} on a ${on} the bot holds no trade in; journaled, not part of a trade`);
    if (held) this.#risk.fundingBooked(now);
  }

  async #onTradeClosed(rt: SymbolRuntime, trip: ClosedRoundTrip): Promise<void> {
    const sym = rt.settings.symbol;
    const reason = exitReason(trip.lastFill, this.#ctx.settings().orderIdPrefix, rt.settings.strategy);
    this.#ledger.exit(sym, trip, reason);
    const pos = localPosition(this.#ctx.store, rt);
    const how = reason === 'stopLoss' && pos && stopAtBreakeven(pos) ? 'at breakeven stop' : reason in CLOSED_AT ? `at ${CLOSED_AT[reason]}` : `by ${EXIT_WORDS[reason] ?? reason}`;
    const pnl = `${trip.pnl.isNegative() ? '' : '+'}${trip.pnl.toFixed(2)} USDT`;
    const funding = trip.funding.isZero() ? '' : `, funding ${trip.funding.toFixed(2)} USDT`;
    const prices = `${trip.qty.toFixed()} @ ${trip.entryPrice.toSignificantDigits(8).toFixed()} → ${trip.exitPrice.toSignificantDigits(8).toFixed()}, fees ${trip.fees.toFixed(2)} USDT${funding}`;
    this.#ctx.logger.info(`${sym} ${trip.side} closed ${how}: PnL ${pnl}, ${prices}`);
    // Day windows, streaks and locks run on the engine's market clock, like its decisions (the
    // closing fill carries the exchange's own stamp, which a replay does not share).
    const now = this.#ctx.now();
    this.#risk.recordTrade(sym, trip.pnl, now);
    await this.#positions.clear(rt);
    const level = trip.pnl.isNegative() ? 'warning' : 'trade';
    this.#ctx.alert(level, 'tradeClosed', `${sym} ${trip.side} closed ${how} (${pnl})`, prices, sym);
    this.#risk.evaluateProtections(now);
  }
}

function otherOrderState(o: Order): OtherOrderState {
  return {
    orderId: o.orderId ?? '',
    orderLinkId: o.orderLinkId,
    side: o.side,
    type: o.type,
    price: o.price === null ? null : money(o.price),
    qty: money(o.qty),
    conditional: o.conditional?.kind ?? null,
    triggerPrice: o.conditional?.triggerPrice ? money(o.conditional.triggerPrice) : null,
    createdMs: o.createdMs,
  };
}

/** Exit reasons (journal codes) in words, for log lines and notifications. */
const EXIT_WORDS: Readonly<Record<string, string>> = {
  stopLoss: 'stop loss',
  takeProfit: 'take profit',
  trailingStop: 'trailing stop',
  timeExit: 'time exit',
  signal: 'opposite signal',
  killSwitch: 'kill switch',
  closeAll: 'close-all',
  quote: 'quote fill',
  exit: 'exit order',
  manual: 'manual order',
  adl: 'auto-deleveraging',
  liquidation: 'liquidation',
  blockTrade: 'block trade',
  movePosition: 'position move',
  delivery: 'delivery',
};
/** The exits that happen at a price level: "closed at stop loss". */
const CLOSED_AT: Readonly<Record<string, string>> = { stopLoss: 'stop loss', takeProfit: 'take profit', trailingStop: 'trailing stop' };

/** The stop sits at or beyond the entry price: a breakeven stop, not a loss-taking one. */
function stopAtBreakeven(pos: DeepReadonly<PositionState>): boolean {
  if (!pos.stop) return false;
  const stop = dec(pos.stop.price);
  return pos.side === 'long' ? stop.gte(pos.entryPrice) : stop.lte(pos.entryPrice);
}
