/**
 * Market data replay (issue 3): real candles of one or more symbols played into the `Simulator`,
 * point by point along the intra-candle path (./candlePath.ts), either on timers at a speed or by
 * explicit steps (tests, `run --replay` single-stepping).
 *
 * Timeline: the union of the candles' open times, ascending ("slots"); at each slot every symbol
 * with a candle at that time plays its four path points, one per step. The first `historyCandles`
 * candles are history, already closed when the replay starts (REST klines show them). Files should
 * share one interval; a mixed set is played slot by slot all the same.
 *
 * Speed N plays one candle interval in interval/N of wall time (speed 1 = real time, 60 = a 1m candle
 * per second). Speed 0 means stepped only. Nothing here reads the wall clock except the timer loop.
 */
import type { Candle } from '../domain/types.js';
import { PATH_POINTS, candlePath, partialCandle, pathPointTime } from './candlePath.js';
import type { Simulator } from './simulator.js';

export class ReplayError extends Error {
  override name = 'ReplayError';
}

export interface ReplayFeed {
  readonly symbol: string;
  readonly intervalMs: number;
  readonly candles: readonly Candle[];
}

/** One path point of one symbol, as the replay plays it. */
export interface ReplayTick {
  readonly symbol: string;
  readonly intervalMs: number;
  /** The full candle being played. */
  readonly candle: Candle;
  readonly candleIndex: number;
  /** 0 = open … 3 = close. */
  readonly point: number;
  readonly price: number;
  /** Market time of the point. */
  readonly ts: number;
  /** The candle as seen so far (what `kline` shows with confirm:false). */
  readonly partial: Candle;
  /** True at the close point: the candle is final (`confirm:true`). */
  readonly confirmed: boolean;
  /** Global step counter, 1 for the first step played. */
  readonly step: number;
}

export type ReplayListener = (tick: ReplayTick) => void;

export interface ReplayOptions {
  /** Candles per feed that count as already closed at the start; default 200 (ccxt's default fetch). */
  readonly historyCandles?: number;
  /** Default 0 (stepped only). */
  readonly speed?: number;
}

interface FeedState {
  readonly feed: ReplayFeed;
  /** Index of the candle being played (or next to play). */
  idx: number;
  /** Last point played of candle `idx`, -1 before its open. */
  point: number;
}

export class Replay {
  readonly #sim: Simulator;
  readonly #feeds: FeedState[];
  readonly #bySymbol = new Map<string, FeedState>();
  readonly #slots: number[];
  readonly #listeners: ReplayListener[] = [];
  readonly #stepMs: number;
  #slot: number;
  #point = -1;
  #step = 0;
  #speed: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(sim: Simulator, feeds: readonly ReplayFeed[], options: ReplayOptions = {}) {
    if (feeds.length === 0) throw new ReplayError('replay needs at least one candle feed');
    this.#sim = sim;
    const history = options.historyCandles ?? 200;
    const slotSet = new Set<number>();
    this.#feeds = feeds.map((feed) => {
      if (feed.candles.length === 0) throw new ReplayError(`no candles for ${feed.symbol}`);
      if (this.#bySymbol.has(feed.symbol)) throw new ReplayError(`two feeds for ${feed.symbol}`);
      for (const c of feed.candles) slotSet.add(c.ts);
      const st: FeedState = { feed, idx: Math.min(history, feed.candles.length - 1), point: -1 };
      this.#bySymbol.set(feed.symbol, st);
      return st;
    });
    this.#slots = [...slotSet].sort((a, b) => a - b);
    // Start at the earliest slot among the feeds' first live candles.
    let startTs = Infinity;
    for (const st of this.#feeds) startTs = Math.min(startTs, st.feed.candles[st.idx]!.ts);
    this.#slot = this.#slots.indexOf(startTs);
    for (const st of this.#feeds) {
      const cs = st.feed.candles;
      // Align every feed to the first slot at or after the start.
      while (st.idx > 0 && cs[st.idx - 1]!.ts >= startTs) st.idx--;
      const prev = st.idx > 0 ? cs[st.idx - 1]! : null;
      const first = cs[st.idx]!;
      if (!sim.hasSymbol(st.feed.symbol)) throw new ReplayError(`simulator has no instrument ${st.feed.symbol}`);
      if (prev) sim.setPrice(st.feed.symbol, prev.close, prev.ts + st.feed.intervalMs - 1, prev);
      else sim.setPrice(st.feed.symbol, first.open, first.ts, null);
    }
    this.#stepMs = Math.min(...feeds.map((f) => f.intervalMs)) / PATH_POINTS;
    this.#speed = options.speed ?? 0;
  }

  get symbols(): string[] {
    return this.#feeds.map((f) => f.feed.symbol);
  }

  get finished(): boolean {
    return this.#slot >= this.#slots.length;
  }

  get speed(): number {
    return this.#speed;
  }

  get steps(): number {
    return this.#step;
  }

  get running(): boolean {
    return this.#timer !== null;
  }

  intervalMs(symbol: string): number {
    return this.#feed(symbol).feed.intervalMs;
  }

  onTick(listener: ReplayListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Closed candles of `symbol` so far (history plus played), oldest first. */
  confirmedCandles(symbol: string): readonly Candle[] {
    const st = this.#feed(symbol);
    const end = st.point === PATH_POINTS - 1 ? st.idx + 1 : st.idx;
    return st.feed.candles.slice(0, end);
  }

  /** Number of closed candles of `symbol`. */
  confirmedCount(symbol: string): number {
    const st = this.#feed(symbol);
    return st.point === PATH_POINTS - 1 ? st.idx + 1 : st.idx;
  }

  /** Candle `index` of the feed of `symbol` (closed or not), for look-backs without copying. */
  candleAt(symbol: string, index: number): Candle | undefined {
    return this.#feed(symbol).feed.candles[index];
  }

  /** The candle of `symbol` being formed, as seen so far, or null between candles. */
  openCandle(symbol: string): Candle | null {
    const st = this.#feed(symbol);
    if (st.point < 0 || st.point >= PATH_POINTS - 1) return null;
    return partialCandle(st.feed.candles[st.idx]!, st.point);
  }

  /** The candle currently in play (full), for volume-scaled books; the last closed one between candles. */
  contextCandle(symbol: string): Candle {
    const st = this.#feed(symbol);
    const cs = st.feed.candles;
    if (st.point >= 0) return cs[st.idx]!;
    return cs[Math.max(0, st.idx - 1)]!;
  }

  /** Plays `n` path points (all symbols of a slot advance together). Returns how many were played. */
  step(n = 1): number {
    let done = 0;
    while (done < n && !this.finished) {
      this.#playPoint();
      done++;
    }
    return done;
  }

  /** Plays until `n` more candle slots have closed. */
  advanceCandles(n = 1): number {
    let steps = 0;
    for (let i = 0; i < n && !this.finished; i++) {
      do {
        this.#playPoint();
        steps++;
      } while (this.#point !== -1 && !this.finished);
    }
    return steps;
  }

  /** Starts timer-driven play at `speed` (or the configured one). */
  start(speed = this.#speed): void {
    if (!(speed > 0)) throw new ReplayError(`speed must be > 0 to play on timers, got ${speed}`);
    this.#speed = speed;
    this.stop();
    const delayMs = this.#stepMs / speed;
    // Below 1 ms per step, several steps run per timer tick.
    const batch = delayMs >= 1 ? 1 : Math.ceil(1 / delayMs);
    const tick = (): void => {
      this.step(batch);
      this.#timer = this.finished ? null : setTimeout(tick, Math.max(1, delayMs * batch));
    };
    this.#timer = setTimeout(tick, Math.max(1, delayMs * batch));
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #feed(symbol: string): FeedState {
    const st = this.#bySymbol.get(symbol);
    if (!st) throw new ReplayError(`no replay feed for ${symbol}`);
    return st;
  }

  #playPoint(): void {
    const slotTs = this.#slots[this.#slot]!;
    const k = this.#point + 1;
    this.#step++;
    const path = [0, 0, 0, 0];
    for (const st of this.#feeds) {
      const cs = st.feed.candles;
      if (st.point === PATH_POINTS - 1) {
        st.idx++;
        st.point = -1;
      }
      while (st.idx < cs.length && cs[st.idx]!.ts < slotTs) st.idx++;
      if (st.idx >= cs.length) {
        st.idx = cs.length - 1;
        st.point = PATH_POINTS - 1;
        continue;
      }
      const c = cs[st.idx]!;
      if (c.ts !== slotTs) continue;
      const sym = st.feed.symbol;
      if (k === 0) this.#sim.beginCandle(sym, c);
      candlePath(c, path);
      const price = path[k]!;
      const ts = pathPointTime(c.ts, st.feed.intervalMs, k);
      this.#sim.movePrice(sym, price, ts, k === 0);
      st.point = k;
      if (this.#listeners.length > 0) {
        const tick: ReplayTick = {
          symbol: sym,
          intervalMs: st.feed.intervalMs,
          candle: c,
          candleIndex: st.idx,
          point: k,
          price,
          ts,
          partial: partialCandle(c, k),
          confirmed: k === PATH_POINTS - 1,
          step: this.#step,
        };
        for (const l of this.#listeners) l(tick);
      }
    }
    if (k === PATH_POINTS - 1) {
      this.#point = -1;
      this.#slot++;
    } else this.#point = k;
  }
}
