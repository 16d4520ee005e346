/**
 * ccxt's Bybit class as we set it up, against the loopback Bybit (./fakeBybitRest.ts): every endpoint
 * on our base URL, signed with the corrected clock and never with an untrusted one, and an error's
 * own response kept with it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClockNotTrustedError } from '../../../src/domain/exchangeErrors.js';
import { bybitUrls } from '../../../src/exchange/bybit/bybitUrls.js';
import { createCcxtBybit } from '../../../src/exchange/bybit/createCcxtBybit.js';
import type { ResponseMeta } from '../../../src/exchange/bybit/mapBybitError.js';
import { fixedSigningClock } from '../../../src/exchange/bybit/signingClock.js';
import { fail, KEY, ok, SECRET, startFakeBybitRest, type FakeBybitRest } from './fakeBybitRest.js';

let server: FakeBybitRest;
beforeEach(async () => {
  server = await startFakeBybitRest();
});
afterEach(async () => {
  await server.close();
});

type Endpoint = (params?: Record<string, unknown>) => Promise<unknown>;
const endpoint = (ex: object, name: string): Endpoint => ((ex as Record<string, Endpoint>)[name] as Endpoint).bind(ex);

describe('createCcxtBybit', () => {
  it('sends public and private calls to our base URL, signed with the corrected clock', async () => {
    server.offsetMs = 30_000;
    const ex = createCcxtBybit({ urls: bybitUrls('mainnet', { restUrl: server.url }), credentials: { apiKey: KEY, apiSecret: SECRET }, clock: fixedSigningClock(30_000) }, new WeakMap());
    server.route = () => ok({ list: [] });
    await endpoint(ex, 'publicGetV5MarketTime')();
    await endpoint(ex, 'privateGetV5AccountWalletBalance')({ accountType: 'UNIFIED' });
    expect(server.requests.map((r) => r.path)).toEqual(['/v5/market/time', '/v5/account/wallet-balance']);
    const signedAt = Number(server.requests[1]!.headers['x-bapi-timestamp']);
    expect(Math.abs(signedAt - (Date.now() + 30_000)), 'the server 30 s ahead accepted our corrected time').toBeLessThan(2000);
  });

  it('refuses to sign while the clock is not trusted, and sends nothing', async () => {
    const untrusted = { ...fixedSigningClock(), isTrusted: () => false, status: () => ({ trusted: false, reasons: [{ message: 'drift 9 s' }] }) };
    const ex = createCcxtBybit({ urls: bybitUrls('mainnet', { restUrl: server.url }), credentials: { apiKey: KEY, apiSecret: SECRET }, clock: untrusted }, new WeakMap());
    await expect(endpoint(ex, 'privateGetV5AccountWalletBalance')({})).rejects.toBeInstanceOf(ClockNotTrustedError);
    await endpoint(ex, 'publicGetV5MarketTime')();
    expect(server.requests.map((r) => r.path), 'public calls need no signature').toEqual(['/v5/market/time']);
  });

  it('keeps the status, headers and body of the answer each error came from', async () => {
    const meta = new WeakMap<object, ResponseMeta>();
    const ex = createCcxtBybit({ urls: bybitUrls('mainnet', { restUrl: server.url }), credentials: null, clock: fixedSigningClock() }, meta);
    server.route = () => fail(10006, 'Too many visits!', { 'x-bapi-limit-reset-timestamp': '1733011260000' });
    const err = (await endpoint(ex, 'publicGetV5MarketTime')().catch((e: unknown) => e)) as object;
    const kept = meta.get(err);
    expect(kept?.httpStatus).toBe(200);
    expect(kept?.headers['X-Bapi-Limit-Reset-Timestamp'], 'as ccxt hands headers over').toBe('1733011260000');
    expect(kept?.body).toContain('Too many visits!');
  });
});
