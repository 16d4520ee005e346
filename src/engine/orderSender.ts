/**
 * Sends and cancels the bot's orders: the order is journaled and tracked before it leaves, the
 * store learns the exchange's id when it is accepted, and a refusal undoes the record. An unknown
 * outcome (timeout, connection lost) is left for reconciliation, which the deterministic
 * orderLinkId makes safe.
 */
import { bybitSaid, ExchangeError, LocalRefusal, refusedForZeroPosition, refusedStopBeyondPrice } from '../domain/exchangeErrors.js';
import { dec, money } from '../domain/money.js';
import type { PersistedState } from '../domain/persistedState.js';
import type { EngineContext } from './engineContext.js';
import type { OrderRequest } from './exchangePort.js';
import type { LedgerWriter, OrderPurpose } from './ledgerWriter.js';

/** The store's record of an order about to be sent (quotes are not stored: a restart cancels them). */
export function storedOrder(req: OrderRequest, purpose: 'entry' | 'exit' | 'takeProfit', now: number): PersistedState['symbols'][string]['openOrders'][string] {
  return { orderLinkId: req.orderLinkId, orderId: null, side: req.side, type: req.type, purpose, status: 'pending', price: req.price ? money(req.price) : null, qty: money(req.qty), filledQty: '0', reduceOnly: req.reduceOnly, createdMs: now };
}

/**
 * What became of a sent order: accepted, refused, refused because the position it would reduce is
 * already closed on the exchange, or not known yet (left for reconciliation).
 */
export type SendOutcome = 'placed' | 'refused' | 'positionGone' | 'unknown';

export class OrderSender {
  readonly #ctx: EngineContext;
  readonly #ledger: LedgerWriter;
  /** Asks for a reconciliation soon: the exchange says a position is flat that we still hold. */
  readonly #resync: () => void;
  /** Told whether each order request went through (the circuit breaker); expected refusals are not failures. */
  readonly #outcome: (ok: boolean, error: string | null) => void;
  /** Told when an opening order (entry or quote) leaves: the half-open circuit breaker's trial. */
  readonly #opening: () => void;

  constructor(ctx: EngineContext, ledger: LedgerWriter, resync: () => void, outcome: (ok: boolean, error: string | null) => void = () => {}, opening: () => void = () => {}) {
    this.#ctx = ctx;
    this.#ledger = ledger;
    this.#resync = resync;
    this.#outcome = outcome;
    this.#opening = opening;
  }

  /**
   * Sends an order that is already recorded; a refusal undoes the record, an unknown outcome leaves
   * it for reconciliation. `record`, when given, records it instead once the request is written
   * (the port writes it before its first await), before any answer or event about it is handled:
   * for an order whose record need not be durable before it leaves (an exit), so that the record's
   * cost is not on the way to the exchange. A port that throws at once leaves it unrecorded; a record
   * that fails is logged, and the order's answer is handled as any other.
   */
  async send(req: OrderRequest, purpose: OrderPurpose, reason: string, record?: () => void): Promise<SendOutcome> {
    const { tracker, store, logger } = this.#ctx;
    const now = this.#ctx.now();
    this.#ledger.order(req, purpose, reason, now);
    tracker.trackSent(req, now);
    if (purpose === 'entry' || purpose === 'quote') this.#opening();
    try {
      const placing = this.#ctx.port.placeOrder(req);
      if (record !== undefined) {
        try {
          record();
        } catch (e) {
          // The order has left: its answer is still handled below (a refusal, a fill); only the state
          // lacks its open-order entry, which the tracker and reconciliation do not need for an exit.
          logger.warn(`${req.symbol} ${purpose} sent but not recorded in the state`, { orderLinkId: req.orderLinkId, error: e instanceof Error ? e.message : String(e) });
        }
      }
      const res = await placing;
      tracker.acknowledge(req.orderLinkId, res.orderId, this.#ctx.now());
      if (purpose !== 'quote') {
        store.update((d) => {
          const o = d.symbols[req.symbol]?.openOrders[req.orderLinkId];
          if (o && o.status === 'pending') {
            o.orderId = res.orderId;
            o.status = 'new';
          }
        });
      }
      this.#outcome(true, null);
      return 'placed';
    } catch (e) {
      const err = e instanceof ExchangeError ? e : new ExchangeError(String(e), 'retryable');
      if (err.kind === 'rejected' || err.kind === 'fatal') {
        // A reduce-only order for a position that closed meanwhile (110017) is expected, not a problem.
        const positionGone = req.reduceOnly && refusedForZeroPosition(err);
        // An entry whose attached stop the price passed while the order was on its way (the engine
        // checks the last price before sending): not entering is what the check would have done.
        const stopPassed = purpose === 'entry' && req.stopLoss !== null && refusedStopBeyondPrice(err);
        // Refused by our own adapter before sending: nothing reached the exchange.
        const local = err instanceof LocalRefusal;
        // Neither expected refusal, nor a local one, is a failure for the circuit breaker.
        if (!positionGone && !stopPassed && !local) this.#outcome(false, bybitSaid(err));
        const detail = { orderLinkId: req.orderLinkId, retCode: err.retCode, message: err.retMsg ?? err.message };
        if (local) logger.warn(`${req.symbol} ${purpose} not sent: ${err.message}`, { orderLinkId: req.orderLinkId });
        else if (positionGone) logger.info(`${req.symbol} ${purpose === 'takeProfit' ? 'take-profit' : purpose} not needed: the position is already closed on the exchange`, detail);
        else if (stopPassed) logger.info(`${req.symbol} entry not placed: the price passed its stop ${req.stopLoss!.toFixed()} before the order arrived`, detail);
        else logger.warn(`${req.symbol} ${purpose} order refused`, detail);
        tracker.applyUpdate({ ...tracker.get(req.orderLinkId)!, status: 'rejected', rejectReason: err.retMsg, updatedMs: this.#ctx.now() }, this.#ctx.now());
        store.update((d) => {
          const s = d.symbols[req.symbol]!;
          delete s.openOrders[req.orderLinkId];
          if (purpose === 'entry' && s.position?.entryOrderLinkId === req.orderLinkId && dec(s.position.size).isZero()) s.position = null;
        });
        if (purpose !== 'quote' && local) this.#ctx.alert('warning', 'error', `${req.symbol} ${purpose} not sent`, `${req.symbol} ${purpose} not sent: ${err.message}`, req.symbol);
        else if (purpose !== 'quote' && !positionGone && !stopPassed) this.#ctx.alert('warning', 'error', `${req.symbol} ${purpose} refused`, `Bybit said ${bybitSaid(err)}`, req.symbol);
        // An exit for a position the exchange says is flat: the fills that closed it have not
        // reached us (a stalled or dropped stream). Fetch them now instead of retrying the exit on
        // every candle until the stream catches up (found by the soak test).
        if (positionGone && purpose === 'exit') this.#resync();
        return positionGone ? 'positionGone' : 'refused';
      } else {
        // Unknown outcome (timeout, connection lost): the id makes a later look-up safe.
        this.#outcome(false, err.message);
        logger.warn(`${req.symbol} ${purpose} order outcome unknown; reconciliation will look it up`, { orderLinkId: req.orderLinkId, error: err.message });
        return 'unknown';
      }
    }
  }

  /** Cancels one of our orders; one already closed, or a failure, is logged and not thrown. */
  async cancel(symbol: string, orderLinkId: string, why: string): Promise<void> {
    try {
      const cancelled = await this.#ctx.port.cancelOrder(symbol, orderLinkId);
      if (!cancelled) this.#ctx.logger.debug(`${orderLinkId} was already closed (${why})`);
    } catch (e) {
      this.#ctx.logger.warn(`${symbol} cancel failed (${why})`, { orderLinkId, error: e instanceof Error ? e.message : String(e) });
    }
  }
}

