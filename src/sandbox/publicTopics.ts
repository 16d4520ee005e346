/**
 * The public topics of `/v5/public/linear` (reference section 2): orderbook 1/50/200/500 snapshot +
 * deltas with `u`/`seq`, publicTrade, tickers snapshot + deltas, kline with `confirm`.
 *
 * Messages are built once per replay tick and topic and sent to every subscriber. Book deltas are
 * diffs against the last book sent on that topic, so a snapshot plus every delta rebuilds the REST
 * book of the same depth.
 */
import type { Prng } from '../sim/prng.js';
import type { ReplayTick } from '../sim/replay.js';
import type { Simulator } from '../sim/simulator.js';
import type { BookSnapshot } from '../sim/syntheticBook.js';
import { formatScaled } from '../sim/syntheticBook.js';
import { KLINE_INTERVALS, type MarketData } from './marketData.js';
import { type Wire, turnover } from './wire.js';
import type { WsFanOut } from './wsFanOut.js';

const BOOK_DEPTHS = new Set([1, 50, 200, 500, 1000]);

/** A public topic name, understood. */
export type PublicTopic =
  | { kind: 'book'; symbol: string; depth: number }
  | { kind: 'trade'; symbol: string }
  | { kind: 'ticker'; symbol: string }
  | { kind: 'kline'; symbol: string; intervalMs: number; label: string };

export interface PublicTopicsContext {
  readonly sim: Simulator;
  readonly market: MarketData;
  readonly nowMs: () => number;
  readonly intervalMs: (symbol: string) => number;
}

/** The last book sent on one orderbook topic: the base of its next delta. */
interface BookTopicState {
  readonly symbol: string;
  readonly depth: number;
  bids: Map<string, string>;
  asks: Map<string, string>;
}

export class PublicTopics {
  readonly #ctx: PublicTopicsContext;
  readonly #fanOut: WsFanOut;
  /** Shared with the rest of the hub: trade ids are drawn in the same sequence as connection ids. */
  readonly #prng: Prng;
  readonly #books = new Map<string, BookTopicState>();
  readonly #tickers = new Map<string, Record<string, string>>();
  readonly #lastPrice = new Map<string, number>();

  constructor(ctx: PublicTopicsContext, fanOut: WsFanOut, prng: Prng) {
    this.#ctx = ctx;
    this.#fanOut = fanOut;
    this.#prng = prng;
  }

  /** The topic's meaning, or null when the sandbox has no such topic (unknown symbol, depth, interval). */
  parse(topic: string): PublicTopic | null {
    const parts = topic.split('.');
    const symbol = parts[parts.length - 1] ?? '';
    if (!this.#ctx.sim.hasSymbol(symbol)) return null;
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
      const base = this.#ctx.intervalMs(symbol);
      if (ms < base || ms % base !== 0) return null;
      return { kind: 'kline', symbol, intervalMs: ms, label };
    }
    return null;
  }

  /** Sends one replay tick's messages on every subscribed topic of its symbol. */
  onTick(t: ReplayTick): void {
    const { u, seq } = this.#ctx.market.bump(t.symbol);
    const prev = this.#lastPrice.get(t.symbol) ?? t.price;
    this.#lastPrice.set(t.symbol, t.price);
    const now = this.#ctx.nowMs();
    for (const [topic, set] of this.#fanOut.topics()) {
      if (set.size === 0 || !topic.endsWith('.' + t.symbol)) continue;
      const parsed = this.parse(topic);
      if (!parsed || parsed.symbol !== t.symbol) continue;
      let msg: Wire | null = null;
      if (parsed.kind === 'book') msg = this.#bookUpdate(topic, parsed.depth, u, seq, now);
      else if (parsed.kind === 'trade') msg = this.#trade(topic, t, prev, seq, now);
      else if (parsed.kind === 'ticker') msg = this.#tickerDelta(topic, t.symbol, seq, now);
      else msg = this.#kline(topic, parsed, t, now);
      if (msg) this.#fanOut.broadcast(set, JSON.stringify(msg));
    }
  }

  /** What a new subscriber of a valid topic gets right after the acknowledgement: books and tickers start with a snapshot. */
  snapshot(topic: string): Wire | null {
    const p = this.parse(topic)!;
    if (p.kind === 'book') return this.#bookSnapshot(topic, p.symbol, p.depth);
    if (p.kind === 'ticker') {
      const now = this.#ctx.nowMs();
      const full = this.#ctx.market.ticker(p.symbol, now);
      this.#tickers.set(p.symbol, { ...full });
      return { topic, type: 'snapshot', data: full, cs: this.#ctx.market.seq(), ts: now };
    }
    return null;
  }

  /** The topic lost its last subscriber: its book restarts from a fresh snapshot. */
  forget(topic: string): void {
    this.#books.delete(topic);
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

  #kline(topic: string, p: Extract<PublicTopic, { kind: 'kline' }>, t: ReplayTick, now: number): Wire | null {
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
