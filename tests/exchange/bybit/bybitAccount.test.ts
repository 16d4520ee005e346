/**
 * Account reads over the request pipeline against the loopback Bybit: pages followed by cursor,
 * executions in 7-day windows, fills sorted and de-duplicated, an absurd execution left out.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BybitAccount } from '../../../src/exchange/bybit/bybitAccount.js';
import { fixedSigningClock } from '../../../src/exchange/bybit/signingClock.js';
import { goodExecution, goodOrder, goodWallet, SYMBOL, T0 } from '../../badInput/corpus.js';
import { ok, startFakeBybitRest, type FakeBybitRest } from './fakeBybitRest.js';
import { restHarness } from './restHarness.js';

let server: FakeBybitRest;
beforeEach(async () => {
  server = await startFakeBybitRest();
});
afterEach(async () => {
  await server.close();
});

const exec = (id: string, t: number, price = '100.5') => ({ ...goodExecution(id), execTime: String(T0 + t), execPrice: price });

function account(band: { min: number; max: number } | null = null) {
  const h = restHarness(server);
  return { ...h, account: new BybitAccount(h.rest, () => fixedSigningClock().now(), () => band) };
}

describe('BybitAccount', () => {
  it('reads the UNIFIED balance, and a flat position for a symbol Bybit does not list', async () => {
    const { account: a } = account();
    server.route = (r) => (r.path === '/v5/account/wallet-balance' ? ok({ list: [goodWallet()] }) : ok({ list: [], nextPageCursor: '' }));
    expect((await a.fetchBalance()).equity.toString()).toBe('1000.5');
    const [p] = await a.fetchPositions([SYMBOL]);
    expect(p?.symbol).toBe(SYMBOL);
    expect(p?.size.toString()).toBe('0');
  });

  it('follows the cursor through every page of open orders', async () => {
    const { account: a } = account();
    server.route = (r) =>
      r.params['cursor'] === undefined ? ok({ list: [{ ...goodOrder(), orderLinkId: 'a' }], nextPageCursor: 'p2' }) : ok({ list: [{ ...goodOrder(), orderLinkId: 'b' }], nextPageCursor: '' });
    expect((await a.fetchOpenOrders(SYMBOL)).map((o) => o.orderLinkId)).toEqual(['a', 'b']);
    expect(server.requests.map((r) => r.params['cursor'] ?? null)).toEqual([null, 'p2']);
  });

  it('looks an order up in realtime first, then in history', async () => {
    const { account: a } = account();
    server.route = (r) => ok({ list: r.path === '/v5/order/history' ? [{ ...goodOrder(), orderLinkId: 'gone', orderStatus: 'Filled' }] : [], nextPageCursor: '' });
    expect((await a.fetchOrder(SYMBOL, 'gone'))?.status).toBe('filled');
    expect(server.requests.map((r) => r.path)).toEqual(['/v5/order/realtime', '/v5/order/history']);
  });

  it('returns recent fills oldest first, each once, without the one priced outside the band', async () => {
    const { account: a, log } = account({ min: 0.1, max: 1000 });
    server.route = () => ok({ list: [exec('e3', 3), exec('e1', 1), exec('e1', 1), exec('bad', 2, '5000')], nextPageCursor: '' });
    expect((await a.recentFills(SYMBOL, null)).map((f) => f.execId)).toEqual(['e1', 'e3']);
    expect(log.problems('dropping a malformed row from Bybit', 'execution bad execPrice')).toHaveLength(1);
  });

  it('reads executions since a time in 7-day windows up to now', async () => {
    const { account: a } = account();
    server.route = () => ok({ list: [], nextPageCursor: '' });
    const since = Date.now() - 10 * 86_400_000;
    await a.fetchFills(SYMBOL, since);
    expect(server.requests.map((r) => Number(r.params['startTime']) - since)).toEqual([0, 7 * 86_400_000]);
  });
});
