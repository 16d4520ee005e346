/**
 * Bybit V5 signatures and the sandbox's auth checks. Vectors from the reference (section 1), checked
 * there with Node crypto, Python hmac and ccxt.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRest, signWsAuth, verifyRest } from '../../src/sandbox/auth.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/startSandbox.js';
import { signedCall } from './wsClient.js';

const ETH = fileURLToPath(new URL('../../data/bybit-ETHUSDT-1m.csv.gz', import.meta.url));

describe('signature vectors (reference section 1)', () => {
  it('signs a GET payload as Bybit does', () => {
    expect(signRest('YYYYYYYYYY', '1658384314791', 'XXXXXXXXXX', '5000', 'category=option&symbol=BTC-29JUL22-25000-C')).toBe(
      '37813c67fafb3017e92354eb88f218e7e52a98f9f5eb74cfcf0b21f17edb143b',
    );
  });

  it('signs the websocket auth payload as Bybit does', () => {
    expect(signWsAuth('YYYYYYYYYY', 1662350400000)).toBe('9c4c0629fddfee26ca0da50a7fed51968fce6935d34b02e772d3bd0c34327bd1');
    expect(signWsAuth('YYYYYYYYYY', '1662350400000')).toBe('9c4c0629fddfee26ca0da50a7fed51968fce6935d34b02e772d3bd0c34327bd1');
  });
});

describe('verifyRest', () => {
  const keys = new Map([['XXXXXXXXXX', { apiKey: 'XXXXXXXXXX', apiSecret: 'YYYYYYYYYY' }]]);
  const payload = 'symbol=BTC-29JUL22-25000-C&category=option';
  const headersAt = (ts: number, sign?: string): Record<string, string> => ({
    'x-bapi-api-key': 'XXXXXXXXXX',
    'x-bapi-timestamp': String(ts),
    'x-bapi-recv-window': '5000',
    'x-bapi-sign': sign ?? signRest('YYYYYYYYYY', String(ts), 'XXXXXXXXXX', '5000', payload),
  });
  const now = 1_700_000_000_000;

  it('verifies over the raw query string in the order it was sent (not sorted)', () => {
    expect(verifyRest({ headers: headersAt(now), payload, keys, serverTimeMs: now, clientIp: '127.0.0.1' }).ok).toBe(true);
    const sorted = 'category=option&symbol=BTC-29JUL22-25000-C';
    expect(verifyRest({ headers: headersAt(now), payload: sorted, keys, serverTimeMs: now, clientIp: '127.0.0.1' })).toMatchObject({ ok: false, code: 10004 });
  });

  it('applies server_time − recv_window ≤ ts < server_time + 1000 exactly', () => {
    const at = (ts: number): boolean => verifyRest({ headers: headersAt(ts), payload, keys, serverTimeMs: now, clientIp: '127.0.0.1' }).ok;
    expect(at(now - 5000)).toBe(true);
    expect(at(now - 5001)).toBe(false);
    expect(at(now + 999)).toBe(true);
    expect(at(now + 1000)).toBe(false);
    const r = verifyRest({ headers: headersAt(now + 1000), payload, keys, serverTimeMs: now, clientIp: '127.0.0.1' });
    expect(r).toMatchObject({
      code: 10002,
      msg: `invalid request, please check your server timestamp or recv_window param. req_timestamp[${now + 1000}],server_timestamp[${now}],recv_window[5000]`,
    });
  });

  it('answers 10003 for an unknown key and 10010 outside the IP whitelist', () => {
    expect(verifyRest({ headers: { ...headersAt(now), 'x-bapi-api-key': 'nope' }, payload, keys, serverTimeMs: now, clientIp: '127.0.0.1' })).toMatchObject({ code: 10003 });
    const bound = new Map([['XXXXXXXXXX', { apiKey: 'XXXXXXXXXX', apiSecret: 'YYYYYYYYYY', ips: ['10.0.0.1'] }]]);
    expect(verifyRest({ headers: headersAt(now), payload, keys: bound, serverTimeMs: now, clientIp: '::ffff:127.0.0.1' })).toMatchObject({ code: 10010 });
  });
});

describe('sandbox auth over HTTP', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({
      data: [ETH],
      clockOffsetMs: 30_000,
      apiKeys: [
        { apiKey: 'sandbox-key', apiSecret: 'sandbox-secret' },
        { apiKey: 'ro-key', apiSecret: 'ro-secret', readOnly: true, withdraw: true, ips: ['127.0.0.1'] },
      ],
    });
  });
  afterAll(async () => {
    await sb.close();
  });

  it('judges timestamps against the skewed sandbox clock', async () => {
    const local = await signedCall(sb.restUrl, 'GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' });
    expect(local.json['retCode'], 'the machine clock is 30 s behind the sandbox').toBe(10002);
    const skewed = await signedCall(sb.restUrl, 'GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' }, { timestampMs: sb.nowMs() });
    expect(skewed.json['retCode']).toBe(0);
    expect(skewed.headers.get('x-bapi-limit')).toBe('50');
    expect(Number(skewed.headers.get('x-bapi-limit-status'))).toBeLessThan(50);
  });

  it('query-api shows the key permissions, withdrawal permission and IP whitelist; read-only keys cannot trade', async () => {
    const r = await signedCall(sb.restUrl, 'GET', '/v5/user/query-api', {}, { apiKey: 'ro-key', apiSecret: 'ro-secret', timestampMs: sb.nowMs() });
    const res = r.json['result'] as { readOnly: number; ips: string[]; permissions: { Wallet: string[] } };
    expect(res.readOnly).toBe(1);
    expect(res.ips).toEqual(['127.0.0.1']);
    expect(res.permissions.Wallet).toContain('Withdraw');
    const o = await signedCall(sb.restUrl, 'POST', '/v5/order/create', { category: 'linear', symbol: 'ETHUSDT', side: 'Buy', orderType: 'Market', qty: '0.01' }, { apiKey: 'ro-key', apiSecret: 'ro-secret', timestampMs: sb.nowMs() });
    expect(o.json['retCode']).toBe(10005);
  });

  it('answers unknown paths with 404 and bad parameters with 10001', async () => {
    expect((await fetch(`${sb.restUrl}/v5/no/such`)).status).toBe(404);
    const r = (await (await fetch(`${sb.restUrl}/v5/market/kline?category=linear&symbol=ETHUSDT&interval=7`)).json()) as { retCode: number };
    expect(r.retCode).toBe(10001);
    const p = (await (await fetch(`${sb.restUrl}/v5/market/instruments-info?category=linear&limit=1`)).json()) as { result: { list: unknown[]; nextPageCursor: string } };
    expect(p.result.list.length).toBe(1);
    expect(p.result.nextPageCursor, 'one instrument: the only page').toBe('');
  });
});
