/**
 * Test helper: a loopback HTTP server with Bybit V5's envelope and auth rules (reference/bybit-v5.md
 * section 1): HMAC-SHA256 over timestamp + key + recvWindow + raw query/body, and the timestamp rule
 * `server_time − recv_window ≤ ts < server_time + 1000` judged on its own clock (`offsetMs` from the
 * machine's). Each test scripts the answers with `route`; every request is recorded.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export const KEY = 'test-api-key-123456';
export const SECRET = 'test-api-secret-abcdef';

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  /** The headers as sent: names as spelled, in order. */
  readonly rawHeaders: readonly string[];
  /** Query or JSON body parameters. */
  readonly params: Record<string, unknown>;
}

export interface FakeResponse {
  readonly status?: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly headers?: Record<string, string>;
}

export type FakeAnswer = FakeResponse | 'hang';

export interface FakeBybitRest {
  readonly url: string;
  readonly requests: FakeRequest[];
  offsetMs: number;
  /** Return an answer, or undefined for the default (retCode 0 with `result: {}`). */
  route: (req: FakeRequest) => FakeAnswer | undefined;
  serverNow(): number;
  close(): Promise<void>;
}

export function ok(result: unknown): FakeResponse {
  return { json: { retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: Date.now() } };
}

export function fail(retCode: number, retMsg: string, headers?: Record<string, string>): FakeResponse {
  return { json: { retCode, retMsg, result: {}, retExtInfo: {}, time: Date.now() }, ...(headers ? { headers } : {}) };
}

export async function startFakeBybitRest(): Promise<FakeBybitRest> {
  const hung = new Set<() => void>();
  const state: FakeBybitRest = {
    url: '',
    requests: [],
    offsetMs: 0,
    route: () => undefined,
    serverNow: () => Date.now() + state.offsetMs,
    close: () => Promise.resolve(),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [path = '', query = ''] = (req.url ?? '').split('?');
      const body = Buffer.concat(chunks).toString('utf8');
      const params: Record<string, unknown> = req.method === 'POST' && body !== '' ? (JSON.parse(body) as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(query));
      const r: FakeRequest = { method: req.method ?? 'GET', path, query, body, headers: req.headers, rawHeaders: req.rawHeaders, params };
      state.requests.push(r);
      const send = (a: FakeResponse) => {
        const text = a.text ?? JSON.stringify(a.json);
        res.writeHead(a.status ?? 200, { 'content-type': a.json !== undefined ? 'application/json' : 'text/html', ...a.headers });
        res.end(text);
      };
      if (req.headers['x-bapi-api-key'] !== undefined) {
        const ts = Number(req.headers['x-bapi-timestamp']);
        const recv = Number(req.headers['x-bapi-recv-window'] ?? 5000);
        const payload = req.method === 'POST' ? body : query;
        const expected = createHmac('sha256', SECRET).update(`${req.headers['x-bapi-timestamp']}${KEY}${recv}${payload}`).digest('hex');
        if (req.headers['x-bapi-sign'] !== expected) {
          send(fail(10004, `error sign! origin_string[${req.headers['x-bapi-timestamp']}${KEY}${recv}${payload}]`));
          return;
        }
        const now = state.serverNow();
        if (!(now - recv <= ts && ts < now + 1000)) {
          send(fail(10002, `invalid request, please check your server timestamp or recv_window param. req_timestamp[${ts}],server_timestamp[${now}],recv_window[${recv}]`));
          return;
        }
      }
      const answer = state.route(r) ?? ok({});
      if (answer === 'hang') {
        const end = () => res.destroy();
        hung.add(end);
        res.on('close', () => hung.delete(end));
        return;
      }
      send(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const end of hung) end();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
