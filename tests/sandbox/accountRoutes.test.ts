/** The signed account and position endpoints over HTTP: wallet, fee rates, position list, leverage, trading stop. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MISSING } from '../../src/sandbox/restParams.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/startSandbox.js';
import { type Msg, signedCall } from './wsClient.js';

const BTC = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const ETH = fileURLToPath(new URL('../../data/bybit-ETHUSDT-1m.csv.gz', import.meta.url));

let sb: Sandbox;

beforeAll(async () => {
  sb = await startSandbox({ data: [BTC, ETH], rateLimits: false, makerFeeRate: '0.0001', takerFeeRate: '0.0004' });
});

afterAll(async () => {
  await sb.close();
});

const call = (method: 'GET' | 'POST', path: string, params: Record<string, unknown>): Promise<Msg> => signedCall(sb.restUrl, method, path, params, { timestampMs: sb.nowMs() }).then((r) => r.json);

describe('account', () => {
  it('account/info and coin/query-info answer what ccxt needs for account detection', async () => {
    expect((await call('GET', '/v5/account/info', {}))['result']).toMatchObject({ marginMode: 'REGULAR_MARGIN', unifiedMarginStatus: 5 });
    const coins = (await call('GET', '/v5/asset/coin/query-info', {}))['result'] as { rows: Array<{ coin: string }> };
    expect(coins.rows.map((r) => r.coin)).toEqual(['USDT']);
  });

  it('wallet-balance shows USDT for the unified account, nothing for other coins, and refuses other account types', async () => {
    const w = (await call('GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' }))['result'] as { list: Array<{ coin: Array<{ coin: string }> }> };
    expect(w.list[0]!.coin.map((c) => c.coin)).toEqual(['USDT']);
    const btc = (await call('GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED', coin: 'BTC' }))['result'] as { list: Array<{ coin: unknown[] }> };
    expect(btc.list[0]!.coin).toEqual([]);
    expect(await call('GET', '/v5/account/wallet-balance', { accountType: 'CONTRACT' })).toMatchObject({ retCode: 10001, retMsg: 'accountType only support UNIFIED.' });
    expect(await call('GET', '/v5/account/wallet-balance', {})).toMatchObject({ retCode: 10001, retMsg: MISSING });
  });

  it('fee-rate shows the configured rates per symbol', async () => {
    const all = (await call('GET', '/v5/account/fee-rate', {}))['result'] as { list: unknown[] };
    expect(all.list).toEqual([
      { symbol: 'BTCUSDT', takerFeeRate: '0.0004', makerFeeRate: '0.0001' },
      { symbol: 'ETHUSDT', takerFeeRate: '0.0004', makerFeeRate: '0.0001' },
    ]);
    expect(await call('GET', '/v5/account/fee-rate', { category: 'spot' })).toMatchObject({ retCode: 10001, retMsg: 'Illegal category' });
  });
});

describe('positions', () => {
  it('position/list needs a symbol or a coin; by coin it lists open positions only', async () => {
    expect(await call('GET', '/v5/position/list', { category: 'linear' })).toMatchObject({ retCode: 10001, retMsg: MISSING });
    const flat = (await call('GET', '/v5/position/list', { category: 'linear', symbol: 'ETHUSDT' }))['result'] as { list: Array<{ symbol: string; size: string }> };
    expect(flat.list.map((p) => [p.symbol, p.size]), 'by symbol, a flat position is listed too').toEqual([['ETHUSDT', '0.00']]);
    const o = await call('POST', '/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.002' });
    expect(o['retCode']).toBe(0);
    const byCoin = (await call('GET', '/v5/position/list', { category: 'linear', settleCoin: 'USDT' }))['result'] as { list: Array<{ symbol: string; size: string }> };
    expect(byCoin.list.map((p) => [p.symbol, p.size])).toEqual([['BTCUSDT', '0.002']]);
    const eth = (await call('GET', '/v5/position/list', { category: 'linear', baseCoin: 'ETH' }))['result'] as { list: unknown[] };
    expect(eth.list).toEqual([]);
  });

  it('set-leverage needs both sides and answers 110043 when nothing changes', async () => {
    const p = { category: 'linear', symbol: 'ETHUSDT', buyLeverage: '3', sellLeverage: '3' };
    expect(await call('POST', '/v5/position/set-leverage', p)).toMatchObject({ retCode: 0, result: {} });
    expect(await call('POST', '/v5/position/set-leverage', p)).toMatchObject({ retCode: 110043 });
    expect(await call('POST', '/v5/position/set-leverage', { category: 'linear', symbol: 'ETHUSDT', buyLeverage: '3' })).toMatchObject({ retCode: 10001, retMsg: MISSING });
    expect(await call('POST', '/v5/position/set-leverage', { ...p, symbol: 'DOGEUSDT' })).toMatchObject({ retCode: 10001, retMsg: 'params error: symbol invalid' });
  });

  it('trading-stop takes one-way mode only, and "0" clears a stop', async () => {
    const base = { category: 'linear', symbol: 'BTCUSDT', tpslMode: 'Full' };
    expect(await call('POST', '/v5/position/trading-stop', { ...base, positionIdx: 1, stopLoss: '1000' })).toMatchObject({ retCode: 10001, retMsg: 'position idx not match position mode' });
    expect(await call('POST', '/v5/position/trading-stop', { ...base, stopLoss: '1000' })).toMatchObject({ retCode: 10001, retMsg: 'params error: positionIdx invalid' });
    expect(await call('POST', '/v5/position/trading-stop', { ...base, tpslMode: 'Some', positionIdx: 0 })).toMatchObject({ retCode: 10001, retMsg: 'params error: tpslMode invalid' });
    const stopOf = async (): Promise<string> => ((await call('GET', '/v5/position/list', { category: 'linear', symbol: 'BTCUSDT' }))['result'] as { list: Array<{ stopLoss: string }> }).list[0]!.stopLoss;
    const sl = (Math.floor(sb.sim.lastPrice('BTCUSDT') * 0.95 * 10) / 10).toFixed(1);
    expect(await call('POST', '/v5/position/trading-stop', { ...base, positionIdx: 0, stopLoss: sl })).toMatchObject({ retCode: 0 });
    expect(await stopOf()).toBe(sl);
    expect(await call('POST', '/v5/position/trading-stop', { ...base, positionIdx: 0, stopLoss: '0' })).toMatchObject({ retCode: 0 });
    expect(await stopOf(), 'cleared').toBe('');
  });
});
