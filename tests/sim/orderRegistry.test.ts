/**
 * The orders and executions the simulator remembers (src/sim/orderRegistry.ts): bounded by
 * `historyLimit`, forgetting only finished orders, oldest first, so that an open order is always found.
 */
import { describe, expect, it } from 'vitest';
import { simParts, spec } from './simParts.js';

describe('OrderRegistry', () => {
  it('forgets finished orders beyond the limit, never open ones, and frees their link ids', () => {
    const { m, orders, registry } = simParts(100_000, { historyLimit: 2 });
    const a = orders.place(m, spec('buy', '0.01', '99000', { linkId: 'a' }));
    const b = orders.place(m, spec('buy', '0.01', '100000.1', { linkId: 'b', tif: 'PostOnly' }));
    expect(b.status, 'a crossing PostOnly is cancelled at once').toBe('Cancelled');
    const c = orders.place(m, spec('buy', '0.01', '98000', { linkId: 'c' }));
    expect(registry.find({ symbol: 'BTCUSDT', orderId: b.orderId }), 'the finished order went first').toBeUndefined();
    expect(registry.hasLinkId('b')).toBe(false);
    const d = orders.place(m, spec('buy', '0.01', '97000', { linkId: 'd' }));
    expect(registry.orders().map((o) => o.orderLinkId), 'three open orders stay, over the limit, newest first').toEqual(['d', 'c', 'a']);
    expect(registry.find({ symbol: 'BTCUSDT', orderLinkId: 'a' })).toBe(a);
    expect([c.status, d.status]).toEqual(['New', 'New']);
  });

  it('keeps the newest executions, oldest first', () => {
    const { m, orders, registry } = simParts(100_000, { historyLimit: 2 });
    for (const side of ['buy', 'sell', 'buy'] as const) orders.place(m, spec(side, '0.01', null));
    expect(registry.executions().map((e) => e.side)).toEqual(['sell', 'buy']);
    expect(registry.executions('ETHUSDT')).toEqual([]);
  });
});
