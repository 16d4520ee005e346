/**
 * Reconciliation (issue 7 item 6): compares local state with the exchange at start, periodically,
 * and when a stream fell behind. It adopts the bot's own orders and any position in its symbols,
 * gives a position without an exchange stop a stop at once, records fills that happened while the
 * bot was not listening, and drops local orders the exchange no longer knows. It returns the
 * differences found as plain lines (also sent to the owner as one alert).
 *
 * A position is never dropped on one flat answer (a REST list can be stale, or describe another
 * position index): the exchange must say flat in two reconciliations in a row, or a fill must close
 * it. A snapshot older than the last position update applied (a stream push) is not compared at all.
 */
import { dec, money, ZERO } from '../domain/money.js';
import type { Fill, Order, Position } from '../domain/types.js';
import type { EngineContext } from './engineContext.js';
import type { ExecutionHandler } from './executionHandler.js';
import type { LedgerWriter } from './ledgerWriter.js';
import { isOwnOrderLinkId, parseOrderLinkId } from './orderLinkId.js';
import type { OrderSender } from './orderSender.js';
import type { PositionManager } from './positionManager.js';
import type { SymbolRuntime } from './symbolRuntime.js';

export type ReconcileReason = 'start' | 'periodic' | 'stale';

/** Runs a symbol's reconciliation in that symbol's turn (the Engine's queue), or at once. */
export type SymbolTurn = (rt: SymbolRuntime, task: () => Promise<void>) => Promise<void>;

const FILL_RECOVERY_OVERLAP_MS = 15 * 60_000;
/** How long /v5/order/history keeps an order cancelled or rejected without fills (V5 docs, order-list). */
const CANCELLED_KEPT_MS = 24 * 3_600_000;

export class Reconciler {
  readonly #ctx: EngineContext;
  readonly #ledger: LedgerWriter;
  readonly #events: ExecutionHandler;
  readonly #positions: PositionManager;
  readonly #orders: OrderSender;
  /** Counts reconciliations, so a second flat answer is known to come from a later one. */
  #round = 0;
  /** Per symbol, the reconciliation that first found the exchange flat while the bot holds a position. */
  readonly #flatSince = new Map<string, number>();

  constructor(ctx: EngineContext, ledger: LedgerWriter, events: ExecutionHandler, positions: PositionManager, orders: OrderSender) {
    this.#ctx = ctx;
    this.#ledger = ledger;
    this.#events = events;
    this.#positions = positions;
    this.#orders = orders;
  }

  /**
   * After a restart: the journal's fills seed de-duplication (a fill is never journaled twice) and
   * rebuild each symbol's open round trip, so a trade that began before a crash is accounted whole.
   */
  async restoreFromJournal(runtimes: ReadonlyMap<string, SymbolRuntime>): Promise<void> {
    const fills = (await this.#ledger.readFills()) ?? [];
    for (const r of fills) {
      const rt = runtimes.get(r.symbol);
      if (!rt) continue;
      const fill: Fill = { execId: r.execId, orderId: r.orderId, orderLinkId: r.orderLinkId, symbol: r.symbol, side: r.side, price: dec(r.price), qty: dec(r.qty), fee: dec(r.fee), isMaker: r.isMaker, ts: r.ts, ...(r.source ? { source: r.source } : {}) };
      if (!this.#ctx.tracker.recordFill(fill)) continue;
      if (fill.source === 'funding') {
        rt.roundTrip.addFunding(fill.fee); // funding of the trade still open
        continue;
      }
      rt.roundTrip.apply(fill); // trades it closes were journaled when they closed
      rt.lastFillTs = Math.max(rt.lastFillTs ?? 0, r.ts);
    }
  }

  /** Reconciles each symbol in its turn; returns the differences found. */
  async reconcile(reason: ReconcileReason, runtimes: readonly SymbolRuntime[], turn: SymbolTurn): Promise<string[]> {
    const diffs: string[] = [];
    const round = ++this.#round;
    for (const rt of runtimes) {
      const sym = rt.settings.symbol;
      // The position is read inside the symbol's turn, after the events queued before it: a
      // snapshot read earlier could predate fills applied meanwhile (see #reconcileSymbol).
      const task = async (): Promise<void> => {
        const ex = (await this.#ctx.port.fetchPositions([sym])).find((p) => p.symbol === sym) ?? null;
        // A stream push newer than this answer wins: the answer says nothing about the position now.
        const applied = rt.exchangePosition;
        const stale = ex !== null && applied !== null && applied.updatedMs > ex.updatedMs;
        if (!stale) rt.exchangePosition = ex;
        // Maker inventory found without a stop (after a restart, too) gets it at once, before the lookups.
        if (!stale && ex !== null && this.#positions.makerStopMissing(rt, ex)) await this.#positions.protectMakerInventory(rt);
        await this.#reconcileSymbol(rt, ex, reason, diffs, stale, round);
      };
      await turn(rt, task);
    }
    if (diffs.length > 0) {
      this.#ctx.logger.warn('reconciliation found differences', { reason, count: diffs.length });
      this.#ctx.alert('warning', 'reconcile', `Reconciled ${diffs.length} difference(s)`, diffs.join('\n'), undefined, `reconcile-${reason}-${diffs.join('|')}`);
    }
    return diffs;
  }

  async #reconcileSymbol(rt: SymbolRuntime, ex: Position | null, reason: string, diffs: string[], stale: boolean, round: number): Promise<void> {
    const { port, store, tracker, logger } = this.#ctx;
    const sym = rt.settings.symbol;
    const exOpen = ex !== null && ex.side !== null && ex.size.gt(0);

    // Fills that happened while we were not listening: from well before the newest one recorded
    // (exchange time, as fills are stamped), or the last 7 days. The overlap covers fills recorded
    // out of time order (one recovered late by REST after a newer one was pushed); fills already
    // recorded are skipped by execId, so the overlap costs nothing but a longer answer.
    const since = rt.lastFillTs !== null ? rt.lastFillTs - FILL_RECOVERY_OVERLAP_MS : this.#ctx.clockMs() - 7 * 86_400_000;
    for (const f of await port.fetchFills(sym, since)) await this.#events.onFill(rt, f);

    const open = await port.fetchOpenOrders(sym);
    // Others' orders (manual, other programs', a position's own TP/SL) are listed, never touched.
    tracker.replaceForeign(sym, open);
    this.#events.storeOtherOrders(rt);
    for (const o of open) {
      if (!isOwnOrderLinkId(this.#ctx.settings().orderIdPrefix, o.orderLinkId)) continue;
      const known = tracker.get(o.orderLinkId);
      if (!known) {
        tracker.applyUpdate(o, this.#ctx.now());
        const role = parseOrderLinkId(this.#ctx.settings().orderIdPrefix, o.orderLinkId)?.role;
        if (role?.kind === 'quote' && reason === 'start') {
          await this.#orders.cancel(sym, o.orderLinkId, 'stale quote from before the restart');
          diffs.push(`${sym}: cancelled a quote left from before the restart (${o.orderLinkId})`);
        } else {
          diffs.push(`${sym}: adopted open order ${o.orderLinkId}`);
        }
      } else {
        tracker.applyUpdate(o, this.#ctx.now());
      }
    }
    // Local open orders the exchange does not list: look each up; only repeated misses drop it.
    const stored = store.state.symbols[sym]?.openOrders ?? {};
    for (const linkId of Object.keys(stored)) {
      if (open.some((o) => o.orderLinkId === linkId)) continue;
      const found = await port.fetchOrder(sym, linkId);
      if (found) {
        await this.#events.onOrder(rt, found);
        continue;
      }
      if (!tracker.get(linkId)) {
        const s = stored[linkId]!;
        tracker.applyUpdate(
          {
            orderLinkId: linkId,
            orderId: s.orderId,
            symbol: sym,
            side: s.side,
            type: s.type,
            timeInForce: s.type === 'market' ? 'IOC' : 'GTC',
            price: s.price === null ? null : dec(s.price),
            qty: dec(s.qty),
            reduceOnly: s.reduceOnly,
            stopLoss: null,
            takeProfit: null,
            status: s.status,
            filledQty: dec(s.filledQty),
            avgFillPrice: null,
            rejectReason: null,
            createdMs: s.createdMs,
            updatedMs: s.createdMs,
          },
          this.#ctx.now(),
        );
      }
      // One miss per periodic reconciliation: an order Bybit shows a moment late is not dropped on
      // one failed look-up (STYLE point 6: "lost" only after several). At a restart nothing of ours is
      // in flight, so the start's reconciliation looks three times in a row. Why Bybit does not know
      // it matters to the owner: /v5/order/realtime finds an order by its id while it is open or
      // among the account's last 500 closed ones, and /v5/order/history keeps an order cancelled
      // without fills for 24 hours only (V5 docs). So an order Bybit acknowledged, or one sent more
      // than 24 hours ago, may have been cancelled without fills while the bot was away; its fills,
      // had it any, are in the executions read above. Only a young unacknowledged one never reached
      // the exchange.
      let lost: Order | null = null;
      const looks = reason === 'start' ? 3 : 1;
      for (let i = 0; i < looks && lost === null; i++) lost = tracker.lookupMissed(linkId, this.#ctx.now());
      if (lost) {
        const s = stored[linkId]!;
        const forgotten = s.orderId !== null || this.#ctx.clockMs() - s.createdMs > CANCELLED_KEPT_MS;
        diffs.push(
          forgotten
            ? `${sym}: ${linkId} is no longer on the exchange: it was cancelled without fills while the bot was away (Bybit keeps such orders 24 hours only); dropped`
            : `${sym}: dropped ${linkId}, which never reached the exchange`,
        );
        await this.#events.onOrder(rt, lost);
      }
    }

    const nowLocal = store.state.symbols[sym]?.position ?? null;
    // A snapshot older than a fill the bot has applied (the fill moved the position after the
    // exchange last did, as far as this answer knows) says nothing about the position now:
    // comparing with it could wipe a live position or adopt a closed one. The next round decides.
    if (ex !== null && ex.updatedMs > 0 && rt.lastFillTs !== null && rt.lastFillTs > ex.updatedMs) {
      logger.debug(`${sym}: position snapshot older than the newest fill; compared next time`, { snapshotMs: ex.updatedMs, lastFillMs: rt.lastFillTs });
      return;
    }
    if (stale) {
      logger.debug(`${sym}: position snapshot older than the last position update applied; compared next time`, { snapshotMs: ex?.updatedMs ?? 0 });
      return;
    }
    if (exOpen || nowLocal === null || dec(nowLocal.size).isZero()) this.#flatSince.delete(sym);
    if (exOpen) {
      if (nowLocal === null || dec(nowLocal.size).isZero()) {
        if (nowLocal === null) diffs.push(`${sym}: adopted a ${ex.side} position of ${ex.size.toFixed()} the bot had no record of`);
        store.update((d) => {
          const s = d.symbols[sym]!;
          s.position = {
            side: ex.side!,
            size: money(ex.size),
            entryPrice: money(ex.entryPrice),
            openedMs: s.position?.openedMs ?? this.#ctx.now(),
            entryOrderLinkId: s.position?.entryOrderLinkId ?? null,
            stop: ex.stopLoss ? { price: money(ex.stopLoss), orderLinkId: null, orderId: null } : (s.position?.stop ?? null),
            targets: s.position?.targets ?? [],
          };
        });
        if (rt.roundTrip.side === null) {
          // Seed the accounting with the position as found, so its exit is still recorded.
          rt.roundTrip.apply({ execId: `adopt-${sym}-${this.#ctx.now()}`, orderId: '', orderLinkId: '', symbol: sym, side: ex.side === 'long' ? 'buy' : 'sell', price: ex.entryPrice, qty: ex.size, fee: ZERO, isMaker: false, ts: this.#ctx.now() });
        }
      } else if (!dec(nowLocal.size).eq(ex.size)) {
        diffs.push(`${sym}: position size ${nowLocal.size} locally, ${ex.size.toFixed()} on the exchange; using the exchange's`);
        store.update((d) => {
          d.symbols[sym]!.position!.size = money(ex.size);
          d.symbols[sym]!.position!.entryPrice = money(ex.entryPrice);
        });
      }
      if (ex.stopLoss === null && ex.trailingStop === null) {
        const pos = store.state.symbols[sym]!.position!;
        const stop = pos.stop ? dec(pos.stop.price) : this.#positions.fallbackStop(rt, ex.side!, ex.entryPrice);
        const placed = await this.#positions.setStop(rt, stop, 'reconcile: position had no stop on the exchange');
        diffs.push(`${sym}: the position had no stop on the exchange; ${placed ? `placed one at ${stop.toFixed()}` : 'placing one failed'}`);
        // A failure has raised its own alarm in PositionManager's trading-stop call; the next round tries again.
        if (placed) this.#ctx.alert('critical', 'reconcile', `${sym} had no stop`, `Placed a stop at ${stop.toFixed()}.`, sym);
      }
    } else if (nowLocal !== null && dec(nowLocal.size).gt(0)) {
      const first = this.#flatSince.get(sym);
      if (first === undefined || first === round) {
        // One flat answer may be stale: keep the position, its stop plan and ladder, and look again.
        this.#flatSince.set(sym, round);
        logger.info(`${sym}: the exchange lists no position, but the bot holds a ${nowLocal.side} ${nowLocal.size}; keeping it until the next reconciliation confirms it`);
        return;
      }
      this.#flatSince.delete(sym);
      diffs.push(`${sym}: the ${nowLocal.side} position is closed on the exchange`);
      if (rt.roundTrip.side !== null) {
        // Fills we could not see: close the books with what we know rather than keep a ghost position.
        logger.warn(`${sym}: closing a position whose exit fills were not found`, { size: nowLocal.size });
      }
      await this.#positions.clear(rt);
    }
  }
}
