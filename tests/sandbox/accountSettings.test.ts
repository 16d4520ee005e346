/**
 * The sandbox answers as real Bybit accounts do (tests/fixtures/bybit-real, issue 20): hedge mode's
 * two position rows and its 10001 refusal, isolated margin's empty account totals, a cross account's
 * empty totalAvailableBalance, other collateral coins in the unified wallet, demo trading without
 * /v5/user, an instrument's status, a flat position's empty unrealisedPnl.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { signBybitRequest } from '../../src/cli/doctorKey.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import type { AccountSettingsInput } from '../../src/sandbox/accountSettings.js';

const DATA = new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url).pathname;
let sandbox: Sandbox | null = null;
afterEach(async () => {
  await sandbox?.close();
  sandbox = null;
});

async function start(account: AccountSettingsInput): Promise<Sandbox> {
  sandbox = await startSandbox({ data: [DATA], account });
  return sandbox;
}

async function call(s: Sandbox, method: 'GET' | 'POST', path: string, params: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const ts = String(s.nowMs());
  const payload = method === 'GET' ? new URLSearchParams(params as Record<string, string>).toString() : JSON.stringify(params);
  const sign = signBybitRequest(DEFAULT_API_SECRET, ts, DEFAULT_API_KEY, '5000', payload);
  const r = await fetch(`${s.restUrl}${path}${method === 'GET' && payload ? `?${payload}` : ''}`, {
    method,
    headers: { 'X-BAPI-API-KEY': DEFAULT_API_KEY, 'X-BAPI-TIMESTAMP': ts, 'X-BAPI-RECV-WINDOW': '5000', 'X-BAPI-SIGN': sign, 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: payload } : {}),
  });
  const text = await r.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return { status: r.status, json };
}

const list = (j: Record<string, unknown> | null): Record<string, unknown>[] => ((j?.['result'] as { list: Record<string, unknown>[] }).list);

describe('sandbox account settings', () => {
  it('hedge mode: two rows per symbol (Sell side first, flat rows real), and 10001 for positionIdx 0 or none', async () => {
    const s = await start({ positionMode: 'hedge' });
    const rows = list((await call(s, 'GET', '/v5/position/list', { category: 'linear', symbol: 'BTCUSDT' })).json);
    expect(rows.map((r) => [r['positionIdx'], r['side'], r['size'], r['unrealisedPnl']])).toEqual([
      [2, '', '0.000', ''],
      [1, '', '0.000', ''],
    ]);
    for (const extra of [{}, { positionIdx: 0 }]) {
      const r = await call(s, 'POST', '/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.001', ...extra });
      expect([r.json?.['retCode'], r.json?.['retMsg']]).toEqual([10001, 'position idx not match position mode']);
    }
    const ok = await call(s, 'POST', '/v5/order/create', { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.001', positionIdx: 1 });
    expect(ok.json?.['retCode']).toBe(0);
  });

  it('one-way (the default): one row, positionIdx 0', async () => {
    const s = await start({});
    const rows = list((await call(s, 'GET', '/v5/position/list', { category: 'linear', symbol: 'BTCUSDT' })).json);
    expect(rows.map((r) => r['positionIdx'])).toEqual([0]);
  });

  it('isolated margin: account/info says so and every account-wide wallet total is "", the USDT coin keeps its own', async () => {
    const s = await start({ marginMode: 'ISOLATED_MARGIN' });
    expect(((await call(s, 'GET', '/v5/account/info', {})).json?.['result'] as Record<string, unknown>)['marginMode']).toBe('ISOLATED_MARGIN');
    const [w] = list((await call(s, 'GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' })).json);
    for (const f of ['totalEquity', 'totalWalletBalance', 'totalAvailableBalance', 'totalMarginBalance', 'totalInitialMargin']) expect(w![f], f).toBe('');
    const coin = (w!['coin'] as Record<string, unknown>[])[0]!;
    expect([coin['coin'], coin['equity'], coin['walletBalance'], coin['availableToWithdraw']]).toEqual(['USDT', '10000', '10000', '']);
  });

  it('a unified account with another collateral coin: its row with its USD value, counted in the account totals, which follow its price', async () => {
    const s = await start({ collateral: { BTC: { qty: '0.01', usdPrice: '100000' } } });
    const wallet = async () => list((await call(s, 'GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' })).json)[0]!;
    const w = await wallet();
    expect([w['totalEquity'], w['totalWalletBalance'], w['totalMarginBalance']]).toEqual(['11000', '11000', '11000']);
    const coins = (w['coin'] as Record<string, unknown>[]).map((c) => [c['coin'], c['equity'], c['usdValue']]);
    expect(coins).toEqual([
      ['USDT', '10000', '10000'],
      ['BTC', '0.01', '1000'],
    ]);
    s.account.collateral.set('BTC', { qty: '0.01', usdPrice: '50000' });
    expect((await wallet())['totalEquity'], 'the coin halves: the account total falls, USDT stays').toBe('10500');
    const usdtOnly = list((await call(s, 'GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED', coin: 'USDT' })).json)[0]!;
    expect((usdtOnly['coin'] as Record<string, unknown>[]).map((c) => c['coin'])).toEqual(['USDT']);
  });

  it('a cross account may answer totalAvailableBalance "" with its equity filled in', async () => {
    const s = await start({ emptyAvailableTotal: true });
    const [w] = list((await call(s, 'GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' })).json);
    expect([w!['totalEquity'], w!['totalAvailableBalance']]).toEqual(['10000', '']);
  });

  it('demo trading offers no /v5/user endpoint; account/info still answers', async () => {
    const s = await start({ demo: true });
    expect((await call(s, 'GET', '/v5/user/query-api', {})).status).toBe(404);
    expect((await call(s, 'GET', '/v5/account/info', {})).json?.['retCode']).toBe(0);
  });

  it('instrument status is what the settings say, and may change while running', async () => {
    const s = await start({ instrumentStatus: { BTCUSDT: 'PreLaunch' } });
    const status = async () => list((await call(s, 'GET', '/v5/market/instruments-info', { category: 'linear', symbol: 'BTCUSDT' })).json)[0]!['status'];
    expect(await status()).toBe('PreLaunch');
    s.account.instrumentStatus.set('BTCUSDT', 'Delivering');
    expect(await status()).toBe('Delivering');
  });
});
