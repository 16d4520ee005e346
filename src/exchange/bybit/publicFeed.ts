/**
 * The public stream's pushes turned into the engine's events (issue 4, item 3): `kline.{interval}.
 * {symbol}` → confirmed candles exactly once and in order (./klineSequencer.ts); `orderbook.{depth}.
 * {symbol}` → a local book (./orderBook.ts) → top-of-book events when the top changes, re-synced
 * (re-subscribe, then reconnect if no snapshot comes) on a corrupt level.
 *
 * A jump in the book's update id `u` is not taken as a lost update: Bybit's docs do not say `u` steps
 * by 1 (issue 20 item 12). The delta is applied and quoting goes on; it asks for a fresh snapshot at
 * most once per topic per `gapResyncMinMs` (a minute), so a stream whose ids always jump cannot keep
 * the book in a re-sync loop, and the gaps of the last hour are logged once an hour per topic.
 */
import type { Candle } from '../../domain/types.js';
import type { BookTop, MarketSubscription } from '../../engine/exchangePort.js';
import type { Logger } from '../../util/logger.js';
import { isWireBookData, parseWire, WireBookData, WireError, WireWsKline } from './bybitWire.js';
import { errorText } from './errorText.js';
import { KlineSequencer, type KlineCounters } from './klineSequencer.js';
import { badBookLevel, OrderBook } from './orderBook.js';
import type { StreamEventSink } from './streamEventSink.js';
import { candleFromWsKline, candleOutsideBand, intervalToWire, outsideBand, type PriceBand } from './wireToDomain.js';

/** What the public feed needs from REST: candles to fill kline gaps, price limits to judge pushes. */
export interface PublicRestSource {
  fetchCandles(symbol: string, intervalMinutes: number, sinceMs: number, limit: number): Promise<readonly Candle[]>;
  fetchCandlesBetween(symbol: string, intervalMinutes: number, fromMs: number, toMs: number): Promise<readonly Candle[]>;
  /** Bybit's price limits of a loaded instrument: pushed prices outside them are corrupt. */
  priceBand?(symbol: string): PriceBand | null;
}

/** The part of the public connection a book re-sync uses. */
export interface BookResync {
  /** Asks for the topic afresh (Bybit answers a new subscribe with a snapshot). */
  resubscribe(topic: string): void;
  reconnect(reason: string): void;
}

export interface PublicFeedOptions {
  readonly rest: PublicRestSource;
  readonly sink: StreamEventSink;
  readonly log: Logger;
  /** The corrected clock, for the lag of each push. */
  readonly clock: { now(): number };
  /** The public connection, once there is one. */
  readonly connection: () => BookResync | null;
  /** Order-book depth topic (1, 50, 200 or 1000). Default 50. */
  readonly bookDepth?: number;
  /** Retry delay for a failed kline gap fill. Default 2 s. */
  readonly klineRetryMs?: number;
  /** A book re-sync that brings no snapshot within this long reconnects. Default 5 s. */
  readonly resyncTimeoutMs?: number;
  /** At most one re-sync per topic this often for update-id gaps. Default 60 s. */
  readonly gapResyncMinMs?: number;
  /** How often the gaps counted per topic are logged (when there were any). Default 1 h. */
  readonly gapReportMs?: number;
}

export interface PublicFeedCounters {
  readonly klines: KlineCounters;
  readonly book: { readonly gaps: number; readonly resyncs: number; readonly resyncReconnects: number; readonly topEvents: number };
  /** Arrival (corrected clock) minus the message's `ts`, ms. */
  readonly lag: { readonly lastMs: number | null; readonly maxMs: number | null };
}

export class PublicFeed {
  readonly #o: PublicFeedOptions;
  readonly #klines = new Map<string, KlineSequencer>();
  readonly #books = new Map<string, OrderBook>();
  readonly #lastTop = new Map<string, BookTop>();
  readonly #resyncTimers = new Map<string, NodeJS.Timeout>();
  /** When each topic last re-synced for a gap (Date.now ms), and the gaps counted since the last report. */
  readonly #lastGapResyncMs = new Map<string, number>();
  readonly #gapsThisPeriod = new Map<string, number>();
  #gapReportTimer: NodeJS.Timeout | null = null;
  readonly #c = { bookGaps: 0, resyncs: 0, resyncReconnects: 0, topEvents: 0, gapFills: 0, lastLagMs: null as number | null, maxLagMs: null as number | null };

  constructor(options: PublicFeedOptions) {
    this.#o = options;
  }

  /** Gap fills asked of the klines so far. */
  get gapFills(): number {
    return this.#c.gapFills;
  }

  /** Sets up the kline sequencer and book of a market; returns the topics that are new. */
  add(m: MarketSubscription): string[] {
    const topics: string[] = [];
    const klineTopic = `kline.${intervalToWire(m.intervalMinutes)}.${m.symbol}`;
    if (!this.#klines.has(klineTopic)) {
      const rest = this.#o.rest;
      const seq = new KlineSequencer(
        m.symbol,
        m.intervalMinutes,
        {
          between: (from, to) => rest.fetchCandlesBetween(m.symbol, m.intervalMinutes, from, to),
          since: (from) => rest.fetchCandles(m.symbol, m.intervalMinutes, from, 2000),
        },
        (candle, confirmed) => this.#o.sink.events.onCandle?.(m.symbol, m.intervalMinutes, candle, confirmed),
        { afterTs: m.afterCandleTs ?? null, retryMs: this.#o.klineRetryMs ?? 2000, logger: this.#o.log },
      );
      this.#klines.set(klineTopic, seq);
      topics.push(klineTopic);
    }
    if (m.book) {
      const bookTopic = `orderbook.${this.#o.bookDepth ?? 50}.${m.symbol}`;
      if (!this.#books.has(bookTopic)) {
        this.#books.set(bookTopic, new OrderBook(m.symbol));
        topics.push(bookTopic);
      }
    }
    return topics;
  }

  /** Starts (or restarts) every kline sequencer. */
  startKlines(): void {
    for (const seq of this.#klines.values()) seq.start();
  }

  /** The stream was down: each sequencer fetches what it missed. */
  catchUp(): void {
    this.#c.gapFills++;
    for (const seq of this.#klines.values()) seq.catchUp();
  }

  /** The socket is gone: no book can be trusted until its next snapshot. */
  invalidateBooks(): void {
    for (const [topic, book] of this.#books) {
      book.invalidate();
      this.#clearResync(topic);
    }
  }

  close(): void {
    for (const t of this.#resyncTimers.values()) clearTimeout(t);
    this.#resyncTimers.clear();
    if (this.#gapReportTimer !== null) clearInterval(this.#gapReportTimer);
    this.#gapReportTimer = null;
    for (const seq of this.#klines.values()) seq.close();
  }

  book(symbol: string): OrderBook | null {
    for (const b of this.#books.values()) if (b.symbol === symbol) return b;
    return null;
  }

  counters(): PublicFeedCounters {
    const klines: KlineCounters = { delivered: 0, recovered: 0, duplicatesDropped: 0, missingOnExchange: 0, fillErrors: 0, gapsAbandoned: 0 };
    for (const seq of this.#klines.values()) {
      for (const k of Object.keys(klines) as (keyof KlineCounters)[]) klines[k] += seq.counters[k];
    }
    const c = this.#c;
    return {
      klines,
      book: { gaps: c.bookGaps, resyncs: c.resyncs, resyncReconnects: c.resyncReconnects, topEvents: c.topEvents },
      lag: { lastMs: c.lastLagMs, maxMs: c.maxLagMs },
    };
  }

  /** One push of the public stream; `receivedMs` is Date.now() at arrival. */
  onPush(m: Record<string, unknown>, receivedMs: number): void {
    const topic = m['topic'] as string;
    const ts = typeof m['ts'] === 'number' ? m['ts'] : null;
    if (ts !== null) {
      const lag = receivedMs + (this.#o.clock.now() - Date.now()) - ts;
      this.#c.lastLagMs = lag;
      if (this.#c.maxLagMs === null || lag > this.#c.maxLagMs) this.#c.maxLagMs = lag;
    }
    const seq = this.#klines.get(topic);
    const book = seq === undefined ? this.#books.get(topic) : undefined;
    if (seq === undefined && book === undefined) {
      this.#o.sink.unexpectedTopic('public', topic);
      return;
    }
    try {
      if (book !== undefined) this.#onBook(topic, book, m, ts ?? receivedMs);
      else if (seq !== undefined) this.#onKline(seq, m);
    } catch (err) {
      this.#o.sink.wireError();
      this.#o.log.warn('dropped a malformed public message', { topic, error: errorText(err) });
    }
  }

  #band(symbol: string): PriceBand | null {
    return this.#o.rest.priceBand?.(symbol) ?? null;
  }

  /** Each kline is checked on its own: one corrupt entry does not drop its neighbours. */
  #onKline(seq: KlineSequencer, m: Record<string, unknown>): void {
    if (!Array.isArray(m['data'])) throw new WireError(`kline data is ${m['data'] === null ? 'null' : typeof m['data']}, not an array`);
    const stepMs = seq.intervalMinutes * 60_000;
    const band = this.#band(seq.symbol);
    let bad: unknown = null;
    for (const raw of m['data'] as unknown[]) {
      try {
        const k = parseWire(WireWsKline, raw, 'kline');
        const candle = candleFromWsKline(k);
        // Weekly candles open on Mondays, not on multiples of 7 days since the epoch.
        if (seq.intervalMinutes < 10_080 && candle.ts % stepMs !== 0) throw new WireError(`kline start ${candle.ts} is not on a ${seq.intervalMinutes}-minute boundary`);
        const outside = candleOutsideBand(candle, band);
        if (outside !== null) throw new WireError(outside);
        seq.onKline(candle, k.confirm);
      } catch (err) {
        bad ??= err;
      }
    }
    if (bad !== null) throw bad;
  }

  #onBook(topic: string, book: OrderBook, m: Record<string, unknown>, ts: number): void {
    const raw = m['data'];
    const data = isWireBookData(raw) ? raw : parseWire(WireBookData, raw, 'orderbook');
    if (data.s !== book.symbol) throw new WireError(`orderbook data for ${data.s.slice(0, 20)} on ${topic}`);
    const type = typeof m['type'] === 'string' ? m['type'] : 'delta';
    const badLevel = badBookLevel(data);
    if (badLevel !== null) {
      // Nothing of it is applied, and the book cannot be trusted without it: start over from a snapshot.
      this.#distrustBook(topic, book, badLevel);
      throw new WireError(badLevel);
    }
    const prevU = book.updateId;
    const result = book.apply(type, data, ts);
    if (result === 'gap') this.#onGap(topic, `update id went from ${String(prevU)} to ${data.u}`);
    else if (result !== 'applied') return;
    if (type === 'snapshot' || data.u === 1) this.#clearResync(topic);
    const top = book.top();
    if (top === null) return;
    // Bybit's book is never crossed, and never quotes outside the instrument's price limits: a top
    // like that comes from a corrupt level, and a market maker must not quote from it.
    const band = this.#band(book.symbol);
    const absurd =
      top.bidPrice >= top.askPrice
        ? `crossed book: best bid ${top.bidPrice} >= best ask ${top.askPrice}`
        : (outsideBand(top.bidPrice, band, 'best bid') ?? outsideBand(top.askPrice, band, 'best ask'));
    if (absurd !== null) {
      this.#distrustBook(topic, book, absurd);
      throw new WireError(absurd);
    }
    const last = this.#lastTop.get(topic);
    if (last !== undefined && last.bidPrice === top.bidPrice && last.askPrice === top.askPrice && last.bidQty === top.bidQty && last.askQty === top.askQty) return;
    this.#lastTop.set(topic, top);
    this.#c.topEvents++;
    this.#o.sink.safe(() => this.#o.sink.events.onBookTop?.(top));
  }

  /** Counts an update-id gap; re-syncs only when this topic has not re-synced for one within `gapResyncMinMs`. */
  #onGap(topic: string, why: string): void {
    this.#c.bookGaps++;
    this.#gapsThisPeriod.set(topic, (this.#gapsThisPeriod.get(topic) ?? 0) + 1);
    if (this.#gapReportTimer === null) {
      this.#gapReportTimer = setInterval(() => this.#reportGaps(), this.#o.gapReportMs ?? 3_600_000);
      this.#gapReportTimer.unref();
    }
    const now = Date.now();
    const last = this.#lastGapResyncMs.get(topic);
    if (last !== undefined && now - last < (this.#o.gapResyncMinMs ?? 60_000)) return;
    this.#lastGapResyncMs.set(topic, now);
    this.#c.resyncs++;
    this.#o.log.info('order book update id jumped; asking for a fresh snapshot (the book stays in use)', { topic, why });
    this.#o.connection()?.resubscribe(topic);
  }

  #reportGaps(): void {
    const minutes = Math.round((this.#o.gapReportMs ?? 3_600_000) / 60_000);
    for (const [topic, n] of this.#gapsThisPeriod) if (n > 0) this.#o.log.info(`order book update id gaps in the last ${minutes} min`, { topic, gaps: n });
    this.#gapsThisPeriod.clear();
  }

  /** Invalidates a book after a corrupt push and asks for a snapshot, at most once per re-sync window. */
  #distrustBook(topic: string, book: OrderBook, why: string): void {
    book.invalidate();
    this.#lastTop.delete(topic);
    if (this.#resyncTimers.has(topic)) return; // a re-sync is under way; its deadline reconnects if it fails
    this.#resync(topic, why);
  }

  #resync(topic: string, why: string): void {
    this.#c.resyncs++;
    this.#o.log.info('order book out of sequence; re-subscribing for a snapshot', { topic, why });
    this.#o.connection()?.resubscribe(topic);
    if (this.#resyncTimers.has(topic)) return;
    const t = setTimeout(() => {
      this.#resyncTimers.delete(topic);
      if (this.#books.get(topic)?.valid === true) return;
      this.#c.resyncReconnects++;
      this.#o.connection()?.reconnect(`no order-book snapshot for ${topic} after a re-subscribe`);
    }, this.#o.resyncTimeoutMs ?? 5000);
    t.unref();
    this.#resyncTimers.set(topic, t);
  }

  #clearResync(topic: string): void {
    const t = this.#resyncTimers.get(topic);
    if (t !== undefined) clearTimeout(t);
    this.#resyncTimers.delete(topic);
  }
}
