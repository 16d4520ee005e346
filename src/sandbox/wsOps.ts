/**
 * What a websocket client asks by `op` (reference section 2): ping, auth (private side, the
 * `GET/realtime` signature), subscribe and unsubscribe, answered in Bybit's shapes. Public and
 * private pongs differ as they do on Bybit; one bad topic fails a whole subscribe batch.
 */
import { type ApiKeyConfig, verifyWsAuth } from './auth.js';
import { PRIVATE_TOPICS } from './privateTopics.js';
import type { PublicTopics } from './publicTopics.js';
import type { Wire } from './wire.js';
import type { WsConn, WsFanOut } from './wsFanOut.js';

export interface WsOpsContext {
  readonly keys: ReadonlyMap<string, ApiKeyConfig>;
  readonly nowMs: () => number;
}

export class WsOps {
  readonly #ctx: WsOpsContext;
  readonly #fanOut: WsFanOut;
  readonly #public: PublicTopics;

  constructor(ctx: WsOpsContext, fanOut: WsFanOut, publicTopics: PublicTopics) {
    this.#ctx = ctx;
    this.#fanOut = fanOut;
    this.#public = publicTopics;
  }

  /** Answers one text frame from a client. */
  handle(conn: WsConn, text: string): void {
    let req: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      req = v as Record<string, unknown>;
    } catch {
      this.#fanOut.reply(conn, { success: false, ret_msg: 'error:json unmarshal failed', conn_id: conn.id, op: '' });
      return;
    }
    const op = typeof req['op'] === 'string' ? req['op'] : '';
    const reqId = typeof req['req_id'] === 'string' || typeof req['req_id'] === 'number' ? String(req['req_id']) : undefined;
    const withReq = (m: Wire): Wire => (reqId !== undefined ? { ...m, req_id: reqId } : m);
    switch (op) {
      case 'ping':
        if (conn.kind === 'public') this.#fanOut.reply(conn, { success: true, ret_msg: 'pong', conn_id: conn.id, req_id: reqId ?? '', op: 'ping' });
        else this.#fanOut.reply(conn, { req_id: reqId ?? '', op: 'pong', args: [String(this.#ctx.nowMs())], conn_id: conn.id });
        return;
      case 'auth':
        this.#auth(conn, req['args'], withReq);
        return;
      case 'subscribe':
        this.#subscribe(conn, req['args'], withReq);
        return;
      case 'unsubscribe': {
        const args = Array.isArray(req['args']) ? (req['args'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
        for (const t of args) this.unsubscribe(conn, t);
        this.#fanOut.reply(conn, withReq({ success: true, ret_msg: '', conn_id: conn.id, op: 'unsubscribe' }));
        return;
      }
      default:
        this.#fanOut.reply(conn, withReq({ success: false, ret_msg: `error:invalid op, op:${op}`, conn_id: conn.id, op }));
    }
  }

  /** Drops one subscription (an unsubscribe, or a closed connection). */
  unsubscribe(conn: WsConn, topic: string): void {
    if (this.#fanOut.remove(conn, topic)) this.#public.forget(topic);
  }

  #auth(conn: WsConn, args: unknown, withReq: (m: Wire) => Wire): void {
    if (conn.kind !== 'private') {
      this.#fanOut.reply(conn, withReq({ success: false, ret_msg: 'error:invalid op, op:auth', conn_id: conn.id, op: 'auth' }));
      return;
    }
    if (conn.authed) {
      this.#fanOut.reply(conn, withReq({ success: false, ret_msg: 'Repeat auth', op: 'auth', conn_id: conn.id }));
      return;
    }
    const r = verifyWsAuth(args, this.#ctx.keys, this.#ctx.nowMs());
    if (r.ok) {
      conn.authed = true;
      conn.apiKey = r.key.apiKey;
    }
    this.#fanOut.reply(conn, withReq({ success: r.ok, ret_msg: r.ok ? '' : r.msg, op: 'auth', conn_id: conn.id }));
  }

  #subscribe(conn: WsConn, args: unknown, withReq: (m: Wire) => Wire): void {
    const topics = Array.isArray(args) ? (args as unknown[]) : [];
    if (conn.kind === 'private' && !conn.authed) {
      this.#fanOut.reply(conn, withReq({ success: false, ret_msg: 'Request not authorized', conn_id: conn.id, op: 'subscribe' }));
      return;
    }
    for (const t of topics) {
      const ok = typeof t === 'string' && (conn.kind === 'private' ? PRIVATE_TOPICS.has(t) : this.#public.parse(t) !== null);
      if (!ok) {
        // One bad topic fails the whole batch (reference section 2).
        this.#fanOut.reply(conn, withReq({ success: false, ret_msg: `error:handler not found,topic:${String(t)}`, conn_id: conn.id, op: 'subscribe' }));
        return;
      }
      if (conn.topics.has(t)) {
        this.#fanOut.reply(conn, withReq({ success: false, ret_msg: `error:already subscribed,topic:${t}`, conn_id: conn.id, op: 'subscribe' }));
        return;
      }
    }
    const list = topics as string[];
    for (const t of list) this.#fanOut.add(conn, t);
    this.#fanOut.reply(conn, withReq({ success: true, ret_msg: '', conn_id: conn.id, op: 'subscribe' }));
    if (conn.kind === 'private') return;
    for (const t of list) {
      const snapshot = this.#public.snapshot(t);
      if (snapshot) this.#fanOut.reply(conn, snapshot);
    }
  }
}
