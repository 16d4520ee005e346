/**
 * A position's own TP/SL and trailing stop as Bybit lists them: conditional orders in
 * `/v5/order/realtime` and on the `order` topic, with an empty orderLinkId, `stopOrderType` set
 * (`StopLoss`, `TakeProfit`, `TrailingStop`), status `Untriggered`, `triggerPrice` the stop, qty "0"
 * (tpslMode Full: the whole position), and `Deactivated` once the stop is cleared or the position is
 * gone (reference "What recorded real answers show"; ccxt PR#19950 fragment in the fixtures README).
 * The simulator keeps these stops on the position; this file shows them as those orders.
 */
import { createHash } from 'node:crypto';
import { ZERO } from '../domain/money.js';
import type { Simulator } from '../sim/simulator.js';
import type { SimOrder, SimPosition, SimStopOrderType } from '../sim/simTypes.js';
import { type Wire, wireOrder } from './wire.js';

type Kind = Exclude<SimStopOrderType, ''>;

/** The same orderId for the same stop of the same position (opened at `createdMs`). */
function orderIdOf(symbol: string, createdMs: number, kind: Kind): string {
  const h = createHash('sha256').update(`${symbol}|${createdMs}|${kind}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function one(sim: Simulator, p: SimPosition, kind: Kind, status: 'Untriggered' | 'Deactivated'): Wire {
  const trigger = kind === 'StopLoss' ? p.stopLoss : kind === 'TakeProfit' ? p.takeProfit : p.activePrice;
  const o: SimOrder = {
    orderId: orderIdOf(p.symbol, p.createdMs, kind),
    orderLinkId: '',
    symbol: p.symbol,
    side: p.side === 'buy' ? 'sell' : 'buy',
    orderType: 'market',
    price: null,
    qty: ZERO,
    timeInForce: 'IOC',
    reduceOnly: true,
    closeOnTrigger: true,
    stopOrderType: kind,
    takeProfit: null,
    stopLoss: null,
    status: 'New',
    cumExecQty: ZERO,
    cumExecValue: ZERO,
    cumExecFee: ZERO,
    avgPrice: null,
    leavesQty: ZERO,
    rejectReason: 'EC_NoError',
    cancelType: 'UNKNOWN',
    createdMs: p.createdMs,
    updatedMs: p.updatedMs,
  };
  const w = wireOrder(o, sim.instrument(p.symbol), false);
  w['orderStatus'] = status;
  w['triggerPrice'] = trigger === null ? '' : trigger.toFixed();
  w['tpslMode'] = 'Full';
  return w;
}

/** The conditional orders of `symbol`'s position (or of every position), as `order/realtime` lists them. */
export function conditionalOrders(sim: Simulator, symbol?: string): Wire[] {
  const out: Wire[] = [];
  for (const p of symbol === undefined ? sim.positions() : [sim.position(symbol)]) {
    if (p.side === null) continue;
    if (p.stopLoss !== null) out.push(one(sim, p, 'StopLoss', 'Untriggered'));
    if (p.takeProfit !== null) out.push(one(sim, p, 'TakeProfit', 'Untriggered'));
    if (p.trailingStop !== null) out.push(one(sim, p, 'TrailingStop', 'Untriggered'));
  }
  return out;
}

/**
 * What the `order` topic pushes when a position changes: its conditional orders that are new or
 * changed, and `Deactivated` for those that are gone. Remembers what it pushed, per symbol.
 */
export class ConditionalPushes {
  readonly #shown = new Map<string, Map<string, Wire>>();

  changes(sim: Simulator, p: SimPosition): Wire[] {
    const before = this.#shown.get(p.symbol) ?? new Map<string, Wire>();
    const now = new Map(conditionalOrders(sim, p.symbol).map((w) => [w['orderId'] as string, w]));
    const out: Wire[] = [];
    for (const [id, w] of now) {
      const old = before.get(id);
      if (old === undefined || old['triggerPrice'] !== w['triggerPrice']) out.push(w);
    }
    for (const [id, w] of before) if (!now.has(id)) out.push({ ...w, orderStatus: 'Deactivated', updatedTime: String(p.updatedMs) });
    this.#shown.set(p.symbol, now);
    return out;
  }
}
