/**
 * The market maker's quoting (STYLE point 5): the strategy's desired quotes are diffed against the
 * live ones with the pure `diffQuotes`, and the diff becomes cancels, amends and post-only orders,
 * rounded to the instrument's tick and step. While entries are locked only quotes that reduce
 * the inventory stay.
 */
import { dec, Dec, roundToStep, toPrice, type Decimal } from '../domain/money.js';
import type { Intent } from '../domain/types.js';
import { diffQuotes, type LiveQuote } from '../strategies/diffQuotes.js';
import type { EngineContext } from './engineContext.js';
import { makeOrderLinkId, parseOrderLinkId } from './orderLinkId.js';
import type { OrderSender } from './orderSender.js';
import type { RiskGate } from './riskGate.js';
import { localPosition, notTrading, type SymbolRuntime } from './symbolRuntime.js';

export class MakerQuoting {
  readonly #ctx: EngineContext;
  readonly #risk: RiskGate;
  readonly #orders: OrderSender;

  constructor(ctx: EngineContext, risk: RiskGate, orders: OrderSender) {
    this.#ctx = ctx;
    this.#risk = risk;
    this.#orders = orders;
  }

  /** The symbol's open quotes, as diffQuotes sees them. */
  liveQuotes(rt: SymbolRuntime): LiveQuote[] {
    const out: LiveQuote[] = [];
    for (const o of this.#ctx.tracker.open(rt.settings.symbol)) {
      const role = parseOrderLinkId(this.#ctx.settings().orderIdPrefix, o.orderLinkId)?.role;
      if (role?.kind !== 'quote' || o.price === null) continue;
      out.push({ id: o.orderLinkId, side: o.side, level: role.level, price: o.price.toNumber(), qty: o.qty.minus(o.filledQty).toNumber(), placedMs: o.createdMs });
    }
    return out;
  }

  /** Graceful shutdown: the quotes go, the inventory's stop stays. */
  async cancelAll(rt: SymbolRuntime, why: string): Promise<void> {
    for (const q of this.liveQuotes(rt)) await this.#orders.cancel(rt.settings.symbol, q.id, why);
  }

  async requote(rt: SymbolRuntime, intent: Extract<Intent, { kind: 'quote' }>, now: number): Promise<void> {
    const ins = rt.instrument;
    if (!ins) return;
    const sym = rt.settings.symbol;
    const pos = localPosition(this.#ctx.store, rt);
    // While entries are locked, only quotes that reduce the inventory stay; none while Bybit takes no new positions.
    const locked = this.#risk.entryLock(now) !== null;
    const desired = notTrading(rt) !== null ? [] : intent.quotes.filter((q) => !locked || (pos !== null && (pos.side === 'long' ? q.side === 'sell' : q.side === 'buy')));
    const tol = rt.settings.quoteTolerance ?? { pricePct: 0.02, maxAgeMs: 300_000 };
    const diff = diffQuotes(this.liveQuotes(rt), desired, { pricePct: tol.pricePct, maxAgeMs: tol.maxAgeMs, nowMs: now });
    for (const c of diff.cancel) await this.#orders.cancel(sym, c.id, 'requote');
    for (const a of diff.amend) {
      const price = roundToStep(toPrice(a.desired.price), ins.tickSize, a.desired.side === 'buy' ? 'down' : 'up');
      const qty = roundToStep(toPrice(a.desired.qty), ins.qtyStep, 'down');
      if (qty.lt(ins.minQty)) {
        await this.#orders.cancel(sym, a.live.id, 'quote below minimum');
        continue;
      }
      // Bybit's amend qty is the order's new total, filled part included, and must exceed what
      // filled (110064): a partly filled quote keeps its fills and rests the desired size on top.
      const total = (this.#ctx.tracker.get(a.live.id)?.filledQty ?? dec(0)).plus(qty);
      if (total.gt(ins.maxQty)) {
        this.#quoteTooLarge(rt, a.desired.qty, qty);
        await this.#orders.cancel(sym, a.live.id, 'quote above maximum');
        continue;
      }
      try {
        await this.#ctx.port.amendOrder({ symbol: sym, orderLinkId: a.live.id, price, qty: total });
      } catch (e) {
        this.#ctx.logger.info(`${sym} quote amend failed; cancelling it`, { orderLinkId: a.live.id, error: e instanceof Error ? e.message : String(e) });
        await this.#orders.cancel(sym, a.live.id, 'amend failed');
      }
    }
    for (const q of diff.create) {
      const price = roundToStep(toPrice(q.price), ins.tickSize, q.side === 'buy' ? 'down' : 'up');
      const qty = roundToStep(toPrice(q.qty), ins.qtyStep, 'down');
      if (qty.lt(ins.minQty) || qty.mul(price).lt(ins.minNotional)) {
        this.#quoteTooSmall(rt, q.qty, qty, price);
        continue;
      }
      if (qty.gt(ins.maxQty)) {
        this.#quoteTooLarge(rt, q.qty, qty);
        continue;
      }
      const reduces = pos !== null && (pos.side === 'long' ? q.side === 'sell' : q.side === 'buy');
      await this.#orders.send(
        {
          symbol: sym,
          side: q.side,
          type: 'limit',
          qty: reduces ? Dec.min(qty, dec(pos.size)) : qty,
          price,
          timeInForce: 'PostOnly',
          reduceOnly: false,
          orderLinkId: makeOrderLinkId(this.#ctx.settings().orderIdPrefix, sym, { kind: 'quote', side: q.side, level: q.level }, now),
          stopLoss: null,
          takeProfit: null,
        },
        'quote',
        intent.reason,
      );
    }
  }

  /**
   * A quote the exchange would refuse for its size: said once per symbol (an error and a critical
   * alert), since the maker then quotes nothing at all on that symbol.
   */
  #quoteTooSmall(rt: SymbolRuntime, wanted: number, rounded: Decimal, price: Decimal): void {
    if (rt.quoteTooSmallSaid) return;
    rt.quoteTooSmallSaid = true;
    const sym = rt.settings.symbol;
    const ins = rt.instrument!;
    const body =
      `A quote of ${wanted} ${sym} (${rounded.toFixed()} after Bybit's step of ${ins.qtyStep.toFixed()}) is below the minimum order ` +
      `of ${ins.minQty.toFixed()} and ${ins.minNotional.toFixed()} USDT at ${price.toFixed()}, so no quotes are placed. ` +
      `Raise params.orderQty of ${sym} in config.json.`;
    this.#ctx.logger.error(`${sym} maker cannot quote: ${body}`);
    this.#ctx.alert('critical', 'error', `${sym} maker cannot quote`, body, sym);
  }

  /** The other limit: a quote above the instrument's maximum order quantity, said once like #quoteTooSmall. */
  #quoteTooLarge(rt: SymbolRuntime, wanted: number, rounded: Decimal): void {
    if (rt.quoteTooSmallSaid) return;
    rt.quoteTooSmallSaid = true;
    const sym = rt.settings.symbol;
    const body =
      `A quote of ${wanted} ${sym} (${rounded.toFixed()} after Bybit's step) is above the maximum order of ${rt.instrument!.maxQty.toFixed()}, ` +
      `so no quotes are placed. Lower params.orderQty of ${sym} in config.json.`;
    this.#ctx.logger.error(`${sym} maker cannot quote: ${body}`);
    this.#ctx.alert('critical', 'error', `${sym} maker cannot quote`, body, sym);
  }
}
