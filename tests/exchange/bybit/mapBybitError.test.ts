/**
 * The one error mapping (STYLE point 10): ccxt's classes and Bybit's retCodes (reference/bybit-v5.md
 * section 4) into retryable / rejected / fatal, with retCode and retMsg kept and secrets removed.
 * The ccxt errors are built the way ccxt builds them ("bybit " + body, or method, URL and status).
 */
import { AuthenticationError, BadRequest, ExchangeError as CcxtExchangeError, ExchangeNotAvailable, InvalidNonce, InvalidOrder, NetworkError, RateLimitExceeded, RequestTimeout } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { ClockNotTrustedError, ExchangeError } from '../../../src/domain/exchangeErrors.js';
import { bybitUrls, BybitEndpointError } from '../../../src/exchange/bybit/bybitUrls.js';
import { isAmbiguous, mapBybitError } from '../../../src/exchange/bybit/mapBybitError.js';

const KEY = 'my-api-key-000111';
const SECRET = 'my-api-secret-222333';
const ctx = { operation: 'POST /v5/order/create', secrets: [KEY, SECRET], nowMs: 1_700_000_000_000 };

function body(retCode: number, retMsg: string): string {
  return JSON.stringify({ retCode, retMsg, result: {}, retExtInfo: {}, time: 1 });
}

describe('mapBybitError', () => {
  it.each([
    [10001, BadRequest, 'rejected'],
    [10002, InvalidNonce, 'retryable'],
    [10003, AuthenticationError, 'fatal'],
    [10004, AuthenticationError, 'fatal'],
    [10005, AuthenticationError, 'fatal'],
    [10006, RateLimitExceeded, 'retryable'],
    [10016, CcxtExchangeError, 'retryable'],
    [110001, InvalidOrder, 'rejected'],
    [110007, InvalidOrder, 'rejected'],
    [110072, InvalidOrder, 'rejected'],
    [110094, InvalidOrder, 'rejected'],
  ] as const)('retCode %i → %s', (code, Cls, kind) => {
    const err = mapBybitError(new (Cls as typeof Error)(`bybit ${body(code, 'msg')}`), ctx);
    expect([err.kind, err.retCode, err.retMsg]).toEqual([kind, code, 'msg']);
    expect(err).toBeInstanceOf(ExchangeError);
  });

  it('takes the retry time of a 10006 from X-Bapi-Limit-Reset-Timestamp', () => {
    const err = mapBybitError(new RateLimitExceeded('bybit ...'), {
      ...ctx,
      response: { httpStatus: 200, headers: { 'X-Bapi-Limit-Reset-Timestamp': '1700000000750' }, body: body(10006, 'Too many visits!') },
    });
    expect([err.kind, err.retCode, err.retryAtMs]).toEqual(['retryable', 10006, 1_700_000_000_750]);
  });

  it('maps transport failures by class: timeouts, 5xx and dropped connections retry; 401 is fatal', () => {
    const cases: [Error, string, number | null][] = [
      [new RequestTimeout('bybit POST http://127.0.0.1:1/v5/order/create request timed out (10000 ms)'), 'retryable', null],
      [new ExchangeNotAvailable('bybit GET http://127.0.0.1:1/v5/position/list 503 Service Unavailable <html>busy</html>'), 'retryable', 503],
      [new NetworkError('bybit GET http://127.0.0.1:1/v5/position/list fetch failed: ECONNRESET'), 'retryable', null],
      [new AuthenticationError('bybit GET http://127.0.0.1:1/v5/position/list 401 Unauthorized '), 'fatal', 401],
    ];
    for (const [e, kind, status] of cases) {
      const err = mapBybitError(e, ctx);
      expect([err.kind, err.retCode], e.message).toEqual([kind, status]);
      expect(err.message).not.toContain('<html>');
    }
    expect(mapBybitError(new ExchangeNotAvailable('bybit GET http://h/v5/x 403 Forbidden '), ctx).retryAtMs, 'IP ban: Bybit says wait at least 10 minutes').toBe(ctx.nowMs + 600_000);
  });

  it('removes the key and secret however they appear', () => {
    const leaky = new AuthenticationError(`bybit ${body(10004, `error sign! origin_string[1700000000000${KEY}5000{"secret":"${SECRET}"}]`)}`);
    const err = mapBybitError(leaky, ctx);
    expect(`${err.message}|${err.retMsg}`).not.toMatch(new RegExp(`${KEY}|${SECRET}`));
    expect(err.retMsg).toContain('[REDACTED]');
  });

  it('keeps our own errors as they are and tells ambiguous failures apart', () => {
    const clock = new ClockNotTrustedError('stale');
    expect(mapBybitError(clock, ctx)).toBe(clock);
    expect(isAmbiguous(clock), 'never sent').toBe(false);
    expect(isAmbiguous(mapBybitError(new RequestTimeout('bybit POST u request timed out'), ctx)), 'may have landed').toBe(true);
    expect(isAmbiguous(mapBybitError(new Error(`bybit ${body(10016, 'System error')}`), { ...ctx, response: { httpStatus: 200, headers: {}, body: body(10016, 'System error') } }))).toBe(true);
    expect(isAmbiguous(mapBybitError(new RateLimitExceeded(`bybit ${body(10006, 'x')}`), ctx)), 'refused before processing').toBe(false);
    expect(mapBybitError(new TypeError('x is undefined'), ctx).kind, 'a bug is not retried').toBe('rejected');
  });
});

describe('bybitUrls', () => {
  it('knows the three networks (reference section 2) and moves everything to a base URL', () => {
    expect(bybitUrls('testnet')).toEqual({ rest: 'https://api-testnet.bybit.com', wsPublic: 'wss://stream-testnet.bybit.com/v5/public/linear', wsPrivate: 'wss://stream-testnet.bybit.com/v5/private' });
    expect(bybitUrls('demo').wsPublic, 'demo has no public stream of its own').toBe('wss://stream.bybit.com/v5/public/linear');
    expect(bybitUrls('demo').wsPrivate).toBe('wss://stream-demo.bybit.com/v5/private');
    expect(bybitUrls('mainnet', { restUrl: 'http://127.0.0.1:8080/' })).toEqual({ rest: 'http://127.0.0.1:8080', wsPublic: 'ws://127.0.0.1:8080/v5/public/linear', wsPrivate: 'ws://127.0.0.1:8080/v5/private' });
    expect(() => bybitUrls('mainnet', { restUrl: 'ftp://x' })).toThrow(BybitEndpointError);
    expect(() => bybitUrls('mainnet', { restUrl: 'https://x/openapi' }), 'ccxt would switch to legacy signing').toThrow(/openapi/);
  });
});
