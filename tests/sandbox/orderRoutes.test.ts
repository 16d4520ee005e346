/** The signed order endpoints over HTTP: create, amend, cancel, cancel-all, open orders, history, executions. */
import { describe, expect, it } from 'vitest';
import { MISSING } from '../../src/sandbox/restParams.js';
import { sandboxPerFile } from '../helpers/sandboxPerFile.js';
import { type Msg, signedCall } from './wsClient.js';


const sb = sandboxPerFile(['BTCUSDT', 'ETHUSDT']);

const call = (method: 'GET' | 'POST', path: string, params: Record<string, unknown>): Promise<Msg> => signedCall(sb.restUrl, method, path, params, { timestampMs: sb.nowMs() }).then((r) => r.json);
const listOf = (m: Msg): { list: Array<Record<string, string>>; nextPageCursor: string } => m['result'] as { list: Array<Record<string, string>>; nextPageCursor: string };
/** A buy limit far below the market: it rests. */
const restingBuy = (symbol: string, price: string, qty: string, orderLinkId: string): Promise<Msg> =>
  call('POST', '/v5/order/create', { category: 'linear', symbol, side: 'Buy', orderType: 'Limit', qty, price, orderLinkId });

describe('creating and changing orders', () => {
  it('create refuses what the sandbox does not trade, naming the field', async () => {
    const base = { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.001' };
    expect(await call('POST', '/v5/order/create', { ...base, side: 'Long' })).toMatchObject({ retCode: 10001, retMsg: 'params error: side invalid' });
    expect(await call('POST', '/v5/order/create', { ...base, orderType: 'Stop' })).toMatchObject({ retCode: 10001, retMsg: 'params error: orderType invalid' });
    expect(await call('POST', '/v5/order/create', { ...base, qty: undefined })).toMatchObject({ retCode: 10001, retMsg: MISSING });
    expect(await call('POST', '/v5/order/create', { ...base, triggerPrice: '1' })).toMatchObject({ retCode: 10001, retMsg: 'params error: conditional orders (triggerPrice) are not supported by the sandbox' });
    expect(await call('POST', '/v5/order/create', { ...base, positionIdx: 1 })).toMatchObject({ retCode: 10001, retMsg: 'position idx not match position mode' });
    expect(await call('POST', '/v5/order/create', { ...base, orderType: 'Limit', price: '1', timeInForce: 'GTD' })).toMatchObject({ retCode: 10001, retMsg: 'params error: timeInForce invalid' });
  });

  it('amend and cancel find an order by orderLinkId, and need one of the two ids', async () => {
    const o = await restingBuy('BTCUSDT', '50000.0', '0.001', 'amend-me');
    expect(o).toMatchObject({ retCode: 0, result: { orderLinkId: 'amend-me' } });
    const orderId = (o['result'] as { orderId: string }).orderId;
    expect(await call('POST', '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'amend-me', price: '50100.0' })).toMatchObject({ retCode: 0, result: { orderId, orderLinkId: 'amend-me' } });
    const open = listOf(await call('GET', '/v5/order/realtime', { category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'amend-me' }));
    expect(open.list.map((x) => x['price'])).toEqual(['50100']);
    expect(await call('POST', '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', price: '50200.0' })).toMatchObject({ retCode: 10001, retMsg: MISSING });
    expect(await call('POST', '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'amend-me' })).toMatchObject({ retCode: 0, result: { orderId } });
    expect(await call('POST', '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'amend-me' })).toMatchObject({ retCode: 110001 });
  });
});

describe('listing orders and executions', () => {
  it('order/realtime pages open orders with a cursor, filters by coin, and needs a symbol or a coin', async () => {
    for (const id of ['rt-1', 'rt-2', 'rt-3']) expect((await restingBuy('BTCUSDT', '50000.0', '0.001', id))['retCode']).toBe(0);
    expect((await restingBuy('ETHUSDT', '1000.00', '0.01', 'rt-eth'))['retCode']).toBe(0);
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 5; i++) {
      const pg = listOf(await call('GET', '/v5/order/realtime', { category: 'linear', settleCoin: 'USDT', limit: 2, ...(cursor ? { cursor } : {}) }));
      seen.push(...pg.list.map((x) => x['orderLinkId']!));
      cursor = pg.nextPageCursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(['rt-1', 'rt-2', 'rt-3', 'rt-eth']);
    const eth = listOf(await call('GET', '/v5/order/realtime', { category: 'linear', baseCoin: 'ETH' }));
    expect(eth.list.map((x) => x['orderLinkId'])).toEqual(['rt-eth']);
    expect(await call('GET', '/v5/order/realtime', { category: 'linear' })).toMatchObject({ retCode: 10001, retMsg: MISSING });
  });

  it('cancel-all by settle coin cancels across symbols and lists what it cancelled', async () => {
    const r = await call('POST', '/v5/order/cancel-all', { category: 'linear', settleCoin: 'USDT' });
    expect(r['retCode']).toBe(0);
    const res = r['result'] as { list: Array<{ orderLinkId: string }>; success: string };
    expect(res.success).toBe('1');
    expect(res.list.map((x) => x.orderLinkId).sort()).toEqual(['rt-1', 'rt-2', 'rt-3', 'rt-eth']);
    expect(listOf(await call('GET', '/v5/order/realtime', { category: 'linear', settleCoin: 'USDT' })).list).toEqual([]);
    expect(await call('POST', '/v5/order/cancel-all', { category: 'linear' })).toMatchObject({ retCode: 10001, retMsg: MISSING });
  });

  it('order/history filters by status; openOnly=1 lists closed orders too', async () => {
    const cancelled = listOf(await call('GET', '/v5/order/history', { category: 'linear', orderStatus: 'Cancelled', limit: 50 }));
    expect(cancelled.list.length).toBeGreaterThanOrEqual(5);
    expect(cancelled.list.every((x) => x['orderStatus'] === 'Cancelled')).toBe(true);
    const all = listOf(await call('GET', '/v5/order/realtime', { category: 'linear', symbol: 'ETHUSDT', openOnly: 1 }));
    expect(all.list.map((x) => [x['orderLinkId'], x['orderStatus']])).toEqual([['rt-eth', 'Cancelled']]);
    expect(await call('GET', '/v5/order/history', { category: 'linear', symbol: 'DOGEUSDT' })).toMatchObject({ retCode: 10001, retMsg: 'params error: symbol invalid' });
  });

  it('execution/list shows fills newest first and filters by orderLinkId', async () => {
    for (const id of ['fill-1', 'fill-2']) {
      expect((await call('POST', '/v5/order/create', { category: 'linear', symbol: 'ETHUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: id }))['retCode']).toBe(0);
    }
    const all = listOf(await call('GET', '/v5/execution/list', { category: 'linear', symbol: 'ETHUSDT' }));
    expect(all.list.map((e) => e['orderLinkId'])).toEqual(['fill-2', 'fill-1']);
    const one = listOf(await call('GET', '/v5/execution/list', { category: 'linear', orderLinkId: 'fill-1' }));
    expect(one.list.map((e) => [e['orderLinkId'], e['execQty']])).toEqual([['fill-1', '0.01']]);
  });
});
