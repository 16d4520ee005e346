/**
 * Trading over the request pipeline against the loopback Bybit: what an order carries, and how an
 * orderLinkId that is already taken resolves to the order an earlier attempt placed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalRefusal } from '../../../src/domain/exchangeErrors.js';
import { dec } from '../../../src/domain/money.js';
import type { Instrument, Order } from '../../../src/domain/types.js';
import type { OrderRequest } from '../../../src/engine/exchangePort.js';
import { BybitOrders } from '../../../src/exchange/bybit/bybitOrders.js';
import { parseWire, WireInstrument, WireOrder } from '../../../src/exchange/bybit/bybitWire.js';
import { instrumentFromWire, orderFromWire } from '../../../src/exchange/bybit/wireToDomain.js';
import { BTC_INSTRUMENT, goodOrder, SYMBOL } from '../../badInput/corpus.js';
import { fail, ok, startFakeBybitRest, type FakeBybitRest } from './fakeBybitRest.js';
import { restHarness } from './restHarness.js';

let server: FakeBybitRest;
beforeEach(async () => {
  server = await startFakeBybitRest();
});
afterEach(async () => {
  await server.close();
});

const limit = (extra: Partial<OrderRequest> = {}): OrderRequest => ({
  symbol: SYMBOL,
  side: 'buy',
  type: 'limit',
  qty: dec('0.0123'),
  price: dec('100.04'),
  timeInForce: 'PostOnly',
  reduceOnly: false,
  orderLinkId: 'ps-1',
  stopLoss: dec('95'),
  takeProfit: null,
  ...extra,
});

function orders(lookup: (id: string) => Order | null = () => null) {
  const h = restHarness(server);
  const instruments = new Map<string, Instrument>([[SYMBOL, instrumentFromWire(parseWire(WireInstrument, BTC_INSTRUMENT, 'instrument'))]]);
  const looked: string[] = [];
  const o = new BybitOrders({ rest: h.rest, instruments, fetchOrder: async (_s, id) => (looked.push(id), lookup(id)), logger: h.log, counters: h.counters });
  return { ...h, orders: o, looked };
}

describe('BybitOrders', () => {
  it('sends a limit order rounded to the instrument, with Bybit\'s names and Decimal strings', async () => {
    const { orders: o } = orders();
    server.route = (r) => ok({ orderId: 'x-1', orderLinkId: r.params['orderLinkId'] });
    expect(await o.placeOrder(limit())).toEqual({ status: 'placed', orderId: 'x-1' });
    expect(server.requests[0]!.params).toEqual({
      category: 'linear',
      symbol: SYMBOL,
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.012',
      orderLinkId: 'ps-1',
      reduceOnly: false,
      positionIdx: 0,
      price: '100',
      timeInForce: 'PostOnly',
      tpslMode: 'Full',
      stopLoss: '95',
    });
  });

  it('refuses a bad orderLinkId and a quantity that rounds to zero without sending anything', async () => {
    const { orders: o } = orders();
    await expect(o.placeOrder(limit({ orderLinkId: 'has space' }))).rejects.toMatchObject({ kind: 'rejected' });
    await expect(o.placeOrder(limit({ qty: dec('0.0001') }))).rejects.toMatchObject({ kind: 'rejected', message: 'order ps-1: quantity 0.0001 rounds to zero' });
    // Marked as the bot's own refusal: nothing reached Bybit (the circuit breaker does not count it).
    await expect(o.placeOrder(limit({ qty: dec('0.0001') }))).rejects.toBeInstanceOf(LocalRefusal);
    expect(server.requests).toEqual([]);
  });

  it('answers a taken orderLinkId with the order an earlier attempt placed', async () => {
    const { orders: o, looked, counters } = orders(() => orderFromWire(parseWire(WireOrder, { ...goodOrder(), orderId: 'earlier' }, 'order')));
    server.route = () => fail(110072, 'OrderLinkedID is duplicate');
    expect(await o.placeOrder(limit())).toEqual({ status: 'duplicate', orderId: 'earlier' });
    expect(looked).toEqual(['ps-1']);
    expect(counters.duplicatesResolved).toBe(1);
  });

  it('treats "already gone" on cancel as not cancelled, and "not modified" as done', async () => {
    const { orders: o } = orders();
    server.route = (r) => (r.path === '/v5/order/cancel' ? fail(110001, 'order not exists or too late to cancel') : fail(110043, 'leverage not modified'));
    expect(await o.cancelOrder(SYMBOL, 'ps-1')).toBe(false);
    await o.setLeverage(SYMBOL, dec(5));
    expect(server.requests.map((r) => [r.path, r.params['buyLeverage'] ?? null])).toEqual([
      ['/v5/order/cancel', null],
      ['/v5/position/set-leverage', '5'],
    ]);
  });

  it('sends trading stops with the position index and mode Bybit requires', async () => {
    const { orders: o } = orders();
    await o.setTradingStop({ symbol: SYMBOL, stopLoss: dec('99.5'), trailingStop: dec('1') });
    expect(server.requests[0]!.params).toEqual({ category: 'linear', symbol: SYMBOL, positionIdx: 0, tpslMode: 'Full', stopLoss: '99.5', trailingStop: '1' });
  });
});
