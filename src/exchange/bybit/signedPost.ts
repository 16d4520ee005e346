/**
 * The order create, signed and sent without ccxt's per-request work (issue 18: a confirmed kline to
 * the order written, p99 ≤ 2 ms). ccxt's implicit endpoint spends more on the way out than the rest
 * of the bot: its option and parameter handling, a hash written in JavaScript, proxy checks, an
 * AbortController and a second timer per request (BENCHMARKS.md, latency). This sends the very
 * request ccxt's Bybit class sends (reference/bybit-v5.md section 1: HMAC-SHA256 over timestamp +
 * key + recvWindow + body; the same headers in the same order, the same JSON body) with node's HMAC,
 * and hands the answer to ccxt's own response handling, so errors are raised, recorded and mapped
 * exactly as on every other call (tests/exchange/bybit/signedPost.test.ts compares the two on the wire).
 */
import { createHash, type Hash } from 'node:crypto';
import { NetworkError, RequestTimeout } from 'ccxt';
import { ClockNotTrustedError } from '../../domain/exchangeErrors.js';
import { ccxtFetch, HttpAbortError, HttpFetchError, type HttpResponse } from '../../util/httpFetch.js';
import type { BybitCredentials } from './bybitCredentials.js';
import { untrustedReason, type SigningClock } from './signingClock.js';

/** The part of ccxt's Bybit instance this reads: where it sends, what it adds, how it reads answers. */
export interface CcxtRequestSide {
  readonly id: string;
  readonly urls: { readonly api: unknown };
  readonly options: Record<string, unknown>;
  readonly headers?: Record<string, string> | undefined;
  readonly userAgent?: unknown;
  readonly user_agent?: unknown;
  readonly userAgents: Record<string, string>;
  readonly timeout: number;
  handleRestResponse(response: HttpResponse, url: string, method: string, requestHeaders: Record<string, string>, requestBody: string): Promise<unknown>;
}

/**
 * HMAC-SHA256 (RFC 2104) with the key's two padded blocks hashed once: a request then hashes only
 * its own message (node's createHmac sets the key up again on every call, a large share of a send).
 */
export class HmacSha256 {
  readonly #inner: Hash;
  readonly #outer: Hash;

  constructor(secret: string) {
    const BLOCK = 64;
    let key = Buffer.from(secret, 'utf8');
    if (key.length > BLOCK) key = createHash('sha256').update(key).digest();
    const ipad = Buffer.alloc(BLOCK, 0x36);
    const opad = Buffer.alloc(BLOCK, 0x5c);
    for (let i = 0; i < key.length; i++) {
      ipad[i]! ^= key[i]!;
      opad[i]! ^= key[i]!;
    }
    this.#inner = createHash('sha256').update(ipad);
    this.#outer = createHash('sha256').update(opad);
  }

  hex(message: string): string {
    const inner = this.#inner.copy().update(message, 'utf8').digest();
    return this.#outer.copy().update(inner).digest('hex');
  }
}

export class SignedPost {
  readonly #ex: CcxtRequestSide;
  readonly #clock: SigningClock;
  readonly #apiKey: string;
  readonly #hmac: HmacSha256;
  /** Parsed once per path. */
  readonly #urls = new Map<string, URL>();
  readonly #recvWindow: string;
  readonly #base: string;
  /** Headers ccxt puts before its signed ones: User-Agent, then the instance's own headers. */
  readonly #leading: Readonly<Record<string, string>>;
  readonly #referer: string;

  constructor(ex: CcxtRequestSide, credentials: BybitCredentials, clock: SigningClock) {
    this.#ex = ex;
    this.#clock = clock;
    this.#apiKey = credentials.apiKey;
    this.#hmac = new HmacSha256(credentials.apiSecret);
    this.#recvWindow = String(ex.options['recvWindow']);
    this.#base = String((ex.urls.api as Record<string, unknown>)['private']);
    // As ccxt's fetch: the user agent (chrome's unless one is set), then the instance's headers.
    const agent = ex.userAgent ?? ex.user_agent ?? ex.userAgents['chrome'];
    const ua: Record<string, string> = typeof agent === 'string' && agent !== '' ? { 'User-Agent': agent } : typeof agent === 'object' && agent !== null && 'User-Agent' in agent ? (agent as Record<string, string>) : {};
    this.#leading = { ...ua, ...(ex.headers ?? {}) };
    const broker = ex.options['brokerId'];
    this.#referer = typeof broker === 'string' ? broker : 'CCXT';
  }

  /**
   * Whether this can send for these credentials: an RSA key (a secret holding a PEM "PRIVATE KEY")
   * is signed differently, and stays with ccxt.
   */
  static handles(credentials: BybitCredentials | null): credentials is BybitCredentials {
    return credentials !== null && credentials.apiKey !== '' && credentials.apiSecret !== '' && !credentials.apiSecret.includes('PRIVATE KEY');
  }

  /** POSTs `params` to `path` ("/v5/order/create"); resolves to Bybit's envelope, or throws what ccxt would. */
  async post(path: string, params: Readonly<Record<string, string | number | boolean>>): Promise<unknown> {
    if (!this.#clock.isTrusted()) throw new ClockNotTrustedError(untrustedReason(this.#clock));
    const timestamp = String(this.#clock.now());
    const body = JSON.stringify(params);
    const sign = this.#hmac.hex(timestamp + this.#apiKey + this.#recvWindow + body);
    const headers: Record<string, string> = {
      ...this.#leading,
      'Content-Type': 'application/json',
      'X-BAPI-API-KEY': this.#apiKey,
      'X-BAPI-TIMESTAMP': timestamp,
      'X-BAPI-RECV-WINDOW': this.#recvWindow,
      'X-BAPI-SIGN': sign,
      Referer: this.#referer,
    };
    const url = this.#base + path;
    let parsed = this.#urls.get(path);
    if (parsed === undefined) this.#urls.set(path, (parsed = new URL(url)));
    let response: HttpResponse;
    try {
      response = await ccxtFetch(parsed, { method: 'POST', headers, body, timeout: this.#ex.timeout });
    } catch (e) {
      // ccxt's fetch turns its transport's failures into these, with these words (and the cause's).
      if (e instanceof HttpAbortError) throw new RequestTimeout(`${this.#ex.id} POST ${url} request timed out (${this.#ex.timeout} ms)`);
      if (e instanceof HttpFetchError || e instanceof TypeError) {
        const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
        throw new NetworkError(`${this.#ex.id} POST ${url} fetch failed${cause}`);
      }
      throw e;
    }
    return this.#ex.handleRestResponse(response, url, 'POST', headers, body);
  }
}
