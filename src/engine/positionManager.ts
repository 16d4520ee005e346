/**
 * The position manager: what happens to a position after its entry. The entry's fill gets its
 * stop set on the position and its take-profit ladder placed (and the trailing stop, when on);
 * a filled target can move the stop to breakeven; a time exit or a signal closes at market; a
 * position found without a stop gets one. The rules themselves are the pure functions of
 * positionPlan.ts; this part turns them into exchange calls and store records.
 */
import { bybitSaid, ExchangeError, refusedForZeroPosition, refusedStopBeyondPrice } from '../domain/exchangeErrors.js';
import { dec, money, toPrice, type Decimal } from '../domain/money.js';
import type { Order, Position, PositionSide } from '../domain/types.js';
import type { EngineContext } from './engineContext.js';
import type { ExchangePort, OrderRequest } from './exchangePort.js';
import { EXIT_CODES, makeOrderLinkId, parseOrderLinkId, type ExitCode } from './orderLinkId.js';
import { BareStops, type StopOutcome } from './bareStops.js';
import { KILL_CANCEL_RETRY_MS, killSwitchEntryCancel, openEntries } from './killSwitchEntryCancel.js';
import { makerStopMissing } from './positionStopGuard.js';
import { storedOrder, type OrderSender, type SendOutcome } from './orderSender.js';
import { breakevenStop, improvesStop, ladderOrders, stopBeyondPrice, timeExitDue, trailingStop } from './positionPlan.js';
import { localPosition, type SymbolRuntime } from './symbolRuntime.js';

/** After Bybit said a position is flat, the kill switch's close-out waits this long for its fills (one reconciliation period). */
const FLAT_SAID_WAIT_MS = 60_000;

export class PositionManager {
  readonly #ctx: EngineContext;
  readonly #orders: OrderSender;
  /** Asks for a reconciliation soon: the exchange says a position is flat that we still hold. */
  readonly #resync: () => void;
  /** When Bybit last refused an exit because the position was already flat, per symbol. */
  readonly #flatSaidAtMs = new Map<string, number>();

  /** Runs `task` in the symbol's turn after `delayMs` (never while the engine stops). */
  readonly #later: (rt: SymbolRuntime, task: () => Promise<void>, delayMs: number) => void;
  /** Stops for positions found without one. */
  readonly #bare: BareStops;

  constructor(ctx: EngineContext, orders: OrderSender, resync: () => void, later: (rt: SymbolRuntime, task: () => Promise<void>, delayMs: number) => void = () => {}) {
    this.#ctx = ctx;
    this.#orders = orders;
    this.#resync = resync;
    this.#later = later;
    this.#bare = new BareStops(ctx, (rt, stop, why) => this.#setStop(rt, stop, why, false), resync, later);
  }

  /** The entry is done (filled, or partly filled and the rest cancelled): protect and ladder what filled. */
  async afterEntry(rt: SymbolRuntime, entry: Order): Promise<void> {
    const { store } = this.#ctx;
    rt.entryDeadlineMs = null;
    const sym = rt.settings.symbol;
    const pos = localPosition(store, rt);
    if (!pos || pos.entryOrderLinkId !== entry.orderLinkId) return;
    if (entry.filledQty.isZero()) {
      store.update((d) => {
        d.symbols[sym]!.position = null;
      });
      // A limit entry's end has been said already, with its reason (ExecutionHandler).
      if (entry.type !== 'limit') this.#ctx.logger.info(`${sym} entry ${entry.orderLinkId} ended unfilled (${entry.status})`);
      return;
    }
    const entryPrice = entry.avgFillPrice ?? dec(pos.entryPrice);
    if (this.#ctx.store.state.protections.killSwitch !== null) {
      // Filled although the kill switch had it cancelled (the cancel failed or lost the race): closed at once.
      store.update((d) => {
        const p = d.symbols[sym]!.position!;
        p.size = money(entry.filledQty);
        p.entryPrice = money(entryPrice);
      });
      return this.close(rt, 'K', `entry ${entry.filledQty.toFixed()} @ ${entryPrice.toFixed()} filled under the kill switch`);
    }
    const exits = rt.settings.exits!;
    const ins = rt.instrument!;
    const stop = dec(pos.stop!.price);
    // The stop was attached to the entry; set it on the position as well, so it covers exactly what
    // filled. When it was attached, a failure here leaves that stop in force: a warning, not an alarm.
    const protectedBy = await this.#setStop(rt, stop, 'entry filled', entry.stopLoss !== null);
    if (protectedBy === 'gone' || protectedBy === 'closed' || this.#closedSince(rt, entry)) {
      // Stopped out already (or being closed): a take-profit for it would only be refused (110017).
      this.#ctx.logger.info(`${sym} take-profit ladder not placed: the position is already closed on the exchange`);
      return;
    }
    const orders = ladderOrders({
      symbol: sym,
      side: pos.side,
      filledQty: entry.filledQty,
      prices: pos.targets.map((t) => dec(t.price)),
      fractions: exits.ladderFractions,
      instrument: ins,
      prefix: this.#ctx.settings().orderIdPrefix,
      entryStampMs: parseOrderLinkId(this.#ctx.settings().orderIdPrefix, entry.orderLinkId)?.stampMs ?? pos.openedMs,
    });
    const now = this.#ctx.now();
    store.update((d) => {
      const p = d.symbols[sym]!.position!;
      p.size = money(entry.filledQty);
      p.entryPrice = money(entryPrice);
      p.targets = orders.map((o) => ({ price: money(o.price!), qty: money(o.qty), filled: false, orderLinkId: o.orderLinkId, orderId: null }));
      for (const o of orders) d.symbols[sym]!.openOrders[o.orderLinkId] = storedOrder(o, 'takeProfit', now);
    });
    await store.flush();
    for (let i = 0; i < orders.length; i++) {
      const gone = this.#closedSince(rt, entry) || (await this.#orders.send(orders[i]!, 'takeProfit', 'take-profit ladder')) === 'positionGone';
      if (!gone) continue;
      // The position closed while the ladder was going out: the rest is never sent.
      const unsent = orders.slice(this.#closedSince(rt, entry) ? i : i + 1);
      if (unsent.length > 0) this.#ctx.logger.info(`${sym} ${unsent.length} take-profit(s) not placed: the position is already closed on the exchange`);
      store.update((d) => {
        for (const o of unsent) delete d.symbols[sym]!.openOrders[o.orderLinkId];
      });
      return;
    }
    if (exits.trailing.enabled) {
      await this.#tradingStop(rt, trailingStop({ symbol: sym, side: pos.side, entryPrice, initialStop: stop, activationR: exits.trailing.activationR, distancePct: exits.trailing.distancePct, instrument: ins }), 'trailing stop', true);
    }
    this.#ctx.alert('trade', 'fill', `${sym} ${pos.side} opened`, `${entry.filledQty.toFixed()} @ ${entryPrice.toFixed()}, stop ${stop.toFixed()}, ${orders.length} target(s)`, sym);
  }

  /** Take-profit `index` filled: note it, and move the stop to breakeven once enough targets have. */
  async afterTarget(rt: SymbolRuntime, index: number): Promise<void> {
    const { store } = this.#ctx;
    const sym = rt.settings.symbol;
    const pos = localPosition(store, rt);
    if (!pos) return;
    store.update((d) => {
      const t = d.symbols[sym]!.position?.targets.find((x) => x.orderLinkId?.includes(`-T${index}-`));
      if (t) t.filled = true;
    });
    const filled = localPosition(store, rt)?.targets.filter((t) => t.filled).length ?? 0;
    this.#ctx.alert('trade', 'takeProfit', `${sym} target ${index} filled`, this.#targetBooked(pos, index, filled), sym);
    const be = rt.settings.exits?.breakeven;
    const remaining = localPosition(store, rt);
    if (!be?.enabled || filled < be.afterTargets || !remaining || dec(remaining.size).isZero() || !rt.instrument) return;
    const stop = breakevenStop(remaining.side, dec(remaining.entryPrice), be.feeBufferPct, rt.instrument);
    const current = remaining.stop ? dec(remaining.stop.price) : null;
    if (!improvesStop(remaining.side, current, stop)) return;
    // If price is already back through the breakeven level the move is skipped (#tradingStop): the
    // existing stop still protects the position. Any other refusal is a warning, not an alarm.
    if (!(await this.setStop(rt, stop, 'breakeven', current !== null))) return;
    this.#ctx.alert('trade', 'breakeven', `${sym} stop to breakeven`, `Stop moved to ${stop.toFixed()} after target ${index}.`, sym);
  }

  /** "target 1 of 4 filled at 106,240.5: +3.12 USDT": the price, and that part's profit after its (maker) fee. */
  #targetBooked(pos: NonNullable<ReturnType<typeof localPosition>>, index: number, filled: number): string {
    const target = pos.targets.find((x) => x.orderLinkId?.includes(`-T${index}-`));
    const order = target?.orderLinkId ? this.#ctx.tracker.get(target.orderLinkId) : undefined;
    const price = order?.avgFillPrice ?? (target ? dec(target.price) : null);
    const qty = order && order.filledQty.gt(0) ? order.filledQty : target ? dec(target.qty) : null;
    if (price === null || qty === null) return `target ${index} of ${pos.targets.length} filled (${filled} done)`;
    const move = pos.side === 'long' ? price.minus(dec(pos.entryPrice)) : dec(pos.entryPrice).minus(price);
    const booked = move.mul(qty).minus(price.mul(qty).mul(this.#ctx.settings().makerFeePct ?? 0.02).div(100));
    const [whole = '0', frac] = price.toFixed().split('.');
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac ? `.${frac}` : '');
    return `target ${index} of ${pos.targets.length} filled at ${grouped}: ${booked.gte(0) ? '+' : ''}${booked.toFixed(2)} USDT`;
  }

  /**
   * True when the open position has been held its configured number of candles at the close of
   * the candle that started at `candleTs`. The size (a Decimal to parse) is looked at last: on
   * most candles no time exit is due.
   */
  timeExitDue(rt: SymbolRuntime, candleTs: number): boolean {
    const pos = localPosition(this.#ctx.store, rt);
    // Held candles count from the close the entry was decided on: the decision time is that close
    // plus however long the decision took live (milliseconds), which would otherwise make the
    // exit wait one candle more than in a backtest (tests/cli/parity.test.ts).
    const intervalMs = rt.settings.intervalMinutes * 60_000;
    return pos !== null && rt.settings.exits !== undefined && timeExitDue(Math.floor(pos.openedMs / intervalMs) * intervalMs, candleTs + intervalMs, rt.settings.intervalMinutes, rt.settings.exits.timeExitCandles) && dec(pos.size).gt(0);
  }

  /** After a position ends: cancel what is left of its ladder and forget it. */
  async clear(rt: SymbolRuntime): Promise<void> {
    const sym = rt.settings.symbol;
    for (const o of this.#ctx.tracker.open(sym)) {
      const role = parseOrderLinkId(this.#ctx.settings().orderIdPrefix, o.orderLinkId)?.role;
      if (role?.kind === 'target') await this.#orders.cancel(sym, o.orderLinkId, 'position closed');
    }
    this.#ctx.store.update((d) => {
      const s = d.symbols[sym]!;
      s.position = null;
      for (const [id, o] of Object.entries(s.openOrders)) if (o.purpose === 'takeProfit') delete s.openOrders[id];
    });
  }

  /**
   * Closes the position at market. Orders that could add to it (an entry, the maker's quotes) are
   * cancelled first; the exit goes out next; the reduce-only ladder, which can never open a
   * position, is cancelled after it, so the exit waits for no round trip it does not need.
   */
  async close(rt: SymbolRuntime, code: ExitCode, reason: string): Promise<void> {
    const { tracker } = this.#ctx;
    const sym = rt.settings.symbol;
    const roleOf = (o: Order) => parseOrderLinkId(this.#ctx.settings().orderIdPrefix, o.orderLinkId)?.role.kind;
    for (const o of tracker.open(sym)) if (roleOf(o) === 'quote' || roleOf(o) === 'entry') await this.#orders.cancel(sym, o.orderLinkId, reason);
    const pos = localPosition(this.#ctx.store, rt);
    let sent: { readonly outcome: SendOutcome; readonly orderLinkId: string } | null = null;
    if (pos && !dec(pos.size).isZero()) {
      const now = this.#ctx.now();
      const req: OrderRequest = {
        symbol: sym,
        side: pos.side === 'long' ? 'sell' : 'buy',
        type: 'market',
        qty: dec(pos.size),
        price: null,
        timeInForce: 'IOC',
        reduceOnly: true,
        orderLinkId: makeOrderLinkId(this.#ctx.settings().orderIdPrefix, sym, { kind: 'exit', code }, now),
        stopLoss: null,
        takeProfit: null,
      };
      // Not flushed first: an exit repeated after a crash is refused (reduce-only on a flat
      // position), so unlike an entry it cannot do harm twice. Recorded once its request is written
      // (OrderSender.send): the state's update is then not on the way to the exchange.
      const record = (): void =>
        this.#ctx.store.update((d) => {
          d.symbols[sym]!.openOrders[req.orderLinkId] = storedOrder(req, 'exit', now);
        });
      sent = { outcome: await this.#orders.send(req, 'exit', `${EXIT_CODES[code]}: ${reason}`, record), orderLinkId: req.orderLinkId };
      if (sent.outcome === 'positionGone') this.#flatSaidAtMs.set(sym, this.#ctx.clockMs());
    }
    for (const o of tracker.open(sym)) if (roleOf(o) === 'target') await this.#orders.cancel(sym, o.orderLinkId, reason);
    if (sent !== null && (code === 'K' || code === 'C') && (sent.outcome === 'refused' || sent.outcome === 'unknown')) {
      // The owner asked for flat (or the kill switch did): a position left open is an emergency.
      const why = sent.outcome === 'refused' ? `Bybit refused it (${tracker.get(sent.orderLinkId)?.rejectReason ?? 'no reason given'})` : 'its outcome is not known yet';
      const next = code === 'K' ? 'it is sent again at the next candle or reconciliation while the kill switch holds' : 'close it in the Bybit app or run close-all again';
      this.#ctx.alert('critical', 'killSwitch', `${sym} not closed`, `The ${code === 'K' ? 'kill switch' : 'close-all'} exit of ${sym}: ${why}; ${next}. Its stop stays on the exchange.`, sym);
    }
  }

  /** Kill switch and close-all: cancel every order of the symbol, then close its position. */
  async flatten(rt: SymbolRuntime, code: 'K' | 'C'): Promise<void> {
    for (const o of this.#ctx.tracker.open(rt.settings.symbol)) await this.#orders.cancel(rt.settings.symbol, o.orderLinkId, EXIT_CODES[code]);
    await this.close(rt, code, EXIT_CODES[code]);
    // An entry still open (its cancels failed, or their answer is on its way) is cancelled again shortly.
    if (code === 'K' && openEntries(this.#ctx, rt.settings.symbol).length > 0) this.#later(rt, () => killSwitchEntryCancel(this.#ctx, rt, this.#later), KILL_CANCEL_RETRY_MS);
  }

  /**
   * While the kill switch holds: an entry order still open is cancelled (again); a position still
   * open with no exit on its way (its exit refused, lost or never answered) is closed again.
   * Nothing to do, and no promise, otherwise.
   */
  killSwitchCloseOut(rt: SymbolRuntime): Promise<void> | void {
    if (this.#ctx.store.state.protections.killSwitch === null) return;
    if (openEntries(this.#ctx, rt.settings.symbol).length > 0) return killSwitchEntryCancel(this.#ctx, rt, this.#later).then(() => this.#closeOutPosition(rt));
    return this.#closeOutPosition(rt);
  }

  #closeOutPosition(rt: SymbolRuntime): Promise<void> | void {
    const pos = localPosition(this.#ctx.store, rt);
    if (!pos || dec(pos.size).isZero() || this.#exitInFlight(rt.settings.symbol)) return;
    // Bybit said the position is already flat (110017): its closing fills are on their way, and the
    // reconciliation that exit asked for will book them; sending the exit again only repeats the refusal.
    const goneAt = this.#flatSaidAtMs.get(rt.settings.symbol);
    if (goneAt !== undefined && this.#ctx.clockMs() - goneAt < FLAT_SAID_WAIT_MS) return;
    this.#ctx.logger.warn(`${rt.settings.symbol} still open under the kill switch: closing it again`);
    return this.flatten(rt, 'K');
  }

  /** Sets the position's stop; false when it was not set (see #tradingStop). */
  async setStop(rt: SymbolRuntime, stop: Decimal, why: string, stillProtected = false): Promise<boolean> {
    return (await this.#setStop(rt, stop, why, stillProtected)) === 'set';
  }

  async #setStop(rt: SymbolRuntime, stop: Decimal, why: string, stillProtected: boolean): Promise<StopOutcome> {
    const outcome = await this.#tradingStop(rt, { symbol: rt.settings.symbol, stopLoss: stop }, why, stillProtected);
    if (outcome !== 'set') return outcome;
    this.#ctx.store.update((d) => {
      const p = d.symbols[rt.settings.symbol]?.position;
      if (p) p.stop = { price: money(stop), orderLinkId: null, orderId: null };
    });
    return 'set';
  }

  /** A stop move the market has already passed: not made; the earlier stop stays, and the log says why. */
  #moveSkipped(rt: SymbolRuntime, why: string, stop: Decimal, reason: string, detail?: Record<string, unknown>): StopOutcome {
    this.#ctx.logger.info(`${rt.settings.symbol} stop not moved to ${stop.toFixed()} (${why}): ${reason}; the previous stop stays in force`, detail);
    return 'skipped';
  }

  /** An exit order of ours for the symbol is still open: the position is already being closed. */
  #exitInFlight(sym: string): boolean {
    return this.#ctx.tracker.open(sym).some((o) => parseOrderLinkId(this.#ctx.settings().orderIdPrefix, o.orderLinkId)?.role.kind === 'exit');
  }

  /** True when the exchange has pushed a flat position since `entry` last changed: it was closed there. */
  #closedSince(rt: SymbolRuntime, entry: Order): boolean {
    const ex = rt.exchangePosition;
    return ex !== null && ex.side === null && ex.updatedMs > entry.updatedMs;
  }

  /** The stop for a position found without one (BareStops.fallbackStop). */
  fallbackStop(rt: SymbolRuntime, side: PositionSide, entry: Decimal): Decimal {
    return this.#bare.fallbackStop(rt, side, entry);
  }

  /** The maker's inventory gets an exchange-side stop too (BareStops.protectMakerInventory). */
  protectMakerInventory(rt: SymbolRuntime): Promise<void> {
    return this.#bare.protectMakerInventory(rt);
  }

  /** A position the exchange showed without a stop, in the symbol's turn (BareStops.protectPosition). */
  protectPosition(rt: SymbolRuntime): Promise<void> {
    return this.#bare.protectPosition(rt);
  }

  /** A position push for a maker that shows open inventory without a stop: protectMakerInventory is due. */
  makerStopMissing(rt: SymbolRuntime, ex: Position): boolean {
    return makerStopMissing(rt, ex);
  }

  /**
   * A trading-stop call. A stop the market has already reached is never sent: Bybit refuses it
   * (10001, "should lower than base_price" / "should greater base_price"). When an earlier stop
   * still stands (`stillProtected`: a breakeven move, the entry's attached stop) the move is
   * skipped and that stop stays; otherwise a stop there would have fired, so the position is closed
   * at market, as the stop would have closed it. Either way once, with the reason, never resent.
   * A failure is an alarm when it may leave the position unprotected; when an earlier stop still
   * stands, it is a warning.
   */
  async #tradingStop(rt: SymbolRuntime, req: Parameters<ExchangePort['setTradingStop']>[0], why: string, stillProtected = false): Promise<StopOutcome> {
    const { logger } = this.#ctx;
    const sym = rt.settings.symbol;
    const pos = localPosition(this.#ctx.store, rt);
    // Judged only while the exchange's own view is an open position: when its last push says flat,
    // the request goes out and the exchange's answer tells whether the position is really gone.
    const exchangeOpen = rt.exchangePosition === null || rt.exchangePosition.side !== null;
    if (req.stopLoss !== undefined && pos !== null && rt.lastPrice !== null && exchangeOpen && stopBeyondPrice(pos.side, req.stopLoss, toPrice(rt.lastPrice))) {
      if (stillProtected) return this.#moveSkipped(rt, why, req.stopLoss, `the last price ${rt.lastPrice} has already passed it`);
      if (this.#exitInFlight(sym)) return 'closed';
      logger.warn(`${sym} the market is already beyond the stop (${why}): last price ${rt.lastPrice}, stop ${req.stopLoss.toFixed()}; closing at market, as the stop would have`);
      await this.close(rt, 'L', `price already beyond the stop ${req.stopLoss.toFixed()}`);
      return 'closed';
    }
    try {
      await this.#ctx.port.setTradingStop(req);
      return 'set';
    } catch (e) {
      const err = e instanceof ExchangeError ? e : new ExchangeError(String(e), 'retryable');
      const detail = { retCode: err.retCode, message: err.retMsg ?? err.message };
      if (refusedForZeroPosition(err)) {
        // Bybit: "can not set tp/sl/ts for zero position". The position closed on the exchange
        // before this request arrived (a burst of fills, a stop that triggered): there is nothing
        // to protect. The closing fills are on their way; fetch them if the stream is behind.
        logger.info(`${sym} trading-stop not needed (${why}): the position is already closed on the exchange`, detail);
        this.#resync();
        return 'gone';
      }
      if (refusedStopBeyondPrice(err) && req.stopLoss !== undefined) {
        // The price moved past the stop while the request was on its way (or was not known): as
        // in the check above, skip a move, or do what the stop would have done.
        if (stillProtected) return this.#moveSkipped(rt, why, req.stopLoss, 'the price had passed it when the request arrived', detail);
        if (this.#exitInFlight(sym)) return 'closed';
        logger.warn(`${sym} the market is already beyond the stop (${why}); closing at market, as the stop would have`, detail);
        await this.close(rt, 'L', `price already beyond the stop ${req.stopLoss.toFixed()}`);
        return 'closed';
      }
      if (stillProtected) {
        logger.warn(`${sym} trading-stop refused (${why}); the previous stop stays in force`, detail);
        return 'failed';
      }
      logger.error(`${sym} trading-stop failed (${why})`, detail);
      this.#ctx.alert('critical', 'error', `${sym} stop not set`, `${why}: ${bybitSaid(err)}. Reconciliation retries within a minute.`, sym);
      return 'failed';
    }
  }
}
