/**
 * The sandbox's websocket side (reference section 2): `/v5/public/linear` (orderbook 1/50/200/500
 * snapshot + deltas with `u`/`seq`, publicTrade, tickers snapshot + deltas, kline with `confirm`) and
 * `/v5/private` (auth with the `GET/realtime` signature; order, execution, position and wallet pushes
 * on every change of the simulator). Ping/pong, subscribe acknowledgements and the unknown-topic
 * error have Bybit's shapes; public and private pongs differ as they do on Bybit.
 *
 * Public messages are built once per replay tick and topic and sent to every subscriber. Book deltas
 * are diffs against the last book sent on that topic, so a snapshot plus every delta rebuilds the
 * REST book of the same depth.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { Prng } from '../sim/prng.js';
import type { ReplayTick } from '../sim/replay.js';
import type { Simulator } from '../sim/simulator.js';
import type { SimEvent, SimOrder } from '../sim/simTypes.js';
import type { BookSnapshot } from '../sim/syntheticBook.js';
import { formatScaled } from '../sim/syntheticBook.js';
import { type ApiKeyConfig, verifyWsAuth } from './auth.js';
import type { FaultName, FaultSettings } from './faults.js';
import { KLINE_INTERVALS, type MarketData } from './marketData.js';
import { type Wire, turnover, wireExecution, wireOrder, wirePosition, wireWallet } from './wire.js';

export const PUBLIC_PATH = '/v5/public/linear';
export const PRIVATE_PATH = '/v5/private';

const BOOK_DEPTHS = new Set([1, 50, 200, 500, 1000]);
const PRIVATE_TOPICS = new Set(['order', 'execution', 'position', 'wallet', 'order.linear', 'execution.linear', 'position.linear']);
const IDLE_LIMIT_MS = 600_000;

type ConnKind = 'public' | 'private';

interface Conn {
  readonly ws: WebSocket;
  readonly kind: ConnKind;
  readonly id: string;
  readonly topics: Set<string>;
  authed: boolean;
  lastSeenMs: number;
}

interface BookTopicState {
  readonly symbol: string;
  readonly depth: number;
  bids: Map<string, string>;
  asks: Map<string, string>;
}

export interface WsContext {
  readonly sim: Simulator;
  readonly market: MarketData;
  readonly keys: ReadonlyMap<string, ApiKeyConfig>;
  readonly nowMs: () => number;
  readonly faults: () => FaultSettings;
  readonly intervalMs: (symbol: string) => number;
  /** Counts a fault that struck (FaultCounts). */
  readonly struck: (fault: FaultName) => void;
}

type Parsed =
  | { kind: 'book'; symbol: string; depth: number }
  | { kind: 'trade'; symbol: string }
  | { kind: 'ticker'; symbol: string }
  | { kind: 'kline'; symbol: string; intervalMs: number; label: string };

export class WsHub {
  readonly #ctx: WsContext;
  readonly #wss: WebSocketServer;
  readonly #conns = new Set<Conn>();
  readonly #subs = new Map<string, Set<Conn>>();
  readonly #books = new Map<string, BookTopicState>();
  readonly #tickers = new Map<string, Record<string, string>>();
  readonly #lastPrice = new Map<string, number>();
  readonly #prng = new Prng(7);
  readonly #idleTimer: NodeJS.Timeout;
  #sent = 0;
  #pushId = 0;

  constructor(ctx: WsContext) {
    this.#ctx = ctx;
    this.#wss = new WebSocketServer({ noServer: true, autoPong: false });
    this.#idleTimer = setInterval(() => this.#dropIdle(), 30_000);
    this.#idleTimer.unref();
  }

  /** Messages sent so far (benchmarks). */
  get sentCount(): number {
    return this.#sent;
  }

  get connectionCount(): number {
    return this.#conns.size;
  }

  /** Takes an HTTP upgrade for one of the two paths; false if the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '').split('?')[0];
    const kind: ConnKind | null = path === PUBLIC_PATH ? 'public' : path === PRIVATE_PATH ? 'private' : null;
    if (!kind) return false;
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, kind));
    return true;
  }

  /** Closes every connection abruptly (the ws-drop fault): no close frame, like a dead network. */
  dropAll(): void {
    for (const c of this.#conns) {
      c.ws.terminate();
      this.#ctx.struck('ws-drop');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#idleTimer);
    for (const c of this.#conns) c.ws.terminate();
    this.#conns.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  // ------------------------------------------------------------------ public data

  onTick(t: ReplayTick): void {
    const { u, seq } = this.#ctx.market.bump(t.symbol);
    const prev = this.#lastPrice.get(t.symbol) ?? t.price;
    this.#lastPrice.set(t.symbol, t.price);
    const now = this.#ctx.nowMs();
    for (const [topic, set] of this.#subs) {
      if (set.size === 0 || !topic.endsWith('.' + t.symbol)) continue;
      const parsed = parseTopic(topic, this.#ctx);
      if (!parsed || parsed.symbol !== t.symbol) continue;
      let msg: Wire | null = null;
      if (parsed.kind === 'book') msg = this.#bookUpdate(topic, parsed.depth, u, seq, now);
      else if (parsed.kind === 'trade') msg = this.#trade(topic, t, prev, seq, now);
      else if (parsed.kind === 'ticker') msg = this.#tickerDelta(topic, t.symbol, seq, now);
      else msg = this.#kline(topic, parsed, t, now);
      if (msg) this.#broadcast(set, JSON.stringify(msg));
    }
  }

  #bookUpdate(topic: string, depth: number, u: number, seq: number, now: number): Wire | null {
    const st = this.#books.get(topic);
    if (!st) return null;
    const next = this.#ctx.market.book(st.symbol, depth);
    const cts = this.#ctx.sim.lastTs(st.symbol);
    if (depth === 1) {
      // Level 1 is snapshot-only (reference section 2).
      setBook(st, next);
      return { topic, type: 'snapshot', ts: now, data: { s: st.symbol, b: next.bids, a: next.asks, u, seq }, cts };
    }
    const b = diffSide(st.bids, next.bids, (x, y) => y - x);
    const a = diffSide(st.asks, next.asks, (x, y) => x - y);
    setBook(st, next);
    return { topic, type: 'delta', ts: now, data: { s: st.symbol, b, a, u, seq }, cts };
  }

  #bookSnapshot(topic: string, symbol: string, depth: number): Wire {
    let st = this.#books.get(topic);
    if (!st) {
      st = { symbol, depth, bids: new Map(), asks: new Map() };
      this.#books.set(topic, st);
      setBook(st, this.#ctx.market.book(symbol, depth));
    }
    const bids = [...st.bids].sort((x, y) => Number(y[0]) - Number(x[0]));
    const asks = [...st.asks].sort((x, y) => Number(x[0]) - Number(y[0]));
    return {
      topic,
      type: 'snapshot',
      ts: this.#ctx.nowMs(),
      data: { s: symbol, b: bids, a: asks, u: this.#ctx.market.updateId(symbol), seq: this.#ctx.market.seq() },
      cts: this.#ctx.sim.lastTs(symbol),
    };
  }

  #trade(topic: string, t: ReplayTick, prev: number, seq: number, now: number): Wire {
    const inst = this.#ctx.sim.instrument(t.symbol);
    const step = inst.qtyStep.toNumber();
    const dp = inst.qtyStep.decimalPlaces();
    const steps = Math.max(1, Math.round(t.candle.volume / 4 / step));
    const stepUnits = Math.round(step * 10 ** dp);
    const up = t.price >= prev;
    return {
      topic,
      type: 'snapshot',
      ts: now,
      data: [
        {
          T: t.ts,
          s: t.symbol,
          S: up ? 'Buy' : 'Sell',
          v: formatScaled(steps * stepUnits, dp),
          p: String(t.price),
          L: t.price > prev ? 'PlusTick' : t.price < prev ? 'MinusTick' : up ? 'ZeroPlusTick' : 'ZeroMinusTick',
          i: this.#prng.uuid(),
          BT: false,
          RPI: false,
          seq,
        },
      ],
    };
  }

  #tickerDelta(topic: string, symbol: string, seq: number, now: number): Wire | null {
    const full = this.#ctx.market.ticker(symbol, now);
    const last = this.#tickers.get(symbol);
    this.#tickers.set(symbol, { ...full });
    if (!last) return { topic, type: 'snapshot', data: full, cs: seq, ts: now };
    const delta: Record<string, string> = { symbol };
    let changed = false;
    for (const [k, v] of Object.entries(full)) {
      if (last[k] !== v) {
        delta[k] = v;
        changed = true;
      }
    }
    return changed ? { topic, type: 'delta', data: delta, cs: seq, ts: now } : null;
  }

  #kline(topic: string, p: Extract<Parsed, { kind: 'kline' }>, t: ReplayTick, now: number): Wire | null {
    const baseMs = t.intervalMs;
    const c = p.intervalMs === baseMs ? t.partial : this.#ctx.market.currentKline(t.symbol, p.intervalMs);
    if (!c) return null;
    const confirm = t.confirmed && t.candle.ts + baseMs === c.ts + p.intervalMs;
    return {
      topic,
      data: [
        {
          start: c.ts,
          end: c.ts + p.intervalMs - 1,
          interval: p.label,
          open: String(c.open),
          close: String(c.close),
          high: String(c.high),
          low: String(c.low),
          volume: String(Number(c.volume.toFixed(8))),
          turnover: turnover(c),
          confirm,
          timestamp: t.ts,
        },
      ],
      ts: now,
      type: 'snapshot',
    };
  }

  // ------------------------------------------------------------------ private data

  onSimEvent(e: SimEvent): void {
    if (!this.#anyPrivate()) return;
    const sim = this.#ctx.sim;
    switch (e.kind) {
      case 'order':
        this.#pushPrivate('order', [wireOrder(e.order, sim.instrument(e.order.symbol), true)]);
        break;
      case 'execution':
        this.#pushPrivate('execution', [wireExecution(e.execution, sim.instrument(e.execution.symbol), String(sim.lastPrice(e.execution.symbol)), true)]);
        break;
      case 'position':
        this.#pushPrivate('position', [wirePosition(e.position, sim.instrument(e.position.symbol), 'ws')]);
        break;
      case 'wallet':
        this.#pushPrivate('wallet', [wireWallet(e.wallet)]);
        break;
    }
  }

  /** The second `Filled` push of a fill that raced a cancel (reference section 2). */
  pushDuplicateOrder(o: SimOrder): void {
    this.#pushPrivate('order', [wireOrder(o, this.#ctx.sim.instrument(o.symbol), true)]);
  }

  #anyPrivate(): boolean {
    for (const t of PRIVATE_TOPICS) if ((this.#subs.get(t)?.size ?? 0) > 0) return true;
    return false;
  }

  #pushPrivate(base: string, data: Wire[]): void {
    const now = this.#ctx.nowMs();
    for (const topic of [base, `${base}.linear`]) {
      const set = this.#subs.get(topic);
      if (!set || set.size === 0) continue;
      this.#pushId++;
      const msg = { id: `${this.#pushId}${this.#prng.uuid().slice(0, 8)}`, topic, creationTime: now, data };
      this.#broadcast(set, JSON.stringify(msg));
    }
  }

  // ------------------------------------------------------------------ connections

  #accept(ws: WebSocket, kind: ConnKind): void {
    const conn: Conn = { ws, kind, id: this.#connId(), topics: new Set(), authed: false, lastSeenMs: Date.now() };
    this.#conns.add(conn);
    ws.on('message', (data) => {
      conn.lastSeenMs = Date.now();
      this.#onMessage(conn, data.toString());
    });
    ws.on('ping', (data) => {
      conn.lastSeenMs = Date.now();
      if (!this.#stalled(conn)) ws.pong(data);
      else this.#ctx.struck('stall');
    });
    ws.on('close', () => this.#forget(conn));
    ws.on('error', () => this.#forget(conn));
  }

  #forget(conn: Conn): void {
    this.#conns.delete(conn);
    for (const t of conn.topics) this.#unsubscribe(conn, t);
  }

  #connId(): string {
    return `${this.#prng.uuid().replace(/-/g, '').slice(0, 20)}-${this.#prng.uuid().slice(0, 5)}`;
  }

  #stalled(conn: Conn): boolean {
    const s = this.#ctx.faults().stall;
    return s === 'all' || s === conn.kind;
  }

  #send(conn: Conn, text: string): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    if (this.#stalled(conn)) {
      this.#ctx.struck('stall');
      return;
    }
    const lat = this.#ctx.faults().latencyMs;
    this.#sent++;
    if (lat > 0) {
      this.#ctx.struck('latency');
      setTimeout(() => {
        if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(text);
      }, lat);
    } else conn.ws.send(text);
  }

  #broadcast(set: Set<Conn>, text: string): void {
    for (const c of set) this.#send(c, text);
  }

  #reply(conn: Conn, msg: Wire): void {
    this.#send(conn, JSON.stringify(msg));
  }

  #onMessage(conn: Conn, text: string): void {
    let req: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      req = v as Record<string, unknown>;
    } catch {
      this.#reply(conn, { success: false, ret_msg: 'error:json unmarshal failed', conn_id: conn.id, op: '' });
      return;
    }
    const op = typeof req['op'] === 'string' ? req['op'] : '';
    const reqId = typeof req['req_id'] === 'string' || typeof req['req_id'] === 'number' ? String(req['req_id']) : undefined;
    const withReq = (m: Wire): Wire => (reqId !== undefined ? { ...m, req_id: reqId } : m);
    switch (op) {
      case 'ping':
        if (conn.kind === 'public') this.#reply(conn, { success: true, ret_msg: 'pong', conn_id: conn.id, req_id: reqId ?? '', op: 'ping' });
        else this.#reply(conn, { req_id: reqId ?? '', op: 'pong', args: [String(this.#ctx.nowMs())], conn_id: conn.id });
        return;
      case 'auth':
        this.#auth(conn, req['args'], withReq);
        return;
      case 'subscribe':
        this.#subscribe(conn, req['args'], withReq);
        return;
      case 'unsubscribe': {
        const args = Array.isArray(req['args']) ? (req['args'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
        for (const t of args) this.#unsubscribe(conn, t);
        this.#reply(conn, withReq({ success: true, ret_msg: '', conn_id: conn.id, op: 'unsubscribe' }));
        return;
      }
      default:
        this.#reply(conn, withReq({ success: false, ret_msg: `error:invalid op, op:${op}`, conn_id: conn.id, op }));
    }
  }

  #auth(conn: Conn, args: unknown, withReq: (m: Wire) => Wire): void {
    if (conn.kind !== 'private') {
      this.#reply(conn, withReq({ success: false, ret_msg: 'error:invalid op, op:auth', conn_id: conn.id, op: 'auth' }));
      return;
    }
    if (conn.authed) {
      this.#reply(conn, withReq({ success: false, ret_msg: 'Repeat auth', op: 'auth', conn_id: conn.id }));
      return;
    }
    const r = verifyWsAuth(args, this.#ctx.keys, this.#ctx.nowMs());
    if (r.ok) conn.authed = true;
    this.#reply(conn, withReq({ success: r.ok, ret_msg: r.ok ? '' : r.msg, op: 'auth', conn_id: conn.id }));
  }

  #subscribe(conn: Conn, args: unknown, withReq: (m: Wire) => Wire): void {
    const topics = Array.isArray(args) ? (args as unknown[]) : [];
    if (conn.kind === 'private' && !conn.authed) {
      this.#reply(conn, withReq({ success: false, ret_msg: 'Request not authorized', conn_id: conn.id, op: 'subscribe' }));
      return;
    }
    for (const t of topics) {
      const ok = typeof t === 'string' && (conn.kind === 'private' ? PRIVATE_TOPICS.has(t) : parseTopic(t, this.#ctx) !== null);
      if (!ok) {
        // One bad topic fails the whole batch (reference section 2).
        this.#reply(conn, withReq({ success: false, ret_msg: `error:handler not found,topic:${String(t)}`, conn_id: conn.id, op: 'subscribe' }));
        return;
      }
      if (conn.topics.has(t)) {
        this.#reply(conn, withReq({ success: false, ret_msg: `error:already subscribed,topic:${t}`, conn_id: conn.id, op: 'subscribe' }));
        return;
      }
    }
    const list = topics as string[];
    for (const t of list) {
      conn.topics.add(t);
      let set = this.#subs.get(t);
      if (!set) {
        set = new Set();
        this.#subs.set(t, set);
      }
      set.add(conn);
    }
    this.#reply(conn, withReq({ success: true, ret_msg: '', conn_id: conn.id, op: 'subscribe' }));
    if (conn.kind === 'private') return;
    for (const t of list) {
      const p = parseTopic(t, this.#ctx)!;
      if (p.kind === 'book') this.#reply(conn, this.#bookSnapshot(t, p.symbol, p.depth));
      else if (p.kind === 'ticker') {
        const now = this.#ctx.nowMs();
        const full = this.#ctx.market.ticker(p.symbol, now);
        this.#tickers.set(p.symbol, { ...full });
        this.#reply(conn, { topic: t, type: 'snapshot', data: full, cs: this.#ctx.market.seq(), ts: now });
      }
    }
  }

  #unsubscribe(conn: Conn, topic: string): void {
    conn.topics.delete(topic);
    const set = this.#subs.get(topic);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) {
      this.#subs.delete(topic);
      this.#books.delete(topic);
    }
  }

  #dropIdle(): void {
    const now = Date.now();
    for (const c of this.#conns) if (now - c.lastSeenMs > IDLE_LIMIT_MS) c.ws.terminate();
  }
}

function parseTopic(topic: string, ctx: WsContext): Parsed | null {
  const parts = topic.split('.');
  const symbol = parts[parts.length - 1] ?? '';
  if (!ctx.sim.hasSymbol(symbol)) return null;
  if (parts.length === 3 && parts[0] === 'orderbook') {
    const depth = Number(parts[1]);
    return BOOK_DEPTHS.has(depth) ? { kind: 'book', symbol, depth } : null;
  }
  if (parts.length === 2 && parts[0] === 'publicTrade') return { kind: 'trade', symbol };
  if (parts.length === 2 && parts[0] === 'tickers') return { kind: 'ticker', symbol };
  if (parts.length === 3 && parts[0] === 'kline') {
    const label = parts[1]!;
    const minutes = KLINE_INTERVALS[label];
    if (minutes === undefined) return null;
    const ms = minutes * 60_000;
    const base = ctx.intervalMs(symbol);
    if (ms < base || ms % base !== 0) return null;
    return { kind: 'kline', symbol, intervalMs: ms, label };
  }
  return null;
}

function setBook(st: BookTopicState, b: BookSnapshot): void {
  st.bids = new Map(b.bids);
  st.asks = new Map(b.asks);
}

/** Levels that changed between the last sent side and the new one; "0" deletes a level. */
function diffSide(prev: Map<string, string>, next: ReadonlyArray<[string, string]>, order: (a: number, b: number) => number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [p, s] of next) {
    seen.add(p);
    if (prev.get(p) !== s) out.push([p, s]);
  }
  for (const p of prev.keys()) if (!seen.has(p)) out.push([p, '0']);
  out.sort((x, y) => order(Number(x[0]), Number(y[0])));
  return out;
}
