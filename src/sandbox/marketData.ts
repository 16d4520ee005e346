/**
 * Public market data of the sandbox, derived from the replay and the simulator: klines (the open
 * candle included, other intervals aggregated from the file's), the synthetic order book
 * (src/sim/syntheticBook.ts), and tickers with 24 h statistics over the replayed candles.
 */
import type { Candle } from '../domain/types.js';
import type { Replay } from '../sim/replay.js';
import { FUNDING_INTERVAL_MINUTES, lastFundingTimeMs } from '../sim/simFunding.js';
import type { Simulator } from '../sim/simulator.js';
import type { BookSnapshot } from '../sim/syntheticBook.js';
import { turnover } from './wire.js';

const DAY_MS = 86_400_000;

/** The funding rate every ticker shows, and the rate the sandbox charges at each funding time (./fundingSchedule.ts), unless set. */
export const SANDBOX_FUNDING_RATE = '0.0001';

/** Bybit kline intervals (reference section 2) in minutes; "M" (calendar month) is not served. */
export const KLINE_INTERVALS: Readonly<Record<string, number>> = {
  '1': 1,
  '3': 3,
  '5': 5,
  '15': 15,
  '30': 30,
  '60': 60,
  '120': 120,
  '240': 240,
  '360': 360,
  '720': 720,
  D: 1440,
  W: 10080,
};

/** Start of the bucket of `intervalMs` holding `ts`; weeks start on Monday 00:00 UTC as on Bybit. */
export function bucketStart(ts: number, intervalMs: number): number {
  const shift = intervalMs === 7 * DAY_MS ? 4 * DAY_MS : 0;
  return Math.floor((ts - shift) / intervalMs) * intervalMs + shift;
}

/** Aggregates ascending candles into buckets of `intervalMs`. */
export function aggregateCandles(candles: readonly Candle[], intervalMs: number): Candle[] {
  const out: Candle[] = [];
  let cur: { ts: number; open: number; high: number; low: number; close: number; volume: number } | null = null;
  for (const c of candles) {
    const b = bucketStart(c.ts, intervalMs);
    if (cur && cur.ts === b) {
      cur.high = Math.max(cur.high, c.high);
      cur.low = Math.min(cur.low, c.low);
      cur.close = c.close;
      cur.volume += c.volume;
    } else {
      if (cur) out.push(cur);
      cur = { ts: b, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
    }
  }
  if (cur) out.push(cur);
  return out;
}

export interface TickerFields {
  readonly [field: string]: string;
}

/** An instrument as Bybit's `instruments-info` lists it (wire JSON). */
export interface ListedInstrument {
  readonly symbol: string;
  readonly status: string;
  readonly [field: string]: unknown;
}

/**
 * Symbols the sandbox lists but does not trade or replay: recorded real `instruments-info` rows and
 * `tickers` rows (tests/fixtures/bybit-real), so a scan sees Bybit's other kinds of rows (pre-launch
 * symbols, dated futures) next to the replayed ones.
 */
export interface Listings {
  readonly instruments?: readonly ListedInstrument[];
  readonly tickers?: readonly TickerFields[];
}

export class MarketData {
  readonly #sim: Simulator;
  readonly #replay: Replay;
  readonly #updateIds = new Map<string, number>();
  readonly #listings: Required<Listings>;
  /** Funding rates set for a symbol (Bybit caps them at ±`upperFundingRate`, 0.005 here). */
  readonly #fundingRates = new Map<string, string>();
  #seq = 1;

  constructor(sim: Simulator, replay: Replay, listings: Listings = {}) {
    this.#sim = sim;
    this.#replay = replay;
    for (const s of replay.symbols) this.#updateIds.set(s, 1);
    this.#listings = { instruments: listings.instruments ?? [], tickers: listings.tickers ?? [] };
  }

  /** The funding rate `symbol`'s ticker shows and the next funding time charges (a test moves it). */
  setFundingRate(symbol: string, rate: string): void {
    this.#fundingRates.set(symbol, rate);
  }

  /** The listed-only instruments (not traded here). */
  get listedInstruments(): readonly ListedInstrument[] {
    return this.#listings.instruments;
  }

  /** The listed-only ticker of `symbol`, if any. */
  listedTicker(symbol: string): TickerFields | undefined {
    return this.#listings.tickers.find((t) => t['symbol'] === symbol);
  }

  get listedTickers(): readonly TickerFields[] {
    return this.#listings.tickers;
  }

  /** Called on every replay tick of `symbol`: the book changed. */
  bump(symbol: string): { u: number; seq: number } {
    const u = (this.#updateIds.get(symbol) ?? 0) + 1;
    this.#updateIds.set(symbol, u);
    this.#seq++;
    return { u, seq: this.#seq };
  }

  updateId(symbol: string): number {
    return this.#updateIds.get(symbol) ?? 1;
  }

  seq(): number {
    return this.#seq;
  }

  /** The base candles so far: closed ones plus the one being formed. */
  baseCandles(symbol: string): Candle[] {
    const closed = this.#replay.confirmedCandles(symbol) as Candle[];
    const open = this.#replay.openCandle(symbol);
    return open ? [...closed, open] : closed.slice();
  }

  /** Klines of `intervalMinutes`, or null when that interval cannot be built from the file's. */
  klines(symbol: string, intervalMinutes: number): Candle[] | null {
    const baseMs = this.#replay.intervalMs(symbol);
    const wantMs = intervalMinutes * 60_000;
    if (wantMs === baseMs) return this.baseCandles(symbol);
    if (wantMs < baseMs || wantMs % baseMs !== 0) return null;
    return aggregateCandles(this.baseCandles(symbol), wantMs);
  }

  /**
   * The kline of `intervalMs` holding the current base candle, built by looking back from the end
   * (no copy of the history): what a websocket kline push carries.
   */
  currentKline(symbol: string, intervalMs: number): Candle | null {
    const r = this.#replay;
    const open = r.openCandle(symbol);
    const n = r.confirmedCount(symbol);
    const newest = open ?? r.candleAt(symbol, n - 1);
    if (!newest) return null;
    const start = bucketStart(newest.ts, intervalMs);
    const parts: Candle[] = open ? [open] : [];
    for (let i = n - 1; i >= 0; i--) {
      const c = r.candleAt(symbol, i)!;
      if (c.ts < start) break;
      parts.push(c);
    }
    parts.reverse();
    return aggregateCandles(parts, intervalMs)[0] ?? null;
  }

  book(symbol: string, depth: number): BookSnapshot {
    const c = this.#replay.contextCandle(symbol);
    return this.#sim.book(symbol).snapshot(this.#sim.lastPrice(symbol), c.ts, c.volume, depth);
  }

  /** The full linear ticker (REST `tickers`, websocket `tickers` snapshot). */
  ticker(symbol: string, nowMs: number): TickerFields {
    const last = this.#sim.lastPrice(symbol);
    const book = this.book(symbol, 1);
    const lastTs = this.#sim.lastTs(symbol);
    // Look back from the newest candle without copying the history (this runs on every tick push).
    const r = this.#replay;
    const open = r.openCandle(symbol);
    let i = r.confirmedCount(symbol) - 1;
    let high = -Infinity;
    let low = Infinity;
    let vol = 0;
    let turn = 0;
    let prev24 = last;
    let hourAgo = last;
    for (let c = open ?? r.candleAt(symbol, i--); c !== undefined && c.ts > lastTs - DAY_MS; c = i >= 0 ? r.candleAt(symbol, i--) : undefined) {
      high = Math.max(high, c.high);
      low = Math.min(low, c.low);
      vol += c.volume;
      turn += Number(turnover(c));
      prev24 = c.open;
      if (c.ts > lastTs - 3_600_000) hourAgo = c.open;
    }
    const price = this.#sim.book(symbol).priceOfTicks(this.#sim.book(symbol).bidTicks(last));
    const lastStr = String(last);
    const nextFunding = lastFundingTimeMs(nowMs) + FUNDING_INTERVAL_MINUTES * 60_000;
    return {
      symbol,
      lastPrice: lastStr,
      indexPrice: lastStr,
      markPrice: lastStr,
      prevPrice24h: String(prev24),
      price24hPcnt: prev24 > 0 ? ((last - prev24) / prev24).toFixed(6) : '0',
      highPrice24h: String(Number.isFinite(high) ? high : last),
      lowPrice24h: String(Number.isFinite(low) ? low : last),
      prevPrice1h: String(hourAgo),
      openInterest: '0',
      openInterestValue: '0',
      turnover24h: turn.toFixed(4),
      volume24h: String(Number(vol.toFixed(8))),
      fundingRate: this.#fundingRates.get(symbol) ?? SANDBOX_FUNDING_RATE,
      nextFundingTime: String(nextFunding),
      predictedDeliveryPrice: '',
      basisRate: '',
      deliveryFeeRate: '',
      deliveryTime: '0',
      ask1Size: book.asks[0]?.[1] ?? '0',
      bid1Price: book.bids[0]?.[0] ?? price,
      ask1Price: book.asks[0]?.[0] ?? price,
      bid1Size: book.bids[0]?.[1] ?? '0',
      basis: '',
    };
  }
}
