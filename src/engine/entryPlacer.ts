/**
 * Entries: a strategy's `enter` intent becomes an entry order with its stop attached, once the
 * risk gate allows it: at market, or as a post-only limit (./limitEntry.ts). The plan (size, stop,
 * targets) is durable in the store before the order leaves, so a restart knows what was sent; an
 * entry not filled in time has its rest cancelled.
 */
import { money, toPrice, type Decimal } from '../domain/money.js';
import type { Candle, Intent } from '../domain/types.js';
import { TERMINAL_ORDER_STATUSES } from '../domain/types.js';
import type { EngineContext } from './engineContext.js';
import { limitPrice, planEntry } from './executor.js';
import { firstTargetReached, limitDeadlineMs, limitPlacedLine, limitTouch } from './limitEntry.js';
import { stopBeyondPrice, targetBeyondPrice } from './positionPlan.js';
import { makeOrderLinkId } from './orderLinkId.js';
import { storedOrder, type OrderSender } from './orderSender.js';
import type { RiskGate } from './riskGate.js';
import { spreadRefusal } from './spreadGuard.js';
import { localPosition, notTrading, type SymbolRuntime } from './symbolRuntime.js';
import { lazyReasonFields } from '../util/lazyReason.js';

type EnterIntent = Extract<Intent, { kind: 'enter' }>;

export class EntryPlacer {
  readonly #ctx: EngineContext;
  readonly #risk: RiskGate;
  readonly #orders: OrderSender;

  constructor(ctx: EngineContext, risk: RiskGate, orders: OrderSender) {
    this.#ctx = ctx;
    this.#risk = risk;
    this.#orders = orders;
  }

  /** Not async: a signal refused by these checks (most of a backtest's) costs no promise. */
  enter(rt: SymbolRuntime, intent: EnterIntent, now: number): Promise<void> | void {
    const why = this.#refusal(rt, now);
    // The reason is read only by a logger that prints it (the strategy may build it on first read).
    // Debug: a lock refuses every signal while it lasts; the lock itself is reported when it starts and ends.
    // A backtest's silent logger: nothing to build (about one candle in ten signals, nearly all refused).
    if (why !== null) return this.#ctx.logger.discards === true ? undefined : this.#ctx.logger.debug(`${rt.settings.symbol} ${intent.side} signal not traded: ${why}`, lazyReasonFields(() => intent.reason));
    return this.#enterChecked(rt, intent, now);
  }

  /**
   * At a candle's close: an entry past its deadline has what is left of it cancelled; a limit entry
   * is also cancelled when this candle reached its first target before it filled.
   */
  async expire(rt: SymbolRuntime, now: number, candle?: Candle): Promise<void> {
    if (rt.entryDeadlineMs === null) return;
    const due = now >= rt.entryDeadlineMs;
    if (!due && candle === undefined) return;
    const pos = localPosition(this.#ctx.store, rt);
    const linkId = pos?.entryOrderLinkId;
    const o = linkId ? this.#ctx.tracker.get(linkId) : undefined;
    const limit = o?.type === 'limit' && pos !== null;
    const target = limit && candle !== undefined ? firstTargetReached(pos, candle) : null;
    if (!due && target === null) return;
    rt.entryDeadlineMs = null;
    if (!linkId || !o || TERMINAL_ORDER_STATUSES.has(o.status)) return;
    if (limit) rt.limitCancelWhy = target !== null ? `the price reached the first target ${target} before it filled` : `not filled within ${rt.settings.entry?.timeoutCandles ?? '?'} candle(s)`;
    await this.#orders.cancel(rt.settings.symbol, linkId, limit ? rt.limitCancelWhy! : 'entry timeout');
  }

  /**
   * After a restart: an entry still open on the exchange (a limit waiting on the book) gets its
   * deadline back, counted from when it was decided, and the owner reads that it is still there.
   */
  resume(rt: SymbolRuntime): void {
    const pos = localPosition(this.#ctx.store, rt);
    const linkId = pos?.entryOrderLinkId;
    const o = linkId ? this.#ctx.tracker.get(linkId) : undefined;
    if (!pos || !o || TERMINAL_ORDER_STATUSES.has(o.status) || rt.entryDeadlineMs !== null) return;
    const intervalMs = rt.settings.intervalMinutes * 60_000;
    const timeout = rt.settings.entry?.timeoutCandles ?? 1;
    rt.entryDeadlineMs = o.type === 'limit' ? limitDeadlineMs(pos.openedMs, intervalMs, timeout) : pos.openedMs + (rt.settings.exits?.entryTimeoutSec ?? 30) * 1000;
    if (o.type !== 'limit') return;
    const until = new Date(rt.entryDeadlineMs).toISOString().slice(11, 16);
    this.#ctx.logger.info(`${rt.settings.symbol} ${pos.side} limit entry ${o.price?.toFixed() ?? ''} still waiting on Bybit after the restart: cancelled if not filled by ${until} UTC${pos.targets[0] ? ` or if the price reaches the first target ${pos.targets[0].price} first` : ''}`);
  }

  #refusal(rt: SymbolRuntime, now: number): string | null {
    if (!rt.settings.sizing || !rt.settings.exits || !rt.instrument) return 'this symbol has no sizing or exit settings';
    const closed = notTrading(rt);
    if (closed !== null) return closed;
    const lock = this.#risk.entryLock(now);
    if (lock) return `${lock.name}: ${lock.reason}`;
    if (localPosition(this.#ctx.store, rt) !== null) return 'a position or entry is already open';
    const openCount = Object.values(this.#ctx.store.state.symbols).filter((s) => s.position !== null).length;
    if (openCount >= this.#ctx.settings().risk.maxOpenPositions) return `already ${openCount} open position(s), the maximum`;
    return null;
  }

  /**
   * Why Bybit would refuse the entry's attached stop or take-profit at the last price streamed
   * (a Buy position's stop below it, a Sell's above; take-profits the other way), or null. The
   * price has moved since the decision: the stop (or target) is already reached.
   */
  #marketPassed(rt: SymbolRuntime, side: EnterIntent['side'], stop: Decimal | null, target: Decimal | null): string | null {
    if (rt.lastPrice === null) return null;
    const last = toPrice(rt.lastPrice);
    const long = side === 'long';
    if (stop !== null && stopBeyondPrice(side, stop, last)) {
      return `the price ${last.toFixed()} has already reached its stop ${stop.toFixed()} (Bybit takes a ${long ? 'long' : 'short'}'s stop only ${long ? 'below' : 'above'} the last price)`;
    }
    if (target !== null && targetBeyondPrice(side, target, last)) {
      return `the price ${last.toFixed()} has already reached its take-profit ${target.toFixed()} (Bybit takes a ${long ? 'long' : 'short'}'s take-profit only ${long ? 'above' : 'below'} the last price)`;
    }
    return null;
  }

  async #enterChecked(rt: SymbolRuntime, intent: EnterIntent, now: number): Promise<void> {
    const sym = rt.settings.symbol;
    const { logger, store } = this.#ctx;
    const skip = (why: string): void => logger.info(`${sym} ${intent.side} signal not traded: ${why}`, { reason: intent.reason });
    if (!rt.settings.sizing || !rt.settings.exits || !rt.instrument) return; // #refusal checked them
    const balance = await this.#risk.balance();
    this.#risk.noteEquity(balance.equity);
    const newLock = this.#risk.evaluateProtections(now);
    if (newLock) return skip(`${newLock.kind}: ${newLock.reason}`);

    const settings = this.#ctx.settings();
    const limitEntry = rt.settings.entry?.type === 'limit' ? rt.settings.entry : null;
    const book = limitEntry ? await limitTouch(this.#ctx.port, sym) : null;
    if (book?.failed) logger.info(`${sym} ${intent.side} limit entry goes at its price without the book: best bid and ask could not be read (${book.failed})`);
    const plan = planEntry(intent, {
      instrument: rt.instrument,
      equity: balance.equity,
      available: balance.available,
      sizing: rt.settings.sizing,
      leverage: rt.settings.leverage,
      takerFeePct: settings.takerFeePct,
      ladderFractions: rt.settings.exits.ladderFractions,
      orderIdPrefix: settings.orderIdPrefix,
      ...(limitEntry ? { limit: { offsetPct: limitEntry.offsetPct, touch: book?.touch ?? null } } : {}),
    });
    if (plan.status === 'skipped') {
      logger.info(plan.reason);
      return;
    }
    const req = plan.request;
    const late = this.#marketPassed(rt, intent.side, req.stopLoss, req.takeProfit);
    if (late !== null) return skip(late);
    const wide = req.type === 'market' ? await spreadRefusal(this.#ctx.port, sym, rt.settings.maxSpreadPct) : null;
    if (wide !== null) return skip(wide);
    const stamp = intent.decidedAtMs;
    // The plan is durable before the order leaves: after a crash the restart knows what was sent.
    store.update((d) => {
      const s = d.symbols[sym]!;
      s.position = {
        side: intent.side,
        size: '0',
        entryPrice: money(toPrice(intent.refPrice)),
        openedMs: now,
        entryOrderLinkId: req.orderLinkId,
        stop: { price: money(plan.stopLoss), orderLinkId: null, orderId: null },
        targets: plan.targets.map((t, i) => ({
          price: money(t.price),
          qty: money(t.qty),
          filled: false,
          orderLinkId: makeOrderLinkId(settings.orderIdPrefix, sym, { kind: 'target', index: i + 1 }, stamp),
          orderId: null,
        })),
      };
      s.openOrders[req.orderLinkId] = storedOrder(req, 'entry', now);
    });
    await store.flush();
    // Looked at again: the price may have moved while the plan was written.
    const later = this.#marketPassed(rt, intent.side, req.stopLoss, req.takeProfit);
    if (later !== null) {
      store.update((d) => {
        const s = d.symbols[sym]!;
        delete s.openOrders[req.orderLinkId];
        if (s.position?.entryOrderLinkId === req.orderLinkId) s.position = null;
      });
      return skip(later);
    }
    if (limitEntry === null) {
      rt.entryDeadlineMs = now + rt.settings.exits.entryTimeoutSec * 1000;
      await this.#orders.send(req, 'entry', intent.reason);
      return;
    }
    rt.entryDeadlineMs = limitDeadlineMs(now, rt.settings.intervalMinutes * 60_000, limitEntry.timeoutCandles);
    rt.limitCancelWhy = null;
    if ((await this.#orders.send(req, 'entry', intent.reason)) !== 'placed') return;
    const pos = localPosition(store, rt);
    const atBook = !req.price!.eq(limitPrice(intent.refPrice, limitEntry.offsetPct, rt.instrument.tickSize, intent.side === 'long'));
    if (pos?.entryOrderLinkId === req.orderLinkId) logger.info(limitPlacedLine(sym, pos, req.qty.toFixed(), req.price!.toFixed(), intent.refPrice, limitEntry, atBook));
  }
}
