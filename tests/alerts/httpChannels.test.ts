import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/Alert.js';
import { AlertConfigError } from '../../src/alerts/AlertConfigError.js';
import { createAlertRouter } from '../../src/alerts/createAlertRouter.js';
import { TelegramChannel } from '../../src/alerts/TelegramChannel.js';
import { WebhookChannel } from '../../src/alerts/WebhookChannel.js';

interface Hit {
  readonly method: string;
  readonly url: string;
  readonly contentType: string;
  readonly body: unknown;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
});

/** A loopback HTTP server; `respond` gets the hit number (1-based). */
async function serve(respond: (n: number, req: IncomingMessage, res: ServerResponse) => void): Promise<{ base: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      hits.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: text ? (JSON.parse(text) as unknown) : null });
      respond(hits.length, req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

const alert: Alert = { level: 'warning', kind: 'stopLoss', symbol: 'BTCUSDT', title: 'Stopped out', body: 'BTCUSDT long -5.10 USDT', ts: Date.UTC(2025, 0, 15, 12, 0, 0) };

/** Records backoff delays instead of waiting them out. */
function fakeSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

describe('WebhookChannel against a loopback server', () => {
  it('POSTs the alert as JSON', async () => {
    const srv = await serve((_n, _req, res) => json(res, 204, {}));
    const ch = new WebhookChannel({ url: `${srv.base}/hooks/abc?key=s3cret` });
    expect(await ch.send(alert)).toEqual({ status: 'sent' });
    expect(srv.hits).toEqual([
      {
        method: 'POST',
        url: '/hooks/abc?key=s3cret',
        contentType: 'application/json',
        body: { source: 'pocket-scalper', level: 'warning', kind: 'stopLoss', title: 'Stopped out', body: 'BTCUSDT long -5.10 USDT', symbol: 'BTCUSDT', ts: alert.ts, time: '2025-01-15T12:00:00.000Z' },
      },
    ]);
  });

  it('retries 5xx with growing, jittered backoff until the server recovers', async () => {
    const srv = await serve((n, _req, res) => (n <= 2 ? json(res, 503, { error: 'busy' }) : json(res, 200, { ok: true })));
    const { sleep, delays } = fakeSleep();
    const ch = new WebhookChannel({ url: `${srv.base}/hook`, retries: 3, backoff: { baseMs: 100, maxMs: 10_000 }, sleep, random: () => 0.5 });
    expect(await ch.send(alert)).toEqual({ status: 'sent' });
    expect(srv.hits).toHaveLength(3);
    // Equal jitter: step/2 + step/2 × random → 100 → 75, 200 → 150.
    expect(delays).toEqual([75, 150]);
  });

  it('gives up after the retries, and does not retry a 4xx', async () => {
    const down = await serve((_n, _req, res) => json(res, 500, { error: 'down' }));
    const { sleep, delays } = fakeSleep();
    const ch = new WebhookChannel({ url: `${down.base}/hook/TOKEN123456`, retries: 2, sleep });
    const result = await ch.send(alert);
    expect(result).toEqual({ status: 'failed', error: `POST ${down.base}/…: HTTP 500 {"error":"down"} (after 3 attempts)` });
    expect(delays).toHaveLength(2);
    expect(JSON.stringify(result), 'the URL path may hold a token').not.toContain('TOKEN123456');

    const bad = await serve((_n, _req, res) => json(res, 404, { error: 'no such hook' }));
    const once = fakeSleep();
    const r2 = await new WebhookChannel({ url: `${bad.base}/hook`, retries: 3, sleep: once.sleep }).send(alert);
    expect(r2.status).toBe('failed');
    expect(bad.hits, 'a 404 will not heal by retrying').toHaveLength(1);
  });

  it('times out a server that never answers', async () => {
    const srv = await serve(() => {});
    const { sleep } = fakeSleep();
    const started = performance.now();
    const result = await new WebhookChannel({ url: `${srv.base}/hook`, timeoutMs: 200, retries: 1, sleep }).send(alert);
    expect(result).toEqual({ status: 'failed', error: `POST ${srv.base}/…: no answer within 200 ms (after 2 attempts)` });
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('TelegramChannel against a loopback Bot API', () => {
  const token = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

  it('calls sendMessage with chat_id and text; info alerts are silent', async () => {
    const srv = await serve((_n, _req, res) => json(res, 200, { ok: true, result: { message_id: 1 } }));
    const ch = new TelegramChannel({ token, chatId: 42, apiBase: srv.base });
    expect(await ch.send(alert)).toEqual({ status: 'sent' });
    expect(await ch.send({ ...alert, level: 'info', kind: 'dailySummary', title: 'Day', body: '3 trades' })).toEqual({ status: 'sent' });
    expect(srv.hits).toEqual([
      { method: 'POST', url: `/bot${token}/sendMessage`, contentType: 'application/json', body: { chat_id: 42, text: '⚠️ Stopped out\nBTCUSDT long -5.10 USDT' } },
      { method: 'POST', url: `/bot${token}/sendMessage`, contentType: 'application/json', body: { chat_id: 42, text: 'ℹ️ Day\n3 trades', disable_notification: true } },
    ]);
  });

  it('honours retry_after on 429, then succeeds', async () => {
    // Bot API flood control answers 429 with parameters.retry_after in seconds (core.telegram.org/bots/api#responseparameters).
    const srv = await serve((n, _req, res) => (n === 1 ? json(res, 429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } }) : json(res, 200, { ok: true })));
    const { sleep, delays } = fakeSleep();
    const ch = new TelegramChannel({ token, chatId: '@owner', apiBase: srv.base, sleep, random: () => 0 });
    expect(await ch.send(alert)).toEqual({ status: 'sent' });
    expect(delays).toEqual([3000]);
  });

  it('never puts the token in an error or a log line', async () => {
    const srv = await serve((_n, _req, res) => json(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' }));
    const warnings: string[] = [];
    const { router } = createAlertRouter(
      { telegram: { token, chatId: 42, apiBase: srv.base, retries: 2 } },
      { logger: { info: () => {}, warn: (m) => warnings.push(m) }, sleep: async () => {} },
    );
    const outcome = router.send({ level: 'critical', kind: 'killSwitch', title: 'Kill switch', body: 'x' });
    if (outcome.status !== 'routed') throw new Error('expected routed');
    const reports = await outcome.deliveries;
    expect(warnings).toEqual([`alert channel telegram failed: POST ${srv.base}/bot[REDACTED]/sendMessage: HTTP 401 {"ok":false,"error_code":401,"description":"Unauthorized"} (after 1 attempt)`]);

    // A refused connection and an unparsable base URL: undici's own messages must not leak it either.
    const closed = await serve(() => {});
    const port = closed.base;
    await new Promise<void>((r) => servers.pop()?.close(() => r()));
    const refused = await new TelegramChannel({ token, chatId: 42, apiBase: port, retries: 0 }).send(alert);
    expect(refused).toEqual({ status: 'failed', error: `POST ${port}/bot[REDACTED]/sendMessage: network error ECONNREFUSED (after 1 attempt)` });
    let badUrl: unknown = null;
    try {
      new TelegramChannel({ token, chatId: 42, apiBase: 'http://[::1', retries: 0 });
    } catch (e) {
      badUrl = e;
    }
    expect(badUrl).toBeInstanceOf(AlertConfigError);
    expect(JSON.stringify([reports, warnings, refused, String(badUrl)])).not.toContain(token);
    expect(JSON.stringify([reports, warnings, refused])).not.toContain(encodeURIComponent(token));
  });
});
