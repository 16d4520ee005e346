/**
 * The checks on requests (src/sim/requestChecks.ts): Bybit V5 retCodes and retMsgs, which the sandbox
 * returns unchanged. BTCUSDT: tick 0.1, qty step 0.001, minimum order value 5 USDT; leverage 10.
 */
import { describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import { checkAmendOrder, checkLeverage, checkPlaceOrder, checkTradingStop, type OrderCheckContext } from '../../src/sim/requestChecks.js';
import type { PlaceOrderInput } from '../../src/sim/simTypes.js';
import { simParts, spec, type Parts } from './simParts.js';

function context(p: Parts): OrderCheckContext {
  return {
    hasLinkId: (id) => p.registry.hasLinkId(id),
    canOpen: (m, side, qty, ref) => p.account.canOpen(m, side, qty, ref, p.markets.values()),
  };
}

const buy = (qty: string, extra: Partial<PlaceOrderInput> = {}): PlaceOrderInput => ({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec(qty), price: dec('99000'), ...extra });

describe('request checks', () => {
  it('refuses a new order with the code and wording Bybit uses, and normalises an accepted one', () => {
    const p = simParts(100_000, { initialBalance: '500' });
    p.orders.place(p.m, spec('buy', '0.001', '90000', { linkId: 'taken' }));
    const check = (i: PlaceOrderInput): unknown => checkPlaceOrder(i, p.m, context(p));
    expect(check(buy('0.0015'))).toEqual({ ok: false, code: 10001, msg: 'Qty invalid' });
    expect(check(buy('0.01', { price: dec('99000.05') }))).toEqual({ ok: false, code: 10001, msg: 'price invalid' });
    expect(check(buy('0.01', { orderLinkId: 'taken' }))).toEqual({ ok: false, code: 110072, msg: 'OrderLinkedID is duplicate' });
    // 0.001 × 4 000 = 4 USDT < 5.
    expect(check(buy('0.001', { price: dec('4000') }))).toEqual({ ok: false, code: 110094, msg: 'Order does not meet minimum order value 5USDT' });
    // 0.06 × 99 000 / 10 = 594 of margin, more than 500 − 9 held by the resting order.
    expect(check(buy('0.06'))).toEqual({ ok: false, code: 110007, msg: 'ab not enough for new order' });
    expect(check(buy('0.01', { takeProfit: dec('98000') }))).toEqual({
      ok: false,
      code: 10001,
      msg: 'TakeProfit:98000 set for Buy position should be higher than base_price:99000??LastPrice',
    });
    expect(check(buy('0.01', { orderType: 'market', price: null }))).toMatchObject({ ok: true, value: { tif: 'IOC', price: null, linkId: '' } });
    expect(check(buy('0.01'))).toMatchObject({ ok: true, value: { tif: 'GTC', reduceOnly: false } });
  });

  it('refuses stops for a flat position, on the wrong side of the last price, or unchanged', () => {
    const p = simParts(100_000);
    const stops = { symbol: 'BTCUSDT', stopLoss: dec('99000') };
    expect(checkTradingStop(stops, p.m.pos, 100_000, p.m.inst)).toEqual({ ok: false, code: 10001, msg: 'can not set tp/sl/ts for zero position' });
    p.orders.place(p.m, spec('buy', '0.01', null, { stopLoss: dec('99000') }));
    expect(checkTradingStop(stops, p.m.pos, 100_000, p.m.inst)).toEqual({ ok: false, code: 34040, msg: 'not modified' });
    expect(checkTradingStop({ symbol: 'BTCUSDT', stopLoss: dec('100500') }, p.m.pos, 100_000, p.m.inst)).toEqual({
      ok: false,
      code: 10001,
      msg: 'StopLoss:100500 set for Buy position should lower than base_price:100000??LastPrice',
    });
    expect(checkTradingStop({ symbol: 'BTCUSDT', stopLoss: dec('98000') }, p.m.pos, 100_000, p.m.inst)).toBe(null);
  });

  it('refuses an amend whose new total is not above what already filled (110064), and one above the maximum', () => {
    const p = simParts(100_000);
    const o = p.orders.place(p.m, spec('buy', '0.01', '99000'));
    o.cumExecQty = dec('0.004'); // partly filled: the amended qty is the new total, filled part included
    expect(checkAmendOrder({ symbol: 'BTCUSDT', orderId: o.orderId, qty: dec('0.004') }, o, p.m)).toEqual({
      ok: false,
      code: 110064,
      msg: 'The modified contract quantity cannot be less than or equal to the filled quantity.',
    });
    expect(checkAmendOrder({ symbol: 'BTCUSDT', orderId: o.orderId, qty: dec('0.005') }, o, p.m)).toBe(null);
    expect(checkAmendOrder({ symbol: 'BTCUSDT', orderId: o.orderId, qty: dec('2000') }, o, p.m)).toEqual({
      ok: false,
      code: 10001,
      msg: 'The number of contracts exceeds maximum limit allowed: too large, order_qty:200000000000 > max_qty:119000000000',
    });
  });

  it('takes one leverage for both sides, within the instrument limit, and only when it changes', () => {
    const { m } = simParts(100_000);
    expect(checkLeverage(m, dec('5'), dec('6'))).toMatchObject({ code: 10001 });
    expect(checkLeverage(m, dec('101'), dec('101'))).toEqual({ ok: false, code: 10001, msg: 'leverage invalid: must be between 1 and 100' });
    expect(checkLeverage(m, dec('10'), dec('10'))).toEqual({ ok: false, code: 110043, msg: 'Set leverage not modified' });
    expect(checkLeverage(m, dec('20'), dec('20'))).toBe(null);
  });
});
