import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { OrderRequest } from '../../src/engine/exchangePort.js';
import { makeOrderLinkId } from '../../src/engine/orderLinkId.js';
import { storedOrder } from '../../src/engine/orderSender.js';
import { partsKit, T0, wireParts, type PartsKit } from './partsKit.js';

function request(over: Partial<OrderRequest> = {}): OrderRequest {
  return { symbol: 'BTCUSDT', side: 'buy', type: 'limit', qty: dec('0.001'), price: dec('59000'), timeInForce: 'GTC', reduceOnly: false, orderLinkId: makeOrderLinkId('ps', 'BTCUSDT', { kind: 'entry', side: 'long' }, T0), stopLoss: null, takeProfit: null, ...over };
}

/** Records the order in the store as the entry placer does before sending it. */
function record(kit: PartsKit, req: OrderRequest, purpose: 'entry' | 'exit'): void {
  kit.store.update((d) => {
    const s = d.symbols.BTCUSDT!;
    if (purpose === 'entry') s.position = { side: 'long', size: '0', entryPrice: '59000', openedMs: T0, entryOrderLinkId: req.orderLinkId, stop: null, targets: [] };
    s.openOrders[req.orderLinkId] = storedOrder(req, purpose, T0);
  });
}

describe('OrderSender', () => {
  it('journals and tracks an order before it leaves, and stores the exchange id once accepted', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    const req = request();
    record(kit, req, 'entry');
    expect(await w.orders.send(req, 'entry', 'test')).toBe('placed');
    expect(kit.journal.records[0]).toMatchObject({ type: 'order', orderLinkId: req.orderLinkId, purpose: 'entry', qty: '0.001', price: '59000', reason: 'test' });
    const orderId = kit.sim.order({ symbol: 'BTCUSDT', orderLinkId: req.orderLinkId })!.orderId;
    expect(kit.tracker.get(req.orderLinkId)?.orderId).toBe(orderId);
    expect(kit.store.state.symbols.BTCUSDT?.openOrders[req.orderLinkId]).toMatchObject({ orderId, status: 'new' });
  });

  it('a refused entry undoes its record and plan, and the owner hears why', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    const req = request({ qty: dec('0.0001') }); // below the 0.001 minimum
    record(kit, req, 'entry');
    expect(await w.orders.send(req, 'entry', 'test')).toBe('refused');
    expect(kit.store.state.symbols.BTCUSDT).toMatchObject({ position: null, openOrders: {} });
    expect(kit.tracker.get(req.orderLinkId)?.status).toBe('rejected');
    expect(kit.alerts).toEqual([expect.objectContaining({ level: 'warning', title: 'BTCUSDT entry refused' })]);
  });

  it('an entry whose stop the price passed on the way is not entered, quietly: Bybit\'s text in the log, no alarm', async () => {
    // The engine checks the stop against the last price before sending; the price can still move
    // past it before the order arrives (seen in the replay rehearsal at speed 600).
    const kit = partsKit();
    const w = await wireParts(kit);
    const req = request({ side: 'sell', type: 'market', price: null, timeInForce: 'IOC', stopLoss: dec('59990'), orderLinkId: makeOrderLinkId('ps', 'BTCUSDT', { kind: 'entry', side: 'short' }, T0) });
    record(kit, req, 'entry');
    expect(await w.orders.send(req, 'entry', 'test')).toBe('refused');
    expect(kit.store.state.symbols.BTCUSDT).toMatchObject({ position: null, openOrders: {} });
    expect(kit.alerts).toEqual([]);
    expect(kit.logs.at(-1)).toMatchObject({
      level: 'info',
      message: 'BTCUSDT entry not placed: the price passed its stop 59990 before the order arrived',
      fields: { retCode: 10001, message: 'sl:59990 set for Sell position should greater base_price:60000??LastPrice' },
    });
  });

  it('an exit refused because the position is already flat is expected: no alarm, fetch the missing fills', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    const req = request({ side: 'sell', type: 'market', price: null, timeInForce: 'IOC', reduceOnly: true, orderLinkId: makeOrderLinkId('ps', 'BTCUSDT', { kind: 'exit', code: 'S' }, T0) });
    record(kit, req, 'exit');
    expect(await w.orders.send(req, 'exit', 'signal')).toBe('positionGone');
    expect(kit.alerts).toEqual([]);
    expect(w.resyncs.count).toBe(1);
    expect(kit.logs.at(-1)).toMatchObject({ level: 'info', message: 'BTCUSDT exit not needed: the position is already closed on the exchange', fields: { retCode: 110017, message: 'Reduce-only rule not satisfied' } });
  });

  it('an unknown outcome leaves the record for reconciliation to look up', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    kit.port.placeOrder = async () => {
      throw new Error('socket hang up');
    };
    const req = request();
    record(kit, req, 'entry');
    expect(await w.orders.send(req, 'entry', 'test')).toBe('unknown');
    expect(kit.store.state.symbols.BTCUSDT?.openOrders[req.orderLinkId]?.status).toBe('pending');
    expect(kit.logs.at(-1)).toMatchObject({ level: 'warn', message: 'BTCUSDT entry order outcome unknown; reconciliation will look it up' });
  });

  it('an exit recorded on the way: the record is made once the request is sent, and the answer finds it (accepted, or refused and undone)', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    const exit = (code: 'S' | 'T') => request({ side: 'sell', type: 'market', price: null, timeInForce: 'IOC', reduceOnly: true, orderLinkId: makeOrderLinkId('ps', 'BTCUSDT', { kind: 'exit', code }, T0) });
    const send = kit.port.placeOrder.bind(kit.port);
    let sentBeforeRecord = false;
    kit.port.placeOrder = (r) => {
      const placed = send(r);
      sentBeforeRecord = kit.store.state.symbols.BTCUSDT?.openOrders[r.orderLinkId] === undefined;
      return placed;
    };
    // Flat on the exchange: refused (110017), and the record made on the way is undone.
    const refused = exit('S');
    expect(await w.orders.send(refused, 'exit', 'signal', () => record(kit, refused, 'exit'))).toBe('positionGone');
    expect(sentBeforeRecord).toBe(true);
    expect(kit.store.state.symbols.BTCUSDT?.openOrders[refused.orderLinkId]).toBeUndefined();
    // A long position: the exit is accepted, and its record learns the exchange's id.
    const entry = request({ type: 'market', price: null, timeInForce: 'IOC' });
    record(kit, entry, 'entry');
    expect(await w.orders.send(entry, 'entry', 'test')).toBe('placed');
    const accepted = exit('T');
    expect(await w.orders.send(accepted, 'exit', 'held', () => record(kit, accepted, 'exit'))).toBe('placed');
    const orderId = kit.sim.order({ symbol: 'BTCUSDT', orderLinkId: accepted.orderLinkId })!.orderId;
    expect(kit.store.state.symbols.BTCUSDT?.openOrders[accepted.orderLinkId]).toMatchObject({ orderId, status: 'new', purpose: 'exit' });
  });

  it('an exit whose record fails on the way is still sent, its answer handled, and the failure logged', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    const entry = request({ type: 'market', price: null, timeInForce: 'IOC' });
    record(kit, entry, 'entry');
    expect(await w.orders.send(entry, 'entry', 'test')).toBe('placed');
    const exit = request({ side: 'sell', type: 'market', price: null, timeInForce: 'IOC', reduceOnly: true, orderLinkId: makeOrderLinkId('ps', 'BTCUSDT', { kind: 'exit', code: 'S' }, T0) });
    const failing = (): void => {
      throw new Error('StateStore is closed');
    };
    expect(await w.orders.send(exit, 'exit', 'signal', failing)).toBe('placed');
    expect(kit.sim.order({ symbol: 'BTCUSDT', orderLinkId: exit.orderLinkId })).toBeDefined();
    expect(kit.tracker.get(exit.orderLinkId)?.orderId).toBeTruthy();
    expect(kit.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'BTCUSDT exit sent but not recorded in the state', fields: expect.objectContaining({ error: 'StateStore is closed' }) }));
  });

  it('cancelling an order that is already closed is not an error', async () => {
    const kit = partsKit();
    const w = await wireParts(kit);
    await w.orders.cancel('BTCUSDT', 'ps-BTCUSDT-QB0-abc', 'requote');
    expect(kit.logs.at(-1)).toMatchObject({ level: 'debug', message: 'ps-BTCUSDT-QB0-abc was already closed (requote)' });
  });
});
