/**
 * The sandbox's websocket side (reference section 2): `/v5/public/linear` and `/v5/private` on one
 * upgrade handler. The hub owns the connections (accept, protocol pings, idle and fault drops, close)
 * and wires its parts: what clients ask (./wsOps.ts), the public topics built per replay tick
 * (./publicTopics.ts), the private pushes per simulator event (./privateTopics.ts), and the fan-out
 * every message leaves by (./wsFanOut.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { Prng } from '../sim/prng.js';
import type { ReplayTick } from '../sim/replay.js';
import type { Simulator } from '../sim/simulator.js';
import type { SimEvent, SimOrder } from '../sim/simTypes.js';
import type { ApiKeyConfig } from './auth.js';
import type { FaultName, FaultSettings } from './faults.js';
import type { MarketData } from './marketData.js';
import type { AccountSettings } from './accountSettings.js';
import { PrivateTopics } from './privateTopics.js';
import { PublicTopics } from './publicTopics.js';
import { type ConnKind, type WsConn, WsFanOut } from './wsFanOut.js';
import { WsOps } from './wsOps.js';

export const PUBLIC_PATH = '/v5/public/linear';
export const PRIVATE_PATH = '/v5/private';

const IDLE_LIMIT_MS = 600_000;

export interface WsContext {
  readonly sim: Simulator;
  readonly market: MarketData;
  readonly keys: ReadonlyMap<string, ApiKeyConfig>;
  readonly nowMs: () => number;
  readonly faults: () => FaultSettings;
  readonly intervalMs: (symbol: string) => number;
  /** Counts a fault that struck (FaultCounts). */
  readonly struck: (fault: FaultName) => void;
  readonly account: AccountSettings;
  /** The first account's keys, where the sandbox serves more than one (`keys` then holds every account's). */
  readonly mainKeys?: ReadonlySet<string>;
}

/** The private side of one more account served by the same hub (./startSandbox.ts `extraAccounts`). */
export interface AccountPushes {
  onSimEvent(e: SimEvent): void;
  pushDuplicateOrder(o: SimOrder): void;
}

export class WsHub {
  readonly #ctx: WsContext;
  readonly #wss: WebSocketServer;
  readonly #conns = new Set<WsConn>();
  /** One sequence for connection, trade and push ids, so a seeded run repeats them exactly. */
  readonly #prng = new Prng(7);
  readonly #fanOut: WsFanOut;
  readonly #public: PublicTopics;
  readonly #private: PrivateTopics;
  readonly #ops: WsOps;
  readonly #idleTimer: NodeJS.Timeout;

  constructor(ctx: WsContext) {
    this.#ctx = ctx;
    this.#fanOut = new WsFanOut(ctx);
    this.#public = new PublicTopics(ctx, this.#fanOut, this.#prng);
    this.#private = new PrivateTopics(ctx.mainKeys ? { ...ctx, owns: ctx.mainKeys } : ctx, this.#fanOut, this.#prng);
    this.#ops = new WsOps(ctx, this.#fanOut, this.#public);
    this.#wss = new WebSocketServer({ noServer: true, autoPong: false });
    this.#idleTimer = setInterval(() => this.#dropIdle(), 30_000);
    this.#idleTimer.unref();
  }

  /** Messages sent so far (benchmarks). */
  get sentCount(): number {
    return this.#fanOut.sentCount;
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

  onTick(t: ReplayTick): void {
    this.#public.onTick(t);
  }

  onSimEvent(e: SimEvent): void {
    this.#private.onSimEvent(e);
  }

  /** The second `Filled` push of a fill that raced a cancel (reference section 2). */
  pushDuplicateOrder(o: SimOrder): void {
    this.#private.pushDuplicateOrder(o);
  }

  /** Another account on the same private path: its pushes go to the connections authenticated with its keys. */
  addAccount(sim: Simulator, keys: ReadonlySet<string>): AccountPushes {
    const topics = new PrivateTopics({ sim, nowMs: this.#ctx.nowMs, account: this.#ctx.account, owns: keys }, this.#fanOut, this.#prng);
    return { onSimEvent: (e) => topics.onSimEvent(e), pushDuplicateOrder: (o) => topics.pushDuplicateOrder(o) };
  }

  #accept(ws: WebSocket, kind: ConnKind): void {
    const conn: WsConn = { ws, kind, id: this.#connId(), topics: new Set(), authed: false, lastSeenMs: Date.now() };
    this.#conns.add(conn);
    ws.on('message', (data) => {
      conn.lastSeenMs = Date.now();
      this.#ops.handle(conn, data.toString());
    });
    ws.on('ping', (data) => {
      conn.lastSeenMs = Date.now();
      if (!this.#fanOut.stalled(conn)) ws.pong(data);
      else this.#ctx.struck('stall');
    });
    ws.on('close', () => this.#forget(conn));
    ws.on('error', () => this.#forget(conn));
  }

  #forget(conn: WsConn): void {
    this.#conns.delete(conn);
    for (const t of conn.topics) this.#ops.unsubscribe(conn, t);
  }

  #connId(): string {
    return `${this.#prng.uuid().replace(/-/g, '').slice(0, 20)}-${this.#prng.uuid().slice(0, 5)}`;
  }

  #dropIdle(): void {
    const now = Date.now();
    for (const c of this.#conns) if (now - c.lastSeenMs > IDLE_LIMIT_MS) c.ws.terminate();
  }
}
