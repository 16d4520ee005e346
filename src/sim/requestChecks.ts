/**
 * The checks the simulator makes on requests before it changes anything, with Bybit V5's retCode and
 * retMsg for each refusal (the sandbox returns them unchanged, so the live adapter's error mapping
 * meets the same wordings it meets on Bybit).
 */
import type { Dec as Decimal } from '../domain/money.js';
import type { Instrument, Side, TimeInForce } from '../domain/types.js';
import { toPrice } from '../domain/money.js';
import type { OrderSpec } from './restingOrders.js';
import type { InternalOrder, PositionState, SimMarket } from './simMarket.js';
import { sameDec } from './simMarket.js';
import type { AmendOrderInput, PlaceOrderInput, SimResult, TradingStopInput } from './simTypes.js';

const LINK_ID_RE = /^[A-Za-z0-9_-]{1,36}$/;

export function fail<T>(code: number, msg: string): SimResult<T> {
  return { ok: false, code, msg };
}

export function okr<T>(value: T): SimResult<T> {
  return { ok: true, value };
}

/** What the order checks need to know beyond the market itself. */
export interface OrderCheckContext {
  hasLinkId(linkId: string): boolean;
  /** The account's margin check for what the order would open (./simAccount.ts `canOpen`). */
  canOpen(m: SimMarket, side: Side, qty: Decimal, refPrice: Decimal): boolean;
}

/** Checks a new order on market `m`; on success, the order as it will be created. */
export function checkPlaceOrder(input: PlaceOrderInput, m: SimMarket, ctx: OrderCheckContext): SimResult<OrderSpec> {
  const inst = m.inst;
  if (Number.isNaN(m.last)) return fail(10001, `no market price for ${input.symbol} yet`);
  const isMarket = input.orderType === 'market';
  const qty = input.qty;
  if (!qty.isFinite() || qty.lte(0) || !qty.mod(inst.qtyStep).isZero()) return fail(10001, 'Qty invalid');
  if (qty.lt(inst.minQty)) return fail(10001, 'The number of contracts exceeds minimum limit allowed');
  const maxQty = isMarket ? inst.maxMarketQty : inst.maxQty;
  if (qty.gt(maxQty)) return overMaxQty(qty, maxQty);
  let price: Decimal | null = null;
  if (!isMarket) {
    if (!input.price) return fail(10001, 'Missing some parameters that must be filled in, please check your parameters');
    price = input.price;
    if (price.lte(0) || !price.mod(inst.tickSize).isZero()) return fail(10001, 'price invalid');
  }
  const linkId = input.orderLinkId ?? '';
  if (linkId !== '') {
    if (!LINK_ID_RE.test(linkId)) return fail(10001, 'orderLinkId is invalid');
    if (ctx.hasLinkId(linkId)) return fail(110072, 'OrderLinkedID is duplicate');
  }
  const reduceOnly = input.reduceOnly ?? false;
  const refPrice = price ?? toPrice(m.last);
  if (reduceOnly) {
    // V5 answers both a flat position and a same-side order with 110017 and this text (ccxt#19588;
    // "current position is zero, cannot fix reduce-only order qty" is the pre-V5 130125).
    if (m.pos.side === null || m.pos.side === input.side) return fail(110017, 'Reduce-only rule not satisfied');
  } else {
    if (qty.mul(refPrice).lt(inst.minNotional)) return fail(110094, `Order does not meet minimum order value ${inst.minNotional.toFixed()}USDT`);
    if (!ctx.canOpen(m, input.side, qty, refPrice)) return fail(110007, 'ab not enough for new order');
  }
  const tpsl = checkAttachedTpSl(input.side, refPrice, input.takeProfit ?? null, input.stopLoss ?? null, inst);
  if (tpsl) return tpsl;
  const tif: TimeInForce = isMarket ? 'IOC' : (input.timeInForce ?? 'GTC');
  return okr({
    side: input.side,
    orderType: input.orderType,
    price,
    qty,
    tif,
    reduceOnly,
    linkId,
    takeProfit: input.takeProfit ?? null,
    stopLoss: input.stopLoss ?? null,
  });
}

/** Checks an amendment of open order `o` on market `m`; null when it may be applied. */
export function checkAmendOrder(input: AmendOrderInput, o: InternalOrder, m: SimMarket): SimResult<never> | null {
  let changed = false;
  if (input.qty !== undefined && !input.qty.eq(o.qty)) {
    if (!input.qty.mod(m.inst.qtyStep).isZero()) return fail(10001, 'Qty invalid');
    // The amended qty is the order's new total, filled part included (Bybit V5 docs, error 110064).
    if (input.qty.lte(o.cumExecQty)) return fail(110064, 'The modified contract quantity cannot be less than or equal to the filled quantity.');
    if (input.qty.gt(m.inst.maxQty)) return overMaxQty(input.qty, m.inst.maxQty);
    changed = true;
  }
  if (input.price !== undefined && (o.price === null || !input.price.eq(o.price))) {
    if (o.orderType === 'market') return fail(10001, 'price invalid');
    if (input.price.lte(0) || !input.price.mod(m.inst.tickSize).isZero()) return fail(10001, 'price invalid');
    changed = true;
  }
  const tpChanged = input.takeProfit !== undefined && !sameDec(input.takeProfit, o.takeProfit);
  const slChanged = input.stopLoss !== undefined && !sameDec(input.stopLoss, o.stopLoss);
  if (!changed && !tpChanged && !slChanged) return fail(10001, 'The order remains unchanged as the parameters entered match the existing ones.');
  const newPrice = input.price ?? o.price ?? toPrice(m.last);
  return checkAttachedTpSl(
    o.side,
    newPrice,
    input.takeProfit !== undefined ? input.takeProfit : o.takeProfit,
    input.stopLoss !== undefined ? input.stopLoss : o.stopLoss,
    m.inst,
  );
}

/** Checks new stops for position `p` at last price `last`; null when they may be set. */
export function checkTradingStop(input: TradingStopInput, p: PositionState, last: number, inst: Instrument): SimResult<never> | null {
  if (p.side === null) return fail(10001, 'can not set tp/sl/ts for zero position');
  const long = p.side === 'buy';
  const base = toPrice(last);
  const sideName = long ? 'Buy' : 'Sell';
  if (input.stopLoss) {
    if (long ? input.stopLoss.gte(base) : input.stopLoss.lte(base)) {
      return fail(10001, `StopLoss:${input.stopLoss.toFixed()} set for ${sideName} position ${stopWording(long)} base_price:${base.toFixed()}??LastPrice`);
    }
  }
  if (input.takeProfit) {
    if (long ? input.takeProfit.lte(base) : input.takeProfit.gte(base)) {
      return fail(10001, `TakeProfit:${input.takeProfit.toFixed()} set for ${sideName} position should be ${long ? 'higher' : 'lower'} than base_price:${base.toFixed()}??LastPrice`);
    }
  }
  if (input.trailingStop && input.trailingStop.lte(0)) return fail(10001, 'trailingStop invalid');
  for (const d of [input.takeProfit, input.stopLoss, input.trailingStop, input.activePrice]) {
    if (d && !d.mod(inst.tickSize).isZero()) return fail(10001, 'price invalid');
  }
  const changed =
    (input.takeProfit !== undefined && !sameDec(input.takeProfit, p.takeProfit)) ||
    (input.stopLoss !== undefined && !sameDec(input.stopLoss, p.stopLoss)) ||
    (input.trailingStop !== undefined && !sameDec(input.trailingStop, p.trailingStop)) ||
    (input.activePrice !== undefined && !sameDec(input.activePrice, p.activePrice));
  if (!changed) return fail(34040, 'not modified');
  return null;
}

/** Checks a leverage request for market `m` (one-way mode: buy and sell leverage are one). */
export function checkLeverage(m: SimMarket, buyLeverage: Decimal, sellLeverage: Decimal): SimResult<never> | null {
  if (!buyLeverage.eq(sellLeverage)) return fail(10001, 'buy leverage must be equal to sell leverage in one-way mode');
  if (buyLeverage.lt(1) || buyLeverage.gt(m.inst.maxLeverage) || buyLeverage.decimalPlaces() > 2) {
    return fail(10001, `leverage invalid: must be between 1 and ${m.inst.maxLeverage.toFixed()}`);
  }
  if (buyLeverage.eq(m.leverage)) return fail(110043, 'Set leverage not modified');
  return null;
}

function checkAttachedTpSl(side: Side, base: Decimal, tp: Decimal | null, sl: Decimal | null, inst: Instrument): SimResult<never> | null {
  const buy = side === 'buy';
  const name = buy ? 'Buy' : 'Sell';
  for (const d of [tp, sl]) if (d !== null && (d.lte(0) || !d.mod(inst.tickSize).isZero())) return fail(10001, 'price invalid');
  if (tp !== null && (buy ? tp.lte(base) : tp.gte(base))) {
    return fail(10001, `TakeProfit:${tp.toFixed()} set for ${name} position should be ${buy ? 'higher' : 'lower'} than base_price:${base.toFixed()}??LastPrice`);
  }
  if (sl !== null && (buy ? sl.gte(base) : sl.lte(base))) {
    return fail(10001, `sl:${sl.toFixed()} set for ${name} position ${stopWording(buy)} base_price:${base.toFixed()}??LastPrice`);
  }
  return null;
}

/**
 * Bybit's stop-loss refusal words the sides differently: "should lower than" for a Buy position,
 * "should greater" (no "than") for a Sell one (tests/fixtures/bybit-real/errors.json, ccxt#19089;
 * issue 20). "??LastPrice" is in Bybit's text as sent. An order's attached stop is named "sl:",
 * the position's "StopLoss:"; prices are shown unscaled here (Bybit sometimes scales them).
 */
function stopWording(buy: boolean): string {
  return buy ? 'should lower than' : 'should greater';
}

/** Over the instrument's max order qty: Bybit's 10001 with both quantities scaled by 1e8 (pybit#244, #284). */
function overMaxQty(qty: Decimal, max: Decimal): SimResult<never> {
  const scaled = (d: Decimal): string => d.mul(1e8).toFixed(0);
  return fail(10001, `The number of contracts exceeds maximum limit allowed: too large, order_qty:${scaled(qty)} > max_qty:${scaled(max)}`);
}
