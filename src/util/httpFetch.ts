/**
 * A small `fetch` over `node:http`/`node:https`, for the few calls the bot makes (ccxt's REST, the
 * server-time and mark-price probes, the key check).
 *
 * Why not the global `fetch`: Node's fetch is undici, whose first use costs about 18 MB of resident
 * memory on Node 20 (its WebAssembly HTTP parser and the WHATWG stream machinery), a quarter of the
 * bot's whole memory goal on a phone (bench/run.bench.ts, BENCHMARKS.md). `node:http` is already
 * loaded by the websocket client. Keep-alive agents reuse connections as undici does.
 *
 * It implements what its callers use, and nothing more: method, headers, a string body, an
 * AbortSignal and a timeout in; status, statusText, ok, headers (`get`, `forEach`), `text()`,
 * `json()` out. Answers may come compressed (gzip, deflate, br: mobile data is dear) and are
 * inflated before `text()`. A redirect is returned as is, never followed (Bybit's API does not redirect, and a
 * signed request must not be replayed elsewhere).
 */
import type { Agent, IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

export interface HttpFetchInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | null;
  readonly signal?: AbortSignal | null;
  /** Milliseconds until the request is abandoned (ccxt passes its `timeout` here). */
  readonly timeout?: number;
}

export class HttpHeaders {
  readonly #raw: IncomingHttpHeaders;
  constructor(raw: IncomingHttpHeaders) {
    this.#raw = raw;
  }
  get(name: string): string | null {
    const v = this.#raw[name.toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(', ') : v;
  }
  forEach(fn: (value: string, key: string) => void): void {
    for (const [k, v] of Object.entries(this.#raw)) if (v !== undefined) fn(Array.isArray(v) ? v.join(', ') : v, k);
  }
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly url: string;
  readonly headers: HttpHeaders;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/** Raised when the signal aborts or the timeout passes; named as fetch names it. */
export class HttpAbortError extends Error {
  override name = 'AbortError';
}

/**
 * A failure to connect or a broken connection; `code` is Node's (ECONNREFUSED, ECONNRESET...).
 * `cause` is Node's own error, whose message ccxt appends to its NetworkError ("fetch failed: connect
 * ECONNREFUSED 127.0.0.1:443"), as it does with undici's.
 */
export class HttpFetchError extends Error {
  override name = 'FetchError';
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, cause?: Error) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
  }
}

/**
 * node:http and node:https with their keep-alive agents, loaded on the first request: a command
 * that makes none (a backtest, --help) does not pay for loading them (about 10 ms; issue 18).
 */
let transports: { readonly 'http:': Transport; readonly 'https:': Transport } | null = null;
interface Transport {
  readonly request: typeof import('node:http').request;
  readonly agent: Agent;
}

function transportFor(protocol: string): Transport | null {
  if (protocol !== 'http:' && protocol !== 'https:') return null;
  if (transports === null) {
    const http = process.getBuiltinModule('node:http');
    const https = process.getBuiltinModule('node:https');
    transports = {
      'http:': { request: http.request, agent: new http.Agent({ keepAlive: true, maxSockets: 16 }) },
      'https:': { request: https.request, agent: new https.Agent({ keepAlive: true, maxSockets: 16 }) },
    };
  }
  return transports[protocol];
}

export function httpFetch(input: string | URL, init: HttpFetchInit = {}): Promise<HttpResponse> {
  const url = typeof input === 'string' ? new URL(input) : input;
  const transport = transportFor(url.protocol);
  if (transport === null) return Promise.reject(new HttpFetchError(`unsupported protocol ${url.protocol}`, undefined));
  const signal = init.signal ?? null;
  if (signal?.aborted) return Promise.reject(new HttpAbortError('the request was aborted'));
  return new Promise<HttpResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const body = init.body ?? null;
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'accept-encoding')) headers['accept-encoding'] = 'gzip, deflate, br';
    if (body !== null && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')) headers['content-length'] = String(Buffer.byteLength(body));
    const req = transport.request(url, { method: init.method ?? 'GET', headers, agent: transport.agent });
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(e);
    };
    const onAbort = (): void => {
      fail(new HttpAbortError('the request was aborted'));
      req.destroy();
    };
    const timer = init.timeout !== undefined && init.timeout > 0 ? setTimeout(() => {
      fail(new HttpAbortError(`no answer within ${init.timeout} ms`));
      req.destroy();
    }, init.timeout) : null;
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) => fail(new HttpFetchError(`${init.method ?? 'GET'} ${url.origin}${url.pathname} failed: ${e.message}`, e.code, e)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => fail(new HttpFetchError(`the answer from ${url.origin} broke off: ${e.message}`, (e as NodeJS.ErrnoException).code, e)));
      res.on('aborted', () => fail(new HttpFetchError(`the answer from ${url.origin} broke off`, 'ECONNRESET')));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        cleanup();
        let text: string;
        try {
          text = inflate(Buffer.concat(chunks), res.headers['content-encoding']).toString('utf8');
        } catch (e) {
          reject(new HttpFetchError(`the answer from ${url.origin} could not be inflated: ${(e as Error).message}`, undefined));
          return;
        }
        const status = res.statusCode ?? 0;
        resolve({
          status,
          statusText: res.statusMessage ?? '',
          ok: status >= 200 && status < 300,
          url: url.href,
          headers: new HttpHeaders(res.headers),
          text: () => Promise.resolve(text),
          json: () => Promise.resolve().then(() => JSON.parse(text) as unknown),
        });
      });
    });
    req.end(body ?? undefined);
  });
}

function inflate(raw: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return raw;
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(raw);
    case 'deflate':
      return inflateSync(raw);
    case 'br':
      return brotliDecompressSync(raw);
    default:
      throw new Error(`unknown content-encoding ${encoding}`);
  }
}

/**
 * `httpFetch` for ccxt (the bot's client, src/exchange/bybit/createCcxtBybit.ts, and the candle
 * download's): a redirect is a failure naming where it pointed, as undici's `redirect: 'error'`
 * made it for ccxt, so ccxt raises a NetworkError that says so instead of reading the redirect's
 * empty body as an answer.
 */
export async function ccxtFetch(input: string | URL, init: HttpFetchInit = {}): Promise<HttpResponse> {
  const res = await httpFetch(input, init);
  if (res.status < 300 || res.status >= 400) return res;
  const where = res.headers.get('location') ?? 'an unnamed location';
  const why = new Error(`redirect to ${where} was not followed (HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''})`);
  throw new HttpFetchError(why.message, undefined, why);
}

/**
 * What every ccxt client of ours is given (`Object.assign(exchange, ccxtTransport)`): this fetch,
 * and its error classes, which tell ccxt a network failure from a timeout. ccxt's default, undici,
 * costs about 18 MB of RSS on first use and is left out of the bundle (scripts/esbuildPlugins.mjs).
 */
export const ccxtTransport = { fetchImplementation: ccxtFetch, FetchError: HttpFetchError, AbortError: HttpAbortError } as const;
