/** Test helpers: a plain `ws` client that records every message, and a signed REST caller. */
import { WebSocket } from 'ws';
import { signRest } from '../../src/sandbox/auth.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET } from '../../src/sandbox/startSandbox.js';

export type Msg = Record<string, unknown>;

export class RecordingClient {
  readonly messages: Msg[] = [];
  readonly ws: WebSocket;
  #waiters: Array<() => void> = [];
  closed = false;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(d.toString()) as Msg);
      for (const w of this.#waiters.splice(0)) w();
    });
    ws.on('close', () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static open(url: string): Promise<RecordingClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const c = new RecordingClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  send(msg: Msg): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** Resolves with the first recorded message (from index `from`) matching `pred`. */
  async waitFor(pred: (m: Msg) => boolean, timeoutMs = 5000, from = 0): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.messages.slice(from).find(pred);
      if (hit) return hit;
      if (this.closed) throw new Error('socket closed while waiting');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; got ${this.messages.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('not closed in time')), timeoutMs);
      this.ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

export interface SignedOptions {
  readonly apiKey?: string;
  readonly apiSecret?: string;
  readonly timestampMs?: number;
  readonly recvWindow?: string;
}

/** A signed V5 call exactly as the reference describes (raw query or raw body). */
export async function signedCall(baseUrl: string, method: 'GET' | 'POST', path: string, params: Record<string, unknown>, o: SignedOptions = {}): Promise<{ status: number; json: Msg; headers: Headers }> {
  const apiKey = o.apiKey ?? DEFAULT_API_KEY;
  const secret = o.apiSecret ?? DEFAULT_API_SECRET;
  const ts = String(o.timestampMs ?? Date.now());
  const recv = o.recvWindow ?? '5000';
  const query = method === 'GET' ? Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join('&') : '';
  const body = method === 'POST' ? JSON.stringify(params) : '';
  const sign = signRest(secret, ts, apiKey, recv, method === 'GET' ? query : body);
  const res = await fetch(`${baseUrl}${path}${query ? '?' + query : ''}`, {
    method,
    headers: { 'X-BAPI-API-KEY': apiKey, 'X-BAPI-TIMESTAMP': ts, 'X-BAPI-RECV-WINDOW': recv, 'X-BAPI-SIGN': sign, 'Content-Type': 'application/json' },
    ...(method === 'POST' ? { body } : {}),
  });
  const text = await res.text();
  let json: Msg = {};
  try {
    json = JSON.parse(text) as Msg;
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json, headers: res.headers };
}
