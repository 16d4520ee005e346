import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { Fill, Order } from '../../src/domain/types.js';
import type { OrderRequest } from '../../src/engine/exchangePort.js';
import { OrderTracker } from '../../src/engine/orderTracker.js';

const REQ: OrderRequest = {
  symbol: 'BTCUSDT', side: 'buy', type: 'limit', qty: dec('0.010'), price: dec('106500'), timeInForce: 'GTC', reduceOnly: false,
  orderLinkId: 'ps-BTCUSDT-QB0-abc', stopLoss: null, takeProfit: null,
};
function push(over: Partial<Order>): Order {
  return {
    orderLinkId: REQ.orderLinkId, orderId: 'oid-1', symbol: 'BTCUSDT', side: 'buy', type: 'limit', timeInForce: 'GTC', price: dec('106500'), qty: dec('0.010'),
    reduceOnly: false, stopLoss: null, takeProfit: null, status: 'new', filledQty: dec('0'), avgFillPrice: null, rejectReason: null, createdMs: 1000, updatedMs: 1000, ...over,
  };
}
const fill = (execId: string): Fill => ({ execId, orderId: 'oid-1', orderLinkId: REQ.orderLinkId, symbol: 'BTCUSDT', side: 'buy', price: dec('106500'), qty: dec('0.004'), fee: dec('0.0852'), isMaker: true, ts: 2000 });

describe('OrderTracker', () => {
  it('follows an order from pending to filled and finds it by either id', () => {
    const t = new OrderTracker();
    expect(t.trackSent(REQ, 900).status).toBe('pending');
    t.acknowledge(REQ.orderLinkId, 'oid-1', 950);
    expect(t.get(REQ.orderLinkId)?.status).toBe('new');
    expect(t.applyUpdate(push({ status: 'partiallyFilled', filledQty: dec('0.004'), updatedMs: 2000 }), 2000)).toBe('applied');
    expect(t.applyUpdate(push({ status: 'filled', filledQty: dec('0.010'), updatedMs: 3000 }), 3000)).toBe('applied');
    expect(t.byOrderId('oid-1')?.status).toBe('filled');
    expect(t.open()).toHaveLength(0);
  });

  it('never lets a stale REST "open" overwrite a stream "filled"', () => {
    const t = new OrderTracker();
    t.trackSent(REQ, 900);
    t.applyUpdate(push({ status: 'filled', filledQty: dec('0.010'), updatedMs: 3000 }), 3000);
    expect(t.applyUpdate(push({ status: 'new', updatedMs: 2500 }), 3100), 'older REST answer').toBe('terminal');
    expect(t.applyUpdate(push({ status: 'new', updatedMs: 3500 }), 3600), 'even a newer-stamped "new" cannot revive it').toBe('terminal');
    expect(t.get(REQ.orderLinkId)?.status).toBe('filled');
  });

  it('ignores updates older than what it holds, and same-time updates that go backwards', () => {
    const t = new OrderTracker();
    t.applyUpdate(push({ status: 'partiallyFilled', filledQty: dec('0.004'), updatedMs: 2000 }), 2000);
    expect(t.applyUpdate(push({ status: 'new', updatedMs: 1500 }), 2100)).toBe('stale');
    expect(t.applyUpdate(push({ status: 'new', updatedMs: 2000 }), 2100)).toBe('stale');
    expect(t.get(REQ.orderLinkId)?.filledQty.toFixed()).toBe('0.004');
  });

  it('applies an end stamped before its own acknowledgement: a post-only order cancelled as it arrived is not left open', () => {
    const t = new OrderTracker();
    t.trackSent(REQ, 1000);
    // The exchange stamps the cancellation 1 ms before the bot's clock says the order was acknowledged.
    t.acknowledge(REQ.orderLinkId, 'oid-1', 1000);
    expect(t.applyUpdate(push({ status: 'cancelled', rejectReason: 'EC_PostOnlyWillTakeLiquidity', updatedMs: 999 }), 1001)).toBe('applied');
    expect(t.get(REQ.orderLinkId)?.status).toBe('cancelled');
    expect(t.open()).toHaveLength(0);
  });

  it('takes the larger fill when a fill races a cancel (two terminal pushes), keeping the status', () => {
    const t = new OrderTracker();
    t.applyUpdate(push({ status: 'cancelled', filledQty: dec('0.004'), updatedMs: 2000 }), 2000);
    expect(t.applyUpdate(push({ status: 'filled', filledQty: dec('0.010'), updatedMs: 2001 }), 2001)).toBe('terminal');
    expect([t.get(REQ.orderLinkId)?.status, t.get(REQ.orderLinkId)?.filledQty.toFixed()]).toEqual(['cancelled', '0.01']);
  });

  it('counts each fill once, however often it is pushed or replayed from REST', () => {
    const t = new OrderTracker({ maxExecIds: 3 });
    expect([t.recordFill(fill('e1')), t.recordFill(fill('e1')), t.recordFill(fill('e2'))]).toEqual([true, false, true]);
    for (const id of ['e3', 'e4', 'e5']) t.recordFill(fill(id));
    expect(t.recordFill(fill('e5')), 'recent ids are remembered within the bound').toBe(false);
  });

  it('declares an order lost only after several failed look-ups in a row', () => {
    const t = new OrderTracker({ lostAfterMisses: 3 });
    t.trackSent(REQ, 900);
    expect(t.lookupMissed(REQ.orderLinkId, 1000)).toBeNull();
    expect(t.lookupMissed(REQ.orderLinkId, 2000)).toBeNull();
    t.acknowledge(REQ.orderLinkId, 'oid-1', 2500); // found after all: the count starts again
    expect(t.lookupMissed(REQ.orderLinkId, 3000)).toBeNull();
    expect(t.lookupMissed(REQ.orderLinkId, 4000)).toBeNull();
    expect(t.lookupMissed(REQ.orderLinkId, 5000)?.status).toBe('lost');
  });

  it('keeps closed orders for late fills, then forgets them', () => {
    const t = new OrderTracker({ retainClosedMs: 60_000 });
    t.applyUpdate(push({ status: 'filled', filledQty: dec('0.010'), updatedMs: 3000 }), 3000);
    t.prune(62_000);
    expect(t.byOrderId('oid-1')?.status).toBe('filled');
    t.prune(63_000);
    expect(t.byOrderId('oid-1')).toBeUndefined();
    expect(t.get(REQ.orderLinkId)).toBeUndefined();
  });
});

describe('orders that are not the bot’s (issue 20 item 2)', () => {
  it('are kept apart by orderId: open() never returns them, and two with an empty orderLinkId do not overwrite each other', () => {
    const t = new OrderTracker({ isOwn: (id) => id.startsWith('ps-') });
    const base = { symbol: 'BTCUSDT', side: 'sell' as const, type: 'market' as const, timeInForce: 'IOC' as const, price: null, qty: dec('0'), reduceOnly: true, stopLoss: null, takeProfit: null, status: 'new' as const, filledQty: dec('0'), avgFillPrice: null, rejectReason: null, createdMs: 1, updatedMs: 1 };
    expect(t.applyUpdate({ ...base, orderLinkId: '', orderId: 'sl-1', conditional: { kind: 'stopLoss', triggerPrice: dec('60000') } }, 1)).toBe('foreign');
    expect(t.applyUpdate({ ...base, orderLinkId: '', orderId: 'tp-1', conditional: { kind: 'takeProfit', triggerPrice: dec('70000') } }, 1)).toBe('foreign');
    expect(t.applyUpdate({ ...base, orderLinkId: 'manual-1', orderId: 'm-1', type: 'limit', price: dec('50000'), qty: dec('0.001') }, 1)).toBe('foreign');
    expect(t.applyUpdate({ ...base, orderLinkId: 'ps-BTCUSDT-T1-x', orderId: 'own-1' }, 1)).toBe('new');
    expect(t.open('BTCUSDT').map((o) => o.orderLinkId)).toEqual(['ps-BTCUSDT-T1-x']);
    expect(t.foreign('BTCUSDT').map((o) => o.orderId).sort()).toEqual(['m-1', 'sl-1', 'tp-1']);
    // Deactivated when the position closed: gone from the list.
    t.applyUpdate({ ...base, orderLinkId: '', orderId: 'sl-1', status: 'cancelled', updatedMs: 2 }, 2);
    expect(t.foreign('BTCUSDT').map((o) => o.orderId).sort()).toEqual(['m-1', 'tp-1']);
    // A REST list of open orders is all there is.
    t.replaceForeign('BTCUSDT', [{ ...base, orderLinkId: 'manual-1', orderId: 'm-1' }]);
    expect(t.foreign('BTCUSDT').map((o) => o.orderId)).toEqual(['m-1']);
  });
});
