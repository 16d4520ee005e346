/**
 * The order create sent without ccxt's request building (src/exchange/bybit/signedPost.ts) must be,
 * on the wire and in its failures, the request ccxt's Bybit class sends: the same URL, headers (names,
 * spelling, order), body and signature; the same answer; the same error class and words for a refusal,
 * a timeout and a refused connection; nothing signed on an untrusted clock.
 */
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClockNotTrustedError } from '../../../src/domain/exchangeErrors.js';
import { bybitUrls } from '../../../src/exchange/bybit/bybitUrls.js';
import { createCcxtBybit } from '../../../src/exchange/bybit/createCcxtBybit.js';
import type { ResponseMeta } from '../../../src/exchange/bybit/mapBybitError.js';
import { HmacSha256, SignedPost, type CcxtRequestSide } from '../../../src/exchange/bybit/signedPost.js';
import { fixedSigningClock, type SigningClock } from '../../../src/exchange/bybit/signingClock.js';
import { KEY, SECRET, startFakeBybitRest, type FakeBybitRest, type FakeResponse } from './fakeBybitRest.js';

let server: FakeBybitRest;
beforeEach(async () => {
  server = await startFakeBybitRest();
});
afterEach(async () => {
  await server.close();
});

/** Bybit's envelope with a fixed `time`, so that both answers are the same text. */
const answer = (retCode: number, retMsg: string, result: unknown): FakeResponse => ({ json: { retCode, retMsg, result, retExtInfo: {}, time: 1733011200123 } });
type Endpoint = (params?: Record<string, unknown>) => Promise<unknown>;
const PARAMS = { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.002', orderLinkId: 'ps-BTCUSDT-EL-1733011200000', reduceOnly: false, positionIdx: 0, tpslMode: 'Full', stopLoss: '96500.1', takeProfit: '99800' };

/** One ccxt instance and the direct sender on it, both signing at the same frozen instant. */
function pair(restUrl: string, opts: { clock?: SigningClock; timeoutMs?: number } = {}) {
  const at = Date.now();
  const clock = opts.clock ?? { ...fixedSigningClock(), now: () => at };
  const meta = new WeakMap<object, ResponseMeta>();
  const ex = createCcxtBybit({ urls: bybitUrls('mainnet', { restUrl }), credentials: { apiKey: KEY, apiSecret: SECRET }, clock, ...(opts.timeoutMs ? { requestTimeoutMs: opts.timeoutMs } : {}) }, meta);
  const viaCcxt = (): Promise<unknown> => ((ex as unknown as Record<string, Endpoint>)['privatePostV5OrderCreate'] as Endpoint).call(ex, { ...PARAMS });
  const direct = new SignedPost(ex as unknown as CcxtRequestSide, { apiKey: KEY, apiSecret: SECRET }, clock);
  const viaDirect = (): Promise<unknown> => direct.post('/v5/order/create', PARAMS);
  return { viaCcxt, viaDirect, meta };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error('expected a failure');
  return e;
}

describe('SignedPost', () => {
  it('sends the same bytes as ccxt: URL, headers in order, body and signature', async () => {
    server.route = () => answer(0, 'OK', { orderId: 'abc-1', orderLinkId: PARAMS.orderLinkId });
    const { viaCcxt, viaDirect } = pair(server.url);
    const a = await viaCcxt();
    const b = await viaDirect();
    expect(b, 'the same answer handed back').toEqual(a);
    const [ccxtReq, directReq] = server.requests;
    expect(directReq!.method).toBe('POST');
    expect(directReq!.path).toBe(ccxtReq!.path);
    expect(directReq!.body, 'the same JSON, keys in the same order').toBe(ccxtReq!.body);
    expect(directReq!.rawHeaders, 'every header, spelled and ordered as ccxt sends it').toEqual(ccxtReq!.rawHeaders);
    expect(directReq!.headers['x-bapi-sign'], 'the signature the fake server checked').toBe(ccxtReq!.headers['x-bapi-sign']);
  });

  it('raises what ccxt raises for a refusal, and keeps the answer with the error', async () => {
    server.route = () => answer(110007, 'ab not enough for new order', {});
    const { viaCcxt, viaDirect, meta } = pair(server.url);
    const a = await failure(viaCcxt());
    const b = await failure(viaDirect());
    expect(b.constructor).toBe(a.constructor);
    expect(b.message).toBe(a.message);
    expect(meta.get(b)?.body, 'mapBybitError reads retCode and headers from here').toBe(meta.get(a)?.body);
    expect(meta.get(b)?.httpStatus).toBe(200);
  });

  it('raises what ccxt raises for an HTTP 403 page', async () => {
    server.route = () => ({ status: 403, text: '<html>access too frequent</html>' });
    const { viaCcxt, viaDirect } = pair(server.url);
    const a = await failure(viaCcxt());
    const b = await failure(viaDirect());
    expect(b.constructor).toBe(a.constructor);
    expect(b.message).toBe(a.message);
  });

  it('raises what ccxt raises when no answer comes in time, and when the connection is refused', async () => {
    server.route = () => 'hang';
    const slow = pair(server.url, { timeoutMs: 150 });
    const a = await failure(slow.viaCcxt());
    const b = await failure(slow.viaDirect());
    expect(b.constructor.name).toBe('RequestTimeout');
    expect(b.constructor).toBe(a.constructor);
    expect(b.message).toBe(a.message);
    const closedUrl = server.url;
    await server.close();
    const gone = pair(closedUrl);
    const c = await failure(gone.viaCcxt());
    const d = await failure(gone.viaDirect());
    expect(d.constructor.name).toBe('NetworkError');
    expect(d.constructor).toBe(c.constructor);
    expect(d.message).toBe(c.message);
  });

  it('signs nothing while the clock is not trusted', async () => {
    const untrusted = { ...fixedSigningClock(), isTrusted: () => false, status: () => ({ trusted: false, reasons: [{ message: 'drift 9 s' }] }) };
    const { viaDirect } = pair(server.url, { clock: untrusted });
    const e = await failure(viaDirect());
    expect(e).toBeInstanceOf(ClockNotTrustedError);
    expect(e.message).toContain('drift 9 s');
    expect(server.requests).toHaveLength(0);
  });

  it('leaves an RSA key to ccxt', () => {
    expect(SignedPost.handles({ apiKey: KEY, apiSecret: '-----BEGIN PRIVATE KEY-----\nMIIE...' })).toBe(false);
    expect(SignedPost.handles(null)).toBe(false);
    expect(SignedPost.handles({ apiKey: KEY, apiSecret: SECRET })).toBe(true);
  });
});

describe('HmacSha256', () => {
  it('signs as HMAC-SHA256 does, for short and long keys alike', () => {
    const message = `1733011200000${KEY}5000${JSON.stringify(PARAMS)}é`;
    for (const secret of [SECRET, 'x', 'k'.repeat(64), 'long-secret-'.repeat(9), 'ключ-секрет']) {
      const hmac = new HmacSha256(secret);
      expect(hmac.hex(message), `secret of ${secret.length} characters`).toBe(createHmac('sha256', secret).update(message).digest('hex'));
      expect(hmac.hex('second message'), 'the key state is reused, not consumed').toBe(createHmac('sha256', secret).update('second message').digest('hex'));
    }
  });
});
