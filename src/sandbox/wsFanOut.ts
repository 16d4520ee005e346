/**
 * Who listens to which websocket topic, and the one door every message leaves the hub by, so the
 * stall and latency faults (./faults.ts) strike replies, public data and private pushes alike.
 */
import { WebSocket } from 'ws';
import type { FaultName, FaultSettings } from './faults.js';
import type { Wire } from './wire.js';

export type ConnKind = 'public' | 'private';

/** One client connection; the hub owns it, the parts read and mark it. */
export interface WsConn {
  readonly ws: WebSocket;
  readonly kind: ConnKind;
  readonly id: string;
  readonly topics: Set<string>;
  authed: boolean;
  /** The key a private connection authenticated with: its pushes are that key's account's (a sandbox serves several). */
  apiKey?: string;
  lastSeenMs: number;
}

export interface FanOutContext {
  readonly faults: () => FaultSettings;
  /** Counts a fault that struck (FaultCounts). */
  readonly struck: (fault: FaultName) => void;
}

export class WsFanOut {
  readonly #ctx: FanOutContext;
  /** Topic → subscribers, in first-subscription order (public data is built in this order). */
  readonly #subs = new Map<string, Set<WsConn>>();
  #sent = 0;

  constructor(ctx: FanOutContext) {
    this.#ctx = ctx;
  }

  /** Messages sent so far (benchmarks). */
  get sentCount(): number {
    return this.#sent;
  }

  /** Every topic with its subscribers. */
  topics(): ReadonlyMap<string, ReadonlySet<WsConn>> {
    return this.#subs;
  }

  subscribers(topic: string): ReadonlySet<WsConn> | undefined {
    return this.#subs.get(topic);
  }

  add(conn: WsConn, topic: string): void {
    conn.topics.add(topic);
    let set = this.#subs.get(topic);
    if (!set) {
      set = new Set();
      this.#subs.set(topic, set);
    }
    set.add(conn);
  }

  /** Removes one subscription; true when that left the topic without subscribers (it is then dropped). */
  remove(conn: WsConn, topic: string): boolean {
    conn.topics.delete(topic);
    const set = this.#subs.get(topic);
    if (!set) return false;
    set.delete(conn);
    if (set.size > 0) return false;
    this.#subs.delete(topic);
    return true;
  }

  /** The stall fault silences a whole side (`public`, `private`) or both. */
  stalled(conn: WsConn): boolean {
    const s = this.#ctx.faults().stall;
    return s === 'all' || s === conn.kind;
  }

  send(conn: WsConn, text: string): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    if (this.stalled(conn)) {
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

  broadcast(set: ReadonlySet<WsConn>, text: string): void {
    for (const c of set) this.send(c, text);
  }

  reply(conn: WsConn, msg: Wire): void {
    this.send(conn, JSON.stringify(msg));
  }
}
