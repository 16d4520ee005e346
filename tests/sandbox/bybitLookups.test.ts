/**
 * Issue 20 items 2, 9 and 10 against the sandbox over HTTP: order look-ups answered as Bybit's V5
 * docs say (order/realtime finds a closed order among the account's last 500 by its id; order/history
 * keeps an order cancelled without fills for 24 hours only), a position's TP/SL listed as Bybit's
 * conditional orders, and funding charged at each funding time as a Funding execution.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import { FUNDING_INTERVAL_MINUTES, lastFundingTimeMs } from '../../src/sim/simFunding.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/startSandbox.js';
import { type Msg, signedCall } from './wsClient.js';

const BTC = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const HOUR = 3_600_000;

let sb: Sandbox | null = null;
let shiftMs = 0;
afterEach(async () => {
  await sb?.close();
  sb = null;
  shiftMs = 0;
});

/** A sandbox whose clock the test moves (`shiftMs`). */
async function sandbox(): Promise<Sandbox> {
  sb = await startSandbox({ data: [BTC], rateLimits: false, baseClock: () => Date.now() + shiftMs });
  return sb;
}

const call = (s: Sandbox, method: 'GET' | 'POST', path: string, params: Record<string, unknown>): Promise<Msg> => signedCall(s.restUrl, method, path, params, { timestampMs: s.nowMs() }).then((r) => r.json);
const list = async (s: Sandbox, path: string, params: Record<string, unknown>): Promise<Array<Record<string, unknown>>> =>
  ((await call(s, 'GET', path, { category: 'linear', symbol: 'BTCUSDT', ...params }))['result'] as { list: Array<Record<string, unknown>> }).list;

describe('order look-ups as Bybit answers them', () => {
  it('realtime finds a closed order by orderLinkId among the last 500; history keeps it 24 hours only', async () => {
    const s = await sandbox();
    const placed = s.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.001'), price: dec('50000'), orderLinkId: 'ps-BTCUSDT-T1-old' });
    expect(placed.ok).toBe(true);
    s.sim.cancelOrder({ symbol: 'BTCUSDT', orderLinkId: 'ps-BTCUSDT-T1-old' });
    // openOnly=0 lists open orders only, but a look-up by id ignores openOnly (V5 docs).
    expect(await list(s, '/v5/order/realtime', {})).toEqual([]);
    expect((await list(s, '/v5/order/realtime', { orderLinkId: 'ps-BTCUSDT-T1-old' })).map((o) => o['orderStatus'])).toEqual(['Cancelled']);
    expect((await list(s, '/v5/order/history', { orderLinkId: 'ps-BTCUSDT-T1-old' })).map((o) => o['orderStatus'])).toEqual(['Cancelled']);

    // 500 newer closed orders push it out of realtime's memory.
    for (let i = 0; i < 500; i++) {
      s.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'limit', qty: dec('0.001'), price: dec('50000'), orderLinkId: `other-${i}` });
      s.sim.cancelOrder({ symbol: 'BTCUSDT', orderLinkId: `other-${i}` });
    }
    expect(await list(s, '/v5/order/realtime', { orderLinkId: 'ps-BTCUSDT-T1-old' }), 'not among the last 500 closed').toEqual([]);
    expect(await list(s, '/v5/order/history', { orderLinkId: 'ps-BTCUSDT-T1-old' })).toHaveLength(1);
    shiftMs = 25 * HOUR;
    expect(await list(s, '/v5/order/history', { orderLinkId: 'ps-BTCUSDT-T1-old' }), 'cancelled without fills: kept 24 hours').toEqual([]);
  });

  it('an order with fills stays in history after 24 hours', async () => {
    const s = await sandbox();
    expect(s.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.001'), orderLinkId: 'filled-1' }).ok).toBe(true);
    s.step(2);
    shiftMs = 25 * HOUR;
    expect((await list(s, '/v5/order/history', { orderLinkId: 'filled-1' })).map((o) => o['orderStatus'])).toEqual(['Filled']);
  });
});

describe("a position's own TP/SL as conditional orders", () => {
  it('order/realtime lists them with an empty orderLinkId, stopOrderType and status Untriggered', async () => {
    const s = await sandbox();
    expect(s.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.002'), stopLoss: dec('10000'), takeProfit: dec('900000') }).ok).toBe(true);
    s.step(2);
    const rows = await list(s, '/v5/order/realtime', {});
    const conditional = rows.filter((o) => o['stopOrderType'] !== '');
    expect(conditional.map((o) => [o['stopOrderType'], o['orderLinkId'], o['orderStatus'], o['triggerPrice'], o['side'], o['qty'], o['reduceOnly']])).toEqual([
      ['StopLoss', '', 'Untriggered', '10000', 'Sell', '0.000', true],
      ['TakeProfit', '', 'Untriggered', '900000', 'Sell', '0.000', true],
    ]);
    // Two orders with the same empty orderLinkId, told apart by orderId.
    expect(new Set(conditional.map((o) => o['orderId'])).size).toBe(2);
  });
});

describe('funding', () => {
  it('charges funding at the funding time from fundingInterval, as a Funding execution', async () => {
    // Start 3 s before a funding time.
    const next = lastFundingTimeMs(Date.now()) + FUNDING_INTERVAL_MINUTES * 60_000;
    shiftMs = next - Date.now() - 3000;
    const s = await sandbox();
    const instruments = ((await call(s, 'GET', '/v5/market/instruments-info', { category: 'linear', symbol: 'BTCUSDT' }))['result'] as { list: Array<Record<string, unknown>> }).list;
    expect(instruments[0]!['fundingInterval']).toBe(480);
    const ticker = ((await call(s, 'GET', '/v5/market/tickers', { category: 'linear', symbol: 'BTCUSDT' }))['result'] as { list: Array<Record<string, string>> }).list[0]!;
    expect(Number(ticker['nextFundingTime'])).toBe(next);
    expect(s.sim.placeOrder({ symbol: 'BTCUSDT', side: 'buy', orderType: 'market', qty: dec('0.01') }).ok).toBe(true);
    s.step(2);
    const walletBefore = s.sim.wallet().walletBalance;
    const end = Date.now() + 8000;
    while (Date.now() < end && !s.sim.executions('BTCUSDT').some((e) => e.execType === 'Funding')) await new Promise((r) => setTimeout(r, 200));
    const rows = await list(s, '/v5/execution/list', {});
    const funding = rows.filter((e) => e['execType'] === 'Funding');
    expect(funding).toHaveLength(1);
    const f = funding[0]!;
    expect(f).toMatchObject({ orderType: 'UNKNOWN', stopOrderType: 'UNKNOWN', orderLinkId: '', orderQty: '0', side: 'Buy', execQty: '0.010', feeRate: ticker['fundingRate'], execTime: String(next) });
    // A long pays a positive rate: position value (size × mark price) × rate.
    const fee = dec(f['execPrice'] as string).mul('0.01').mul(ticker['fundingRate']!).toDecimalPlaces(8);
    expect(f['execFee']).toBe(fee.toFixed());
    expect(fee.gt(0)).toBe(true);
    expect(s.sim.wallet().walletBalance.toFixed(), 'the wallet paid it').toBe(walletBefore.minus(fee).toFixed());
  }, 20_000);
});
