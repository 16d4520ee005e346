/**
 * Issue 20 items 2 and 9 at the wire: real recorded answers (tests/fixtures/bybit-real) become the
 * right domain values. Funding executions are booked with Bybit's sign, `extraFees` join the fee,
 * the other position-changing execution types are fills, and conditional orders are marked.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWire, WireExecution, WireOrder } from '../../../src/exchange/bybit/bybitWire.js';
import { fillFromWire, isFillExecution, orderFromWire } from '../../../src/exchange/bybit/wireToDomain.js';

type Fixture = { entries: Array<{ name: string; response: { result?: { list: unknown[] }; data?: unknown[] } }> };
const fixture = (name: string): Fixture => JSON.parse(readFileSync(new URL(`../../fixtures/bybit-real/${name}`, import.meta.url), 'utf8')) as Fixture;

describe('executions other than trades', () => {
  it('a Funding execution is a funding fill: positive fee paid, negative received (ccxt LTCUSDT captures)', () => {
    const f = fixture('execution-list.json');
    const paid = f.entries[1]!.response.result!.list[0]!;
    const received = f.entries[3]!.response.result!.list;
    const w = parseWire(WireExecution, paid, 'test');
    expect(isFillExecution(w)).toBe(true);
    const fill = fillFromWire(w);
    expect({ source: fill.source, side: fill.side, qty: fill.qty.toFixed(), price: fill.price.toFixed(), fee: fill.fee.toFixed(), orderLinkId: fill.orderLinkId }).toEqual({ source: 'funding', side: 'buy', qty: '1.2', price: '72.25', fee: '0.00867', orderLinkId: '' });
    expect(fill.trigger, 'stopOrderType UNKNOWN is no trigger').toBeUndefined();
    expect(received.map((r) => fillFromWire(parseWire(WireExecution, r, 'test')).fee.toFixed())).toEqual(['-0.00708126', '0.0007797']);
  });

  it('extraFees are added to the fee: the websocket list (docs example) and the REST string', () => {
    const push = fixture('ws-private.json').entries[1]!.response.data![0]!;
    const fill = fillFromWire(parseWire(WireExecution, push, 'test'));
    expect(fill.fee.toFixed(), 'execFee 26.3725275 + GST 0.006403779').toBe('26.378931279');
    const rest = { ...(push as Record<string, unknown>), extraFees: JSON.stringify([{ feeCoin: 'USDT', feeType: 'GST', subFeeType: 'IND_GST', feeRate: '0.0000675', fee: '0.006403779' }]) };
    expect(fillFromWire(parseWire(WireExecution, rest, 'test')).fee.toFixed()).toBe('26.378931279');
    expect(fillFromWire(parseWire(WireExecution, { ...(push as Record<string, unknown>), extraFees: '' }, 'test')).fee.toFixed()).toBe('26.3725275');
  });

  it('BlockTrade, MovePosition, AdlTrade and BustTrade change the position and are booked; Settle is not', () => {
    const push = fixture('ws-private.json').entries[1]!.response.data![0]! as Record<string, unknown>;
    const sources = ['BlockTrade', 'MovePosition', 'AdlTrade', 'BustTrade', 'Trade'].map((execType) => fillFromWire(parseWire(WireExecution, { ...push, execType }, 'test')).source ?? 'trade');
    expect(sources).toEqual(['blockTrade', 'movePosition', 'adl', 'liquidation', 'trade']);
    expect(isFillExecution(parseWire(WireExecution, { ...push, execType: 'Settle' }, 'test'))).toBe(false);
  });
});

describe('conditional orders', () => {
  it("a position's TP/SL order (empty orderLinkId, stopOrderType, Untriggered) is marked conditional; a plain order is not", () => {
    const plain = fixture('order-realtime.json').entries[1]!.response.result!.list[0]! as Record<string, unknown>;
    expect(orderFromWire(parseWire(WireOrder, plain, 'test')).conditional).toBeUndefined();
    const docs = fixture('order-realtime.json').entries[0]!.response.result!.list[0]! as Record<string, unknown>;
    expect(orderFromWire(parseWire(WireOrder, docs, 'test')).conditional, 'stopOrderType UNKNOWN').toBeUndefined();
    const stop = { ...plain, orderLinkId: '', stopOrderType: 'StopLoss', orderStatus: 'Untriggered', orderType: 'Market', price: '0', qty: '0', triggerPrice: '60000' };
    const o = orderFromWire(parseWire(WireOrder, stop, 'test'));
    expect({ status: o.status, conditional: o.conditional?.kind, trigger: o.conditional?.triggerPrice?.toFixed() }).toEqual({ status: 'new', conditional: 'stopLoss', trigger: '60000' });
  });
});
