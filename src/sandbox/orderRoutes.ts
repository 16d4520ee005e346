/**
 * The signed order endpoints (reference section 3): create, amend, cancel (with the race-cancel
 * fault), cancel-all, open orders, order history and executions.
 */
import type { OrderType, Side, TimeInForce } from '../domain/types.js';
import type { Simulator } from '../sim/simulator.js';
import type { SimOrder } from '../sim/simTypes.js';
import { OPEN_STATUSES } from '../sim/simTypes.js';
import type { FaultName, FaultSettings } from './faults.js';
import { MISSING, type Params, ParamError, bool, clearable, decimal, instrumentOf, int, linear, need, page, str } from './restParams.js';
import { type RouteTable, SimFailure, unwrap } from './routeTable.js';
import { type AccountSettings, positionIdxAccepted } from './accountSettings.js';
import { conditionalOrders } from './conditionalOrders.js';
import { type Wire, wireExecution, wireOrder } from './wire.js';

export interface OrderRouteContext {
  readonly sim: Simulator;
  readonly faults: () => FaultSettings;
  /** Called when a cancel loses the race: the sandbox pushes the Filled order a second time. */
  readonly onRaceFill: (order: SimOrder) => void;
  /** Counts a fault that struck (FaultCounts). */
  readonly struck: (fault: FaultName) => void;
  readonly account: AccountSettings;
  /** The sandbox's clock (how long order history keeps an order). */
  readonly nowMs: () => number;
}

export function orderRoutes(routes: RouteTable, ctx: OrderRouteContext): void {
  const sim = ctx.sim;

  routes.post('/v5/order/create', (p) => {
    linear(p);
    const inst = instrumentOf(p, sim);
    const sideText = need(p, 'side');
    if (sideText !== 'Buy' && sideText !== 'Sell') throw new ParamError('params error: side invalid');
    const typeText = need(p, 'orderType');
    if (typeText !== 'Market' && typeText !== 'Limit') throw new ParamError('params error: orderType invalid');
    const qty = decimal(p, 'qty');
    if (!qty) throw new ParamError(MISSING);
    if (str(p, 'triggerPrice') !== undefined) throw new ParamError('params error: conditional orders (triggerPrice) are not supported by the sandbox');
    const idx = str(p, 'positionIdx');
    if (!positionIdxAccepted(ctx.account.positionMode, idx)) throw new ParamError('position idx not match position mode');
    const tifText = str(p, 'timeInForce') ?? 'GTC';
    if (!['GTC', 'IOC', 'FOK', 'PostOnly'].includes(tifText)) throw new ParamError('params error: timeInForce invalid');
    const side: Side = sideText === 'Buy' ? 'buy' : 'sell';
    const orderType: OrderType = typeText === 'Market' ? 'market' : 'limit';
    const r = sim.placeOrder({
      symbol: inst.symbol,
      side,
      orderType,
      qty,
      price: orderType === 'limit' ? (decimal(p, 'price') ?? null) : null,
      timeInForce: tifText as TimeInForce,
      reduceOnly: bool(p, 'reduceOnly'),
      orderLinkId: str(p, 'orderLinkId') ?? '',
      takeProfit: clearable(p, 'takeProfit') ?? null,
      stopLoss: clearable(p, 'stopLoss') ?? null,
    });
    return unwrap(r, (o) => ({ orderId: o.orderId, orderLinkId: o.orderLinkId }));
  });

  routes.post('/v5/order/amend', (p) => {
    linear(p);
    const inst = instrumentOf(p, sim);
    const ref = orderRef(p, inst.symbol);
    const r = sim.amendOrder({
      ...ref,
      qty: decimal(p, 'qty'),
      price: decimal(p, 'price'),
      takeProfit: clearable(p, 'takeProfit'),
      stopLoss: clearable(p, 'stopLoss'),
    });
    return unwrap(r, (o) => ({ orderId: o.orderId, orderLinkId: o.orderLinkId }));
  });

  routes.post('/v5/order/cancel', (p) => {
    linear(p);
    const inst = instrumentOf(p, sim);
    const ref = orderRef(p, inst.symbol);
    const o = sim.order(ref);
    if (o && o.symbol === inst.symbol && OPEN_STATUSES.has(o.status) && ctx.faults().raceCancel) {
      const filled = sim.forceFill(ref);
      ctx.struck('race-cancel');
      if (filled && filled.status === 'Filled') ctx.onRaceFill(filled);
      return new SimFailure(110001, 'order not exists or too late to cancel');
    }
    return unwrap(sim.cancelOrder(ref), (x) => ({ orderId: x.orderId, orderLinkId: x.orderLinkId }));
  });

  routes.post('/v5/order/cancel-all', (p) => {
    linear(p);
    const symbol = str(p, 'symbol');
    const base = str(p, 'baseCoin');
    const settle = str(p, 'settleCoin');
    if (symbol === undefined && base === undefined && settle === undefined) throw new ParamError(MISSING);
    if (symbol !== undefined && !sim.hasSymbol(symbol)) throw new ParamError('params error: symbol invalid');
    const open = sim.openOrders(symbol).filter((o) => (base === undefined || sim.instrument(o.symbol).baseCoin === base) && (settle === undefined || sim.instrument(o.symbol).quoteCoin === settle));
    const done: Wire[] = [];
    for (const o of open) {
      const r = sim.cancelOrder({ symbol: o.symbol, orderId: o.orderId });
      if (r.ok) done.push({ orderId: o.orderId, orderLinkId: o.orderLinkId });
    }
    return { list: done, success: '1' };
  });

  routes.get('/v5/order/realtime', true, (p) => {
    linear(p);
    const symbol = str(p, 'symbol');
    const base = str(p, 'baseCoin');
    const settle = str(p, 'settleCoin');
    if (symbol === undefined && base === undefined && settle === undefined) throw new ParamError(MISSING);
    const openOnly = int(p, 'openOnly', 0, 0, 2);
    // V5 docs (order/realtime): openOnly 0 lists open orders only, 1 the account's recent 500 closed
    // ones; a look-up by orderId or orderLinkId ignores openOnly and finds an open order or one of
    // those 500. Conditional orders (a position's TP/SL) are listed with the open ones.
    const byId = str(p, 'orderId') !== undefined || str(p, 'orderLinkId') !== undefined;
    const closed = (): SimOrder[] => sim.orders().filter((o) => !OPEN_STATUSES.has(o.status)).slice(0, RECENT_CLOSED);
    let list = byId ? [...sim.openOrders(), ...closed()] : openOnly === 0 ? sim.openOrders() : closed();
    if (symbol !== undefined) list = list.filter((o) => o.symbol === symbol);
    list = filterOrders(sim, list, p, base, settle);
    let wire = list.map((o) => wireOrder(o, sim.instrument(o.symbol), false));
    if (openOnly === 0 && str(p, 'orderLinkId') === undefined) {
      const orderId = str(p, 'orderId');
      wire = [...conditionalOrders(sim, symbol).filter((w) => orderId === undefined || w['orderId'] === orderId), ...wire];
    }
    const pg = page(wire, p, 20, 50);
    return { category: 'linear', list: pg.list, nextPageCursor: pg.nextPageCursor };
  });

  routes.get('/v5/order/history', true, (p) => {
    linear(p);
    const symbol = str(p, 'symbol');
    if (symbol !== undefined && !sim.hasSymbol(symbol)) throw new ParamError('params error: symbol invalid');
    // V5 docs (order/history): cancelled, rejected and deactivated orders are kept 24 hours, other
    // closed ones 7 days, orders with fills longer; without startTime/endTime, the last 7 days.
    const now = ctx.nowMs();
    const kept = sim.orders(symbol).filter((o) => o.cumExecQty.gt(0) || now - o.createdMs <= (CANCELLED.has(o.status) ? DAY_MS : 7 * DAY_MS));
    let list = filterOrders(sim, kept, p, str(p, 'baseCoin'), str(p, 'settleCoin'));
    const status = str(p, 'orderStatus');
    if (status !== undefined) list = list.filter((o) => o.status === status);
    const start = str(p, 'startTime');
    const end = str(p, 'endTime');
    if (start !== undefined) list = list.filter((o) => o.createdMs >= Number(start));
    if (end !== undefined) list = list.filter((o) => o.createdMs <= Number(end));
    if (start === undefined && end === undefined && str(p, 'orderId') === undefined && str(p, 'orderLinkId') === undefined) list = list.filter((o) => now - o.createdMs <= 7 * DAY_MS);
    const pg = page(list, p, 20, 50);
    return { category: 'linear', list: pg.list.map((o) => wireOrder(o, sim.instrument(o.symbol), false)), nextPageCursor: pg.nextPageCursor };
  });

  routes.get('/v5/execution/list', true, (p) => {
    linear(p);
    const symbol = str(p, 'symbol');
    if (symbol !== undefined && !sim.hasSymbol(symbol)) throw new ParamError('params error: symbol invalid');
    let list = [...sim.executions(symbol)].reverse();
    const orderId = str(p, 'orderId');
    const linkId = str(p, 'orderLinkId');
    if (orderId !== undefined) list = list.filter((e) => e.orderId === orderId);
    if (linkId !== undefined) list = list.filter((e) => e.orderLinkId === linkId);
    const start = str(p, 'startTime');
    const end = str(p, 'endTime');
    if (start !== undefined) list = list.filter((e) => e.execTime >= Number(start));
    if (end !== undefined) list = list.filter((e) => e.execTime <= Number(end));
    const pg = page(list, p, 50, 100);
    return {
      category: 'linear',
      list: pg.list.map((e) => wireExecution(e, sim.instrument(e.symbol), String(sim.lastPrice(e.symbol)), false)),
      nextPageCursor: pg.nextPageCursor,
    };
  });
}

/** Closed orders `/v5/order/realtime` keeps per account and category (V5 docs). */
const RECENT_CLOSED = 500;
const DAY_MS = 86_400_000;
/** Closed without a fill: history keeps these 24 hours only (a partly filled cancel has fills). */
const CANCELLED: ReadonlySet<string> = new Set(['Cancelled', 'Rejected', 'Deactivated']);

/** Narrows an order list by `orderId`, `orderLinkId`, base coin and settle coin. */
function filterOrders(sim: Simulator, list: SimOrder[], p: Params, base: string | undefined, settle: string | undefined): SimOrder[] {
  const orderId = str(p, 'orderId');
  const linkId = str(p, 'orderLinkId');
  return list.filter(
    (o) =>
      (orderId === undefined || o.orderId === orderId) &&
      (linkId === undefined || o.orderLinkId === linkId) &&
      (base === undefined || sim.instrument(o.symbol).baseCoin === base) &&
      (settle === undefined || sim.instrument(o.symbol).quoteCoin === settle),
  );
}

/** The order a request names: by `orderId` when given, else by `orderLinkId`; one of them is required. */
function orderRef(p: Params, symbol: string): { symbol: string; orderId?: string; orderLinkId?: string } {
  const orderId = str(p, 'orderId');
  const orderLinkId = str(p, 'orderLinkId');
  if (orderId === undefined && orderLinkId === undefined) throw new ParamError(MISSING);
  return orderId !== undefined ? { symbol, orderId } : { symbol, orderLinkId: orderLinkId! };
}
