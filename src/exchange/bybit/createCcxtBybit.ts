/**
 * ccxt's Bybit class, set up the way ./restPipeline.ts needs it (reference/bybit-v5.md section 5):
 * no call we did not ask for, every endpoint on our base URL, our own HTTP fetch, the corrected clock
 * as the only signing time, and each error kept with the response that caused it.
 */
import { bybit } from 'ccxt';
import { ClockNotTrustedError } from '../../domain/exchangeErrors.js';
import { ccxtTransport } from '../../util/httpFetch.js';
import type { BybitCredentials } from './bybitCredentials.js';
import type { BybitUrls } from './bybitUrls.js';
import type { ResponseMeta } from './mapBybitError.js';
import { untrustedReason, type SigningClock } from './signingClock.js';

/** The ccxt hooks below are typed loosely by ccxt itself; this is the part of the instance we touch. */
interface HookableBybit {
  nonce: () => number;
  sign: (path: string, api?: unknown, method?: string, params?: unknown, headers?: unknown, body?: unknown) => unknown;
  handleErrors: (httpCode: number, reason: string, url: string, method: string, headers: Record<string, string>, body: string, ...rest: unknown[]) => unknown;
}

export interface CcxtBybitOptions {
  readonly urls: BybitUrls;
  readonly credentials: BybitCredentials | null;
  readonly clock: SigningClock;
  /** X-BAPI-RECV-WINDOW, ms. Default 5000 (Bybit's). */
  readonly recvWindowMs?: number;
  /** Default 10 s. */
  readonly requestTimeoutMs?: number;
}

/** `meta` receives, for each error ccxt throws on an answer, that answer's status, headers and body. */
export function createCcxtBybit(opts: CcxtBybitOptions, meta: WeakMap<object, ResponseMeta>): bybit {
  const creds = opts.credentials;
  // Options per reference section 5, so that ccxt makes no call we did not ask for.
  const ex = new bybit({
    apiKey: creds?.apiKey,
    secret: creds?.apiSecret,
    enableRateLimit: false,
    timeout: opts.requestTimeoutMs ?? 10_000,
    has: { fetchCurrencies: false },
    options: {
      fetchMarkets: { types: ['linear'] },
      enableUnifiedAccount: true,
      enableUnifiedMargin: false,
      adjustForTimeDifference: false,
      recvWindow: opts.recvWindowMs ?? 5000,
    },
  });
  pointAt(ex, opts.urls.rest);
  installHooks(ex as unknown as HookableBybit, opts.clock, meta);
  return ex;
}

/** Every string in `urls.api` becomes our base URL (reference section 5), whatever the network. */
function pointAt(ex: bybit, rest: string): void {
  const api = ex.urls['api'] as Record<string, unknown>;
  for (const key of Object.keys(api)) if (typeof api[key] === 'string') api[key] = rest;
}

function installHooks(ex: HookableBybit, clock: SigningClock, meta: WeakMap<object, ResponseMeta>): void {
  // Our own fetch over node:http instead of undici's (src/util/httpFetch.ts).
  Object.assign(ex, ccxtTransport);
  // The corrected clock is the only time used to sign (issue 4); ccxt's sign() reads nonce().
  ex.nonce = () => clock.now();
  const sign = ex.sign.bind(ex);
  ex.sign = (path, api, ...rest) => {
    if (api === 'private' && !clock.isTrusted()) throw new ClockNotTrustedError(untrustedReason(clock));
    return sign(path, api, ...rest);
  };
  // Keep the status, headers and body with the error they caused: ccxt's last_response_headers is
  // shared by concurrent requests, so reading it after the fact could give another call's headers.
  const handleErrors = ex.handleErrors.bind(ex);
  ex.handleErrors = (httpCode, reason, url, method, headers, body, ...rest) => {
    try {
      return handleErrors(httpCode, reason, url, method, headers, body, ...rest);
    } catch (err) {
      if (typeof err === 'object' && err !== null) meta.set(err, { httpStatus: httpCode, headers: headers ?? {}, body: typeof body === 'string' ? body : '' });
      throw err;
    }
  };
}
