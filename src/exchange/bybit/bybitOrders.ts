/**
 * Bybit V5 trading over REST (issue 4, item 2; reference/bybit-v5.md section 3): orders go out with
 * Bybit's own parameter names, quantities and prices as the Decimal strings we computed (ccxt's
 * unified createOrder would pass them through floats). Orders are idempotent by orderLinkId: after a
 * duplicate-id answer (110072) or any failure that may have reached the exchange, the order is looked
 * up by its orderLinkId before anything is resent.
 */
import * as v from 'valibot';
import { ExchangeError, LocalRefusal } from '../../domain/exchangeErrors.js';
import { money, roundToStep, type Decimal } from '../../domain/money.js';
import type { Instrument, Order } from '../../domain/types.js';
import type { AmendRequest, OrderRequest, PlaceResult, TradingStopRequest } from '../../engine/exchangePort.js';
import type { Logger } from '../../util/logger.js';
import { WireOrderCreated } from './bybitWire.js';
import { errorText } from './errorText.js';
import { isAmbiguous, RETCODE } from './mapBybitError.js';
import { CATEGORY, type Params, type RestCounters, type RestPipeline } from './restPipeline.js';
import { sideToWire } from './wireToDomain.js';

/** orderLinkId: at most 36 of [A-Za-z0-9_-] (reference section 3). */
const ORDER_LINK_ID = /^[A-Za-z0-9_-]{1,36}$/;

export interface BybitOrdersOptions {
  readonly rest: RestPipeline;
  /** The rules of the instruments loaded so far, for rounding. */
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** An order by our id (live, then history); null when Bybit does not know it. */
  readonly fetchOrder: (symbol: string, orderLinkId: string) => Promise<Order | null>;
  readonly logger: Logger;
  /** Counted here: duplicatesResolved. */
  readonly counters: RestCounters;
}

export class BybitOrders {
  readonly #rest: RestPipeline;
  readonly #instruments: ReadonlyMap<string, Instrument>;
  readonly #fetchOrder: (symbol: string, orderLinkId: string) => Promise<Order | null>;
  readonly #log: Logger;
  readonly #counters: RestCounters;
  /** The status last warned about per symbol, so a symbol that left Trading is said once, not per order. */
  readonly #statusWarned = new Map<string, string>();

  constructor(opts: BybitOrdersOptions) {
    this.#rest = opts.rest;
    this.#instruments = opts.instruments;
    this.#fetchOrder = opts.fetchOrder;
    this.#log = opts.logger;
    this.#counters = opts.counters;
  }

  /** Rounds to the instrument's steps when its rules are loaded (the executor should already have). */
  #rounded(req: OrderRequest): { qty: Decimal; price: Decimal | null } {
    const inst = this.#instruments.get(req.symbol);
    if (inst === undefined) return { qty: req.qty, price: req.price };
    const qty = roundToStep(req.qty, inst.qtyStep, 'down');
    const price = req.price === null ? null : roundToStep(req.price, inst.tickSize, 'nearest');
    if (!qty.eq(req.qty) || (price !== null && req.price !== null && !price.eq(req.price))) {
      this.#log.debug('order rounded to the instrument rules', { orderLinkId: req.orderLinkId, qty: money(qty), price: price === null ? null : money(price) });
    }
    return { qty, price };
  }

  async placeOrder(req: OrderRequest): Promise<PlaceResult> {
    if (!ORDER_LINK_ID.test(req.orderLinkId)) {
      throw new LocalRefusal(`orderLinkId "${req.orderLinkId}" must be 1-36 characters of A-Z a-z 0-9 _ -`);
    }
    // A symbol that left Trading (Delivering, Closed; issue 20 item 4) opens nothing; exits and stops still go out.
    const status = this.#instruments.get(req.symbol)?.status;
    if (!req.reduceOnly && status !== undefined && status !== 'Trading') {
      if (this.#statusWarned.get(req.symbol) !== status) {
        this.#statusWarned.set(req.symbol, status);
        this.#log.warn(`${req.symbol} is ${status} on Bybit, not Trading: no new entries or quotes for it; exits and stops still work`);
      }
      throw new LocalRefusal(`order ${req.orderLinkId}: ${req.symbol} is ${status} on Bybit, not Trading: no new positions`);
    }
    const { qty, price } = this.#rounded(req);
    if (qty.lte(0)) throw new LocalRefusal(`order ${req.orderLinkId}: quantity ${money(req.qty)} rounds to zero`);
    if (req.type === 'limit' && price === null) throw new LocalRefusal(`order ${req.orderLinkId}: a limit order needs a price`);
    const params: Params = {
      category: CATEGORY,
      symbol: req.symbol,
      side: sideToWire(req.side),
      orderType: req.type === 'market' ? 'Market' : 'Limit',
      qty: money(qty),
      orderLinkId: req.orderLinkId,
      reduceOnly: req.reduceOnly,
      positionIdx: 0,
    };
    // A market order on Bybit is always IOC; its timeInForce is not sent.
    if (req.type === 'limit' && price !== null) {
      params['price'] = money(price);
      params['timeInForce'] = req.timeInForce;
    }
    if (req.stopLoss !== null || req.takeProfit !== null) {
      params['tpslMode'] = 'Full';
      if (req.stopLoss !== null) params['stopLoss'] = money(req.stopLoss);
      if (req.takeProfit !== null) params['takeProfit'] = money(req.takeProfit);
    }
    let mayExist = false;
    const result = await this.#rest.call('POST', '/v5/order/create', true, params, async (err) => {
      // 110072: that orderLinkId was used, so an earlier attempt got through. Any failure that may
      // have reached Bybit is checked the same way before the create is sent again.
      if (err.retCode === RETCODE.duplicateOrderLinkId || (mayExist && err.kind !== 'retryable') || isAmbiguous(err)) {
        const duplicate = err.retCode === RETCODE.duplicateOrderLinkId;
        if (!duplicate && err.kind === 'retryable') mayExist = true;
        // Bybit accepts asynchronously, so after a duplicate answer the order may take a moment to show.
        const found = await this.#lookUpAfterFailure(req.symbol, req.orderLinkId, duplicate ? 4 : 1);
        if (found !== null) {
          this.#counters.duplicatesResolved++;
          return { value: { duplicate: found } };
        }
        if (err.retCode === RETCODE.duplicateOrderLinkId) {
          throw new ExchangeError(`order ${req.orderLinkId}: Bybit says the orderLinkId is taken but does not show the order`, 'retryable', err.retCode, err.retMsg);
        }
      }
      return undefined;
    });
    if (typeof result === 'object' && result !== null && 'duplicate' in result) {
      const orderId = String((result as { duplicate: string }).duplicate);
      this.#log.info('order already placed by an earlier attempt', { orderLinkId: req.orderLinkId, orderId });
      return { status: 'duplicate', orderId };
    }
    const created = v.safeParse(WireOrderCreated, result);
    if (created.success) return { status: 'placed', orderId: created.output.orderId };
    // retCode 0 means Bybit took the order, but the answer lacks its orderId: find it by our id rather
    // than report a refusal (the engine would forget an order that is live on the exchange).
    this.#log.error('Bybit accepted an order but its answer has no orderId; looking it up', { orderLinkId: req.orderLinkId, result: this.#rest.redact(JSON.stringify(result) ?? 'undefined').slice(0, 200) });
    const found = await this.#lookUpAfterFailure(req.symbol, req.orderLinkId, 2);
    if (found !== null) return { status: 'placed', orderId: found };
    throw new ExchangeError(`POST /v5/order/create: order ${req.orderLinkId} accepted (retCode 0) without an orderId and not found by its orderLinkId yet; outcome unknown`, 'retryable');
  }

  /** Looks an order up (each look-up with its own retries); null when Bybit does not know it (yet). */
  async #lookUpAfterFailure(symbol: string, orderLinkId: string, tries: number): Promise<string | null> {
    for (let i = 0; i < tries; i++) {
      if (i > 0) await this.#rest.backOff(i);
      try {
        const order = await this.#fetchOrder(symbol, orderLinkId);
        if (order !== null && order.orderId !== null) return order.orderId;
      } catch (err) {
        this.#log.warn('order look-up failed', { orderLinkId, error: errorText(err) });
      }
    }
    return null;
  }

  async amendOrder(req: AmendRequest): Promise<void> {
    const params: Params = { category: CATEGORY, symbol: req.symbol, orderLinkId: req.orderLinkId };
    if (req.qty !== undefined) params['qty'] = money(req.qty);
    if (req.price !== undefined) params['price'] = money(req.price);
    if (req.stopLoss !== undefined) params['stopLoss'] = money(req.stopLoss);
    if (req.takeProfit !== undefined) params['takeProfit'] = money(req.takeProfit);
    await this.#rest.call('POST', '/v5/order/amend', true, params);
  }

  async cancelOrder(symbol: string, orderLinkId: string): Promise<boolean> {
    let uncertain = false;
    const GONE: ReadonlySet<number | null> = new Set([RETCODE.orderNotFound, RETCODE.orderFilled, RETCODE.orderCancelled]);
    const result = await this.#rest.call('POST', '/v5/order/cancel', true, { category: CATEGORY, symbol, orderLinkId }, async (err) => {
      if (isAmbiguous(err)) uncertain = true;
      if (!GONE.has(err.retCode)) return undefined;
      if (!uncertain) return { value: false };
      // An earlier attempt may have been the one that cancelled it.
      const order = await this.#fetchOrder(symbol, orderLinkId).catch(() => null);
      return { value: order?.status === 'cancelled' };
    });
    return result !== false;
  }

  async cancelAllOrders(symbol: string): Promise<void> {
    await this.#rest.call('POST', '/v5/order/cancel-all', true, { category: CATEGORY, symbol });
  }

  async setLeverage(symbol: string, leverage: Decimal): Promise<void> {
    const lev = money(leverage);
    await this.#rest.call('POST', '/v5/position/set-leverage', true, { category: CATEGORY, symbol, buyLeverage: lev, sellLeverage: lev }, async (err) =>
      // 110043 "leverage not modified": it already is what we want (reference section 3).
      err.retCode === RETCODE.leverageNotModified ? { value: null } : undefined,
    );
  }

  /** Position TP/SL/trailing: Bybit's docs require positionIdx and tpslMode, which ccxt omits (reference section 3). */
  async setTradingStop(req: TradingStopRequest): Promise<void> {
    const params: Params = { category: CATEGORY, symbol: req.symbol, positionIdx: 0, tpslMode: 'Full' };
    if (req.stopLoss !== undefined) params['stopLoss'] = money(req.stopLoss);
    if (req.takeProfit !== undefined) params['takeProfit'] = money(req.takeProfit);
    if (req.trailingStop !== undefined) params['trailingStop'] = money(req.trailingStop);
    if (req.activePrice !== undefined) params['activePrice'] = money(req.activePrice);
    await this.#rest.call('POST', '/v5/position/trading-stop', true, params, async (err) =>
      // 34040 "not modified": the stop is already where we want it.
      err.retCode === RETCODE.tpslNotModified ? { value: null } : undefined,
    );
  }
}
