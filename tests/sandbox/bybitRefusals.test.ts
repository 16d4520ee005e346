/**
 * Issue 15 item 5: the sandbox refuses what Bybit refuses for protective orders and sizes, with
 * Bybit's retCode and text (tests/fixtures/bybit-real, Bybit's V5 error page), so a client that
 * sends them fails here as it would on Bybit.
 */
import { describe, expect, it } from 'vitest';
import { sandboxPerFile } from '../helpers/sandboxPerFile.js';
import { type Msg, signedCall } from './wsClient.js';


const sb = sandboxPerFile();

const call = (method: 'GET' | 'POST', path: string, params: Record<string, unknown>): Promise<Msg> => signedCall(sb.restUrl, method, path, params, { timestampMs: sb.nowMs() }).then((r) => r.json);
const order = (p: Record<string, unknown>): Promise<Msg> => call('POST', '/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', ...p });
const tick = (x: number): string => (Math.round(x * 10) / 10).toFixed(1);

describe('the sandbox refuses as Bybit does', () => {
  it('a reduce-only order with no position: 110017 "Reduce-only rule not satisfied" (the V5 text, ccxt#19588)', async () => {
    expect(await order({ side: 'Sell', orderType: 'Market', qty: '0.001', reduceOnly: true })).toMatchObject({ retCode: 110017, retMsg: 'Reduce-only rule not satisfied' });
  });

  it('a size above the maximum order quantity: 10001 with both sizes scaled by 1e8 (pybit#244)', async () => {
    // BTCUSDT: maxMktOrderQty 119, maxOrderQty 1190 (src/sim/instruments.ts).
    expect(await order({ side: 'Buy', orderType: 'Market', qty: '120' })).toMatchObject({ retCode: 10001, retMsg: 'The number of contracts exceeds maximum limit allowed: too large, order_qty:12000000000 > max_qty:11900000000' });
    const last = sb.sim.lastPrice('BTCUSDT');
    expect(await order({ side: 'Buy', orderType: 'Limit', price: tick(last * 0.5), qty: '1000000000' })).toMatchObject({
      retCode: 10001,
      retMsg: 'The number of contracts exceeds maximum limit allowed: too large, order_qty:100000000000000000 > max_qty:119000000000',
    });
  });

  it('a short whose stop is not above the last price, on the entry and on the position, in the real Sell wording', async () => {
    const last = sb.sim.lastPrice('BTCUSDT');
    const below = tick(last - 50);
    expect(await order({ side: 'Sell', orderType: 'Market', qty: '0.01', stopLoss: below })).toMatchObject({
      retCode: 10001,
      retMsg: `sl:${Number(below)} set for Sell position should greater base_price:${last}??LastPrice`,
    });
    expect(await order({ side: 'Sell', orderType: 'Market', qty: '0.01', stopLoss: tick(last + 500) })).toMatchObject({ retCode: 0 });
    expect(await call('POST', '/v5/position/trading-stop', { category: 'linear', symbol: 'BTCUSDT', tpslMode: 'Full', positionIdx: 0, stopLoss: below })).toMatchObject({
      retCode: 10001,
      retMsg: `StopLoss:${Number(below)} set for Sell position should greater base_price:${last}??LastPrice`,
    });
    // A long's wording keeps "than".
    expect(await order({ side: 'Buy', orderType: 'Market', qty: '0.02', reduceOnly: false, stopLoss: tick(last + 50) })).toMatchObject({
      retCode: 10001,
      retMsg: `sl:${Number(tick(last + 50))} set for Buy position should lower than base_price:${last}??LastPrice`,
    });
  });
});
