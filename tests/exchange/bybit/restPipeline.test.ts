/**
 * The request pipeline with the real ccxt class against a loopback server that keeps Bybit's auth
 * rules (./fakeBybitRest.ts): which endpoint a call reaches, what is retried and how long it waits,
 * and how a malformed answer is reported.
 */
import * as v from 'valibot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExchangeError } from '../../../src/domain/exchangeErrors.js';
import { listOf, WireOrder } from '../../../src/exchange/bybit/bybitWire.js';
import { fixedSigningClock } from '../../../src/exchange/bybit/signingClock.js';
import { fail, KEY, ok, SECRET, startFakeBybitRest, type FakeBybitRest } from './fakeBybitRest.js';
import { restHarness } from './restHarness.js';

let server: FakeBybitRest;
beforeEach(async () => {
  server = await startFakeBybitRest();
});
afterEach(async () => {
  await server.close();
});

describe('RestPipeline', () => {
  it('calls the endpoint named by method and path, signed when asked, and returns Bybit\'s result', async () => {
    const { rest, counters } = restHarness(server);
    server.route = (r) => (r.path === '/v5/order/realtime' ? ok({ list: [], nextPageCursor: 'c' }) : undefined);
    expect(await rest.call('GET', '/v5/order/realtime', true, { category: 'linear', symbol: 'BTCUSDT' })).toEqual({ list: [], nextPageCursor: 'c' });
    await rest.call('GET', '/v5/market/time', false, {});
    expect(server.requests.map((r) => [r.method, r.path, r.headers['x-bapi-api-key'] ?? null])).toEqual([
      ['GET', '/v5/order/realtime', KEY],
      ['GET', '/v5/market/time', null],
    ]);
    expect(server.requests[0]!.params).toEqual({ category: 'linear', symbol: 'BTCUSDT' });
    expect(counters.requests).toBe(2);
  });

  it('retries a retryable failure with growing backoff, then gives up after the last attempt', async () => {
    const { rest, counters, waits } = restHarness(server);
    server.route = () => ({ status: 503, text: 'Service Unavailable' });
    const err = await rest.call('GET', '/v5/market/time', false, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExchangeError);
    expect((err as ExchangeError).kind).toBe('retryable');
    expect(server.requests, 'six attempts (DEFAULT_RETRY)').toHaveLength(6);
    expect(counters.retries).toBe(5);
    expect(waits, 'full jitter at 0.5 between 0 and min(4, 1·2^attempt)').toEqual([0.5, 1, 2, 2, 2]);
  });

  it('does not retry a refusal, and lets onFailure turn a failure into a result', async () => {
    const { rest, counters } = restHarness(server);
    server.route = () => fail(110043, 'leverage not modified');
    const value = await rest.call('POST', '/v5/position/set-leverage', true, {}, async (e) => (e.retCode === 110043 ? { value: 'same' } : undefined));
    expect(value).toBe('same');
    server.route = () => fail(10001, 'params error');
    await expect(rest.call('POST', '/v5/order/amend', true, {})).rejects.toMatchObject({ kind: 'rejected', retCode: 10001 });
    expect(counters.retries).toBe(0);
  });

  it('re-measures the clock once on 10002 and tries again', async () => {
    let remeasures = 0;
    const clock = { ...fixedSigningClock(), remeasureNow: async () => void remeasures++ };
    const { rest, counters, log } = restHarness(server, clock);
    let n = 0;
    server.route = () => (n++ === 0 ? fail(10002, 'invalid request, please check your server timestamp or recv_window param') : ok({ done: true }));
    expect(await rest.call('GET', '/v5/account/wallet-balance', true, {})).toEqual({ done: true });
    expect([remeasures, counters.clockRemeasures]).toEqual([1, 1]);
    expect(log.problems('Bybit rejected the request timestamp (10002); re-measuring the clock')).toHaveLength(1);
  });

  it('refuses every call once closed', async () => {
    const { rest } = restHarness(server);
    rest.close();
    await expect(rest.call('GET', '/v5/market/time', false, {})).rejects.toMatchObject({ kind: 'fatal', message: 'GET /v5/market/time: the adapter is closed' });
    expect(server.requests).toEqual([]);
  });

  it('turns a malformed answer into a logged, rejected ExchangeError naming the call', async () => {
    const { rest, log } = restHarness(server);
    server.route = () => ok({ list: 'nope' });
    await expect(rest.result(listOf(WireOrder), 'open orders', 'GET', '/v5/order/realtime', true, {})).rejects.toMatchObject({ kind: 'rejected', message: expect.stringContaining('GET /v5/order/realtime: ') });
    expect(log.problems('malformed answer from Bybit', 'GET /v5/order/realtime')).toHaveLength(1);
    expect(await rest.result(v.object({ a: v.string() }), 'x', 'GET', '/v5/market/time', false, {}).catch((e: unknown) => (e as Error).name)).toBe('ExchangeError');
  });

  it('keeps the good rows of a list and logs each bad one, with the secrets blotted out', () => {
    const { rest, log } = restHarness(server);
    const rows = rest.rows('GET /x', [1, 2, 3], (n) => n * 10, (n) => (n === 20 ? `value ${n} is bad near ${SECRET}` : null));
    expect(rows).toEqual([10, 30]);
    expect(log.problems('dropping a malformed row from Bybit', 'value 20 is bad')).toHaveLength(1);
    expect(log.dump()).not.toContain(SECRET);
    expect(rest.redact(`key ${KEY}`)).not.toContain(KEY);
  });

  it('waits the retry backoff between look-ups', async () => {
    const { rest, waits } = restHarness(server);
    await rest.backOff(1);
    await rest.backOff(3);
    expect(waits).toEqual([1, 2]);
  });
});
