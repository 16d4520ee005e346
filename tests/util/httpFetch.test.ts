/** The bot's own small fetch against a real HTTP server on loopback. */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccxtTransport, HttpAbortError, HttpFetchError, httpFetch } from '../../src/util/httpFetch.js';

let server: http.Server;
let base: string;
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/gzip') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(JSON.stringify({ retCode: 0, result: { zipped: true } })));
      } else if (req.url === '/br') {
        res.writeHead(200, { 'content-encoding': 'br' });
        res.end(brotliCompressSync('brotli body'));
      } else if (req.url === '/proxy-error') {
        res.writeHead(503, 'Service Unavailable', { 'content-type': 'text/html' });
        res.end('<html><body>503 Service Temporarily Unavailable</body></html>');
      } else if (req.url === '/never') {
        // held open: the caller's timeout or signal must end it
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://example.invalid/' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'x-bapi-limit-status': '49', 'set-cookie': ['a=1', 'b=2'] });
        res.end(JSON.stringify({ method: req.method, body }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('httpFetch', () => {
  it('sends method, headers and body, and answers status, headers and text like fetch', async () => {
    const res = await httpFetch(`${base}/v5/order/create`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-BAPI-API-KEY': 'k' }, body: '{"qty":"0.001"}' });
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.headers.get('X-Bapi-Limit-Status')).toBe('49');
    const all: Record<string, string> = {};
    res.headers.forEach((v, k) => (all[k] = v));
    expect(all['set-cookie']).toBe('a=1, b=2');
    expect(await res.json()).toEqual({ method: 'POST', body: '{"qty":"0.001"}' });
    const req = seen.at(-1)!;
    expect(req.headers['x-bapi-api-key']).toBe('k');
    expect(req.headers['content-length']).toBe('15');
  });

  it('asks for compressed answers and inflates gzip and brotli', async () => {
    const res = await httpFetch(`${base}/gzip`);
    expect(seen.at(-1)!.headers['accept-encoding']).toMatch(/gzip/);
    expect(await res.json()).toEqual({ retCode: 0, result: { zipped: true } });
    expect(await (await httpFetch(`${base}/br`)).text()).toBe('brotli body');
  });

  it('returns an HTML error page as a non-ok response for the caller to judge', async () => {
    const res = await httpFetch(`${base}/proxy-error`);
    expect(res.ok).toBe(false);
    expect(res.status).toBe(503);
    expect(res.statusText).toBe('Service Unavailable');
    expect(await res.text()).toContain('503 Service Temporarily Unavailable');
  });

  it('does not follow redirects', async () => {
    const res = await httpFetch(`${base}/redirect`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://example.invalid/');
  });

  it('gives up after its timeout, and when its signal aborts, with an AbortError', async () => {
    await expect(httpFetch(`${base}/never`, { timeout: 50 })).rejects.toSatisfy((e: unknown) => e instanceof HttpAbortError && e.name === 'AbortError' && /50 ms/.test(e.message));
    const ctl = new AbortController();
    const pending = httpFetch(`${base}/never`, { signal: ctl.signal });
    ctl.abort();
    await expect(pending).rejects.toBeInstanceOf(HttpAbortError);
    await expect(httpFetch(`${base}/`, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(HttpAbortError);
  });

  it('reports a refused connection with Node’s error code', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(httpFetch(`http://127.0.0.1:${port}/`)).rejects.toSatisfy((e: unknown) => e instanceof HttpFetchError && e.code === 'ECONNREFUSED');
  });
});

/**
 * ccxt through `ccxtTransport` (what the bot's and the download's ccxt clients are given): a failure
 * says why, as ccxt's own undici client said it ("fetch failed: connect ECONNREFUSED …"), and a
 * redirect is an error naming where it pointed, not an empty answer read as data.
 */
describe('ccxt on ccxtFetch', () => {
  async function client(url: string): Promise<{ publicGetV5MarketTime(): Promise<unknown> }> {
    const { bybit } = await import('ccxt');
    const ex = new bybit({ timeout: 2000 });
    const api = ex.urls['api'] as Record<string, unknown>;
    for (const k of Object.keys(api)) if (typeof api[k] === 'string') api[k] = url;
    Object.assign(ex, ccxtTransport);
    return ex as unknown as { publicGetV5MarketTime(): Promise<unknown> };
  }

  it('names the refused connection in the NetworkError', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { NetworkError } = await import('ccxt');
    const ex = await client(`http://127.0.0.1:${port}`);
    await expect(ex.publicGetV5MarketTime()).rejects.toSatisfy((e: unknown) => e instanceof NetworkError && /fetch failed: .*connect ECONNREFUSED 127\.0\.0\.1:\d+/.test(e.message));
  });

  it('refuses a redirect, saying where it pointed', async () => {
    const { NetworkError } = await import('ccxt');
    const redirecting = http.createServer((_req, res) => {
      res.writeHead(301, 'Moved Permanently', { location: 'http://example.invalid/v5/market/time' });
      res.end();
    });
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    try {
      const ex = await client(`http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`);
      await expect(ex.publicGetV5MarketTime()).rejects.toSatisfy(
        (e: unknown) => e instanceof NetworkError && e.message.includes('redirect to http://example.invalid/v5/market/time was not followed (HTTP 301 Moved Permanently)'),
      );
    } finally {
      await new Promise((r) => redirecting.close(r));
    }
  });
});
