/**
 * Bybit's public and private streams turned into the engine's events (issue 4, item 3; STYLE point 9).
 *
 * Public (`/v5/public/linear`): `kline.{interval}.{symbol}` → confirmed candles exactly once and in
 * order (./klineSequencer.ts); `orderbook.50.{symbol}` → a local book (./orderBook.ts) → top-of-book
 * events when the top changes, re-synced (re-subscribe, then reconnect if no snapshot comes) on any
 * `u` gap. Private (`/v5/private`, auth with the corrected clock): `order`, `execution`, `position`,
 * `wallet` → domain events, fills de-duplicated by execId.
 *
 * Gaps: when a stream goes stale or drops, and again when it is back, REST fills in what it missed:
 * confirmed klines since the last delivered one; open orders, positions, balance, and executions since
 * the last one seen (plus the orders those executions belong to). While a stream stays down that is
 * repeated every `gapPollMs`, so a long outage costs a few REST calls a minute, not a missed fill.
 */
import { createHmac } from 'node:crypto';
import { ClockNotTrustedError } from '../../domain/exchangeErrors.js';
import type { Candle, Fill, Order, Position } from '../../domain/types.js';
import type { Balance, BookTop, ExchangeEvents, MarketSubscription, StreamHealth, StreamName } from '../../engine/exchangePort.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { isWireBookData, parseWire, WireBookData, WireError, WireExecution, WireOrder, WirePosition, WireWallet, WireWsKline } from './bybitWire.js';
import type { BybitCredentials } from './bybitRest.js';
import { KlineSequencer, type KlineCounters } from './klineSequencer.js';
import { badBookLevel, OrderBook } from './orderBook.js';
import { untrustedReason, type SigningClock } from './signingClock.js';
import {
  balanceFromWire,
  candleFromWsKline,
  candleOutsideBand,
  fillFromWire,
  intervalToWire,
  isFillExecution,
  orderFromWire,
  outsideBand,
  positionFromWire,
  type PriceBand,
} from './wireToDomain.js';
import { WsConnection, type WsState } from './wsConnection.js';
import type { WsCounters } from './wsConnectionOptions.js';
import type { WsTiming } from './wsTiming.js';

/** What the streams need from REST to fill gaps (BybitRest has all of it). */
export interface StreamRestSource {
  fetchCandles(symbol: string, intervalMinutes: number, sinceMs: number, limit: number): Promise<readonly Candle[]>;
  fetchCandlesBetween(symbol: string, intervalMinutes: number, fromMs: number, toMs: number): Promise<readonly Candle[]>;
  fetchOpenOrders(symbol: string): Promise<readonly Order[]>;
  fetchOrder(symbol: string, orderLinkId: string): Promise<Order | null>;
  fetchPositions(symbols: readonly string[]): Promise<readonly Position[]>;
  fetchBalance(): Promise<Balance>;
  /** Newest executions, back to `stopBeforeMs` (or the first `maxPages` pages). */
  recentFills(symbol: string, stopBeforeMs: number | null, maxPages?: number): Promise<readonly Fill[]>;
  /** Bybit's price limits of a loaded instrument: pushed prices outside them are corrupt. */
  priceBand?(symbol: string): PriceBand | null;
}

export interface BybitStreamsOptions {
  readonly wsPublicUrl: string;
  readonly wsPrivateUrl: string;
  /** Null: public streams only. */
  readonly credentials: BybitCredentials | null;
  readonly clock: SigningClock;
  readonly rest: StreamRestSource;
  /** Per-connection timing; the public stream also gets `publicDataStaleAfterMs`. */
  readonly timing?: Partial<WsTiming>;
  /** No topic data on the public stream for this long: stale (klines push at least every 60 s). */
  readonly publicDataStaleAfterMs?: number;
  /** Repeat the REST gap fill this often while a stream is down. */
  readonly gapPollMs?: number;
  /** A book re-sync that brings no snapshot within this long reconnects the public stream. */
  readonly resyncTimeoutMs?: number;
  /** Order-book depth topic (1, 50, 200 or 1000). */
  readonly bookDepth?: number;
  /** Retry delay for a failed kline gap fill. */
  readonly klineRetryMs?: number;
  readonly logger?: Logger;
  readonly random?: () => number;
}

export interface StreamCounters {
  readonly public: WsCounters & { readonly state: WsState; readonly health: StreamHealth };
  readonly private: (WsCounters & { readonly state: WsState; readonly health: StreamHealth }) | null;
  readonly klines: KlineCounters;
  readonly book: { readonly gaps: number; readonly resyncs: number; readonly resyncReconnects: number; readonly topEvents: number };
  readonly fills: { readonly delivered: number; readonly duplicatesDropped: number; readonly recovered: number };
  readonly gapFills: { readonly public: number; readonly private: number; readonly errors: number };
  /** Pushes dropped because they were malformed or absurd (each one logged). */
  readonly wireErrors: number;
  /** Arrival (corrected clock) minus the message's `ts`, ms. */
  readonly lag: { readonly lastMs: number | null; readonly maxMs: number | null };
}

/** Execution ids remembered for de-duplication; old ones are forgotten first. */
const SEEN_FILLS_CAP = 20_000;
/** Executions re-read before the newest one seen, to cover clock and ordering slack. */
const FILL_OVERLAP_MS = 60_000;

/** Private topics we subscribe to (and their per-category forms, `order.linear`…). */
const PRIVATE_TOPICS: ReadonlySet<string> = new Set(['order', 'execution', 'position', 'wallet']);

class RecentIds {
  readonly #ids = new Set<string>();
  constructor(readonly cap: number) {}
  /** True when `id` is new. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.cap) {
      const oldest = this.#ids.values().next();
      if (!oldest.done) this.#ids.delete(oldest.value);
    }
    return true;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class BybitStreams {
  readonly #opts: BybitStreamsOptions;
  readonly #log: Logger;
  readonly #rest: StreamRestSource;
  readonly #clock: SigningClock;
  #events: ExchangeEvents = {};
  #public: WsConnection | null = null;
  #private: WsConnection | null = null;
  readonly #klines = new Map<string, KlineSequencer>();
  readonly #books = new Map<string, OrderBook>();
  readonly #lastTop = new Map<string, BookTop>();
  readonly #resyncTimers = new Map<string, NodeJS.Timeout>();
  readonly #seenFills = new RecentIds(SEEN_FILLS_CAP);
  readonly #everOpen = new Set<StreamName>();
  readonly #pollTimers = new Map<StreamName, NodeJS.Timeout>();
  /** Topics already reported as unexpected (logged once each, not on every push). */
  readonly #unknownTopics = new Set<string>();
  #symbols: string[] = [];
  #lastExecTs: number | null = null;
  #privateFill: Promise<void> | null = null;
  #privateFillAgain = false;
  #closed = false;
  readonly #c = {
    bookGaps: 0,
    resyncs: 0,
    resyncReconnects: 0,
    topEvents: 0,
    fillsDelivered: 0,
    fillDuplicates: 0,
    fillsRecovered: 0,
    publicGapFills: 0,
    privateGapFills: 0,
    gapFillErrors: 0,
    wireErrors: 0,
    lastLagMs: null as number | null,
    maxLagMs: null as number | null,
  };

  constructor(opts: BybitStreamsOptions) {
    this.#opts = opts;
    this.#log = (opts.logger ?? silentLogger).child('streams');
    this.#rest = opts.rest;
    this.#clock = opts.clock;
  }

  /** Marks fills as already known (the adapter's own fetchFills), so the stream never repeats them. */
  markFillsSeen(fills: readonly Fill[]): void {
    for (const f of fills) {
      this.#seenFills.add(f.execId);
      this.#noteExecTs(f.ts);
    }
  }

  /**
   * Opens the streams. Fills that already exist when this is called are history, not events: call it
   * before reconciling with `fetchFills` so that nothing falls between the two.
   */
  async start(markets: readonly MarketSubscription[], events: ExchangeEvents): Promise<void> {
    this.#events = events;
    this.#symbols = [...new Set(markets.map((m) => m.symbol))];
    const depth = this.#opts.bookDepth ?? 50;
    const topics: string[] = [];
    for (const m of markets) {
      const klineTopic = `kline.${intervalToWire(m.intervalMinutes)}.${m.symbol}`;
      if (!this.#klines.has(klineTopic)) {
        const seq = new KlineSequencer(
          m.symbol,
          m.intervalMinutes,
          {
            between: (from, to) => this.#rest.fetchCandlesBetween(m.symbol, m.intervalMinutes, from, to),
            since: (from) => this.#rest.fetchCandles(m.symbol, m.intervalMinutes, from, 2000),
          },
          (candle, confirmed) => this.#events.onCandle?.(m.symbol, m.intervalMinutes, candle, confirmed),
          { afterTs: m.afterCandleTs ?? null, retryMs: this.#opts.klineRetryMs ?? 2000, logger: this.#log },
        );
        this.#klines.set(klineTopic, seq);
        topics.push(klineTopic);
      }
      if (m.book) {
        const bookTopic = `orderbook.${depth}.${m.symbol}`;
        if (!this.#books.has(bookTopic)) {
          this.#books.set(bookTopic, new OrderBook(m.symbol));
          topics.push(bookTopic);
        }
      }
    }
    const timing = this.#opts.timing ?? {};
    if (topics.length > 0) {
      this.#public ??= new WsConnection(
        {
          name: 'public',
          url: this.#opts.wsPublicUrl,
          timing: { ...timing, dataStaleAfterMs: this.#opts.publicDataStaleAfterMs ?? 90_000 },
          logger: this.#log,
          ...(this.#opts.random ? { random: this.#opts.random } : {}),
        },
        {
          onData: (m, at) => this.#onPublic(m, at),
          onHealth: (h, d) => this.#onHealth('public', h, d),
          onSubscribeFailed: (msg, t) => this.#events.onStreamHealth?.('public', this.#public?.health ?? 'open', `subscribe refused (${t.join(',')}): ${msg}`),
        },
      );
      this.#public.subscribe(topics);
      this.#public.start();
    }
    for (const seq of this.#klines.values()) seq.start();
    const creds = this.#opts.credentials;
    if (creds !== null && this.#private === null) {
      // Existing executions are history (see above): remember them before the stream can repeat them.
      await Promise.all(
        this.#symbols.map(async (symbol) => {
          try {
            this.markFillsSeen(await this.#rest.recentFills(symbol, null, 1));
          } catch (err) {
            this.#log.warn('could not read recent executions before subscribing', { symbol, error: errorText(err) });
          }
        }),
      );
      this.#private = new WsConnection(
        {
          name: 'private',
          url: this.#opts.wsPrivateUrl,
          timing: { ...timing, dataStaleAfterMs: null },
          logger: this.#log,
          ...(this.#opts.random ? { random: this.#opts.random } : {}),
          auth: () => this.#authFrame(creds),
        },
        {
          onData: (m) => this.#onPrivate(m),
          onHealth: (h, d) => this.#onHealth('private', h, d),
          onAuthFailed: () => void this.#clock.remeasureNow(),
          onSubscribeFailed: (msg, t) => this.#events.onStreamHealth?.('private', this.#private?.health ?? 'open', `subscribe refused (${t.join(',')}): ${msg}`),
        },
      );
      this.#private.subscribe(['order', 'execution', 'position', 'wallet']);
      this.#private.start();
    }
  }

  /** WS auth (reference section 1): HMAC-SHA256 of "GET/realtime" + expires, expires from the corrected clock. */
  #authFrame(creds: BybitCredentials): Record<string, unknown> {
    if (!this.#clock.isTrusted()) throw new ClockNotTrustedError(untrustedReason(this.#clock));
    const expires = this.#clock.now() + 10_000;
    const signature = createHmac('sha256', creds.apiSecret).update(`GET/realtime${expires}`).digest('hex');
    return { req_id: 'auth', op: 'auth', args: [creds.apiKey, expires, signature] };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#pollTimers.values()) clearInterval(t);
    this.#pollTimers.clear();
    for (const t of this.#resyncTimers.values()) clearTimeout(t);
    this.#resyncTimers.clear();
    for (const seq of this.#klines.values()) seq.close();
    await Promise.all([this.#public?.close(), this.#private?.close()]);
    await this.#privateFill?.catch(() => undefined);
  }

  /** The current book of a symbol as wire strings (tests compare it with the exchange's). */
  book(symbol: string): OrderBook | null {
    for (const b of this.#books.values()) if (b.symbol === symbol) return b;
    return null;
  }

  counters(): StreamCounters {
    const klines: KlineCounters = { delivered: 0, recovered: 0, duplicatesDropped: 0, missingOnExchange: 0, fillErrors: 0, gapsAbandoned: 0 };
    for (const seq of this.#klines.values()) {
      for (const k of Object.keys(klines) as (keyof KlineCounters)[]) klines[k] += seq.counters[k];
    }
    const conn = (c: WsConnection | null) => (c === null ? null : { ...c.counters, state: c.state, health: c.health });
    const c = this.#c;
    return {
      public: conn(this.#public) ?? { opens: 0, reconnects: 0, pongTimeouts: 0, staleDrops: 0, authFailures: 0, subscribeFailures: 0, messages: 0, state: 'idle', health: 'closed' },
      private: conn(this.#private),
      klines,
      book: { gaps: c.bookGaps, resyncs: c.resyncs, resyncReconnects: c.resyncReconnects, topEvents: c.topEvents },
      fills: { delivered: c.fillsDelivered, duplicatesDropped: c.fillDuplicates, recovered: c.fillsRecovered },
      gapFills: { public: c.publicGapFills, private: c.privateGapFills, errors: c.gapFillErrors },
      wireErrors: c.wireErrors,
      lag: { lastMs: c.lastLagMs, maxMs: c.maxLagMs },
    };
  }

  // ---- health and gap filling ----

  #onHealth(stream: StreamName, health: StreamHealth, detail: string): void {
    if (this.#closed && health !== 'closed') return;
    this.#log.info(`${stream} stream ${health}`, { detail });
    try {
      this.#events.onStreamHealth?.(stream, health, detail);
    } catch (err) {
      this.#log.error('onStreamHealth threw', { error: errorText(err) });
    }
    if (health === 'closed') return;
    if (health === 'open') {
      this.#stopPoll(stream);
      // Back after an outage: whatever happened in between comes from REST (the stream dedupes).
      if (this.#everOpen.has(stream)) this.#fillGap(stream);
      this.#everOpen.add(stream);
      return;
    }
    if (stream === 'public' && health === 'reconnecting') {
      for (const [topic, book] of this.#books) {
        book.invalidate();
        this.#clearResync(topic);
      }
    }
    this.#fillGap(stream);
    this.#startPoll(stream);
  }

  #startPoll(stream: StreamName): void {
    if (this.#pollTimers.has(stream) || this.#closed) return;
    const t = setInterval(() => this.#fillGap(stream), this.#opts.gapPollMs ?? 15_000);
    this.#pollTimers.set(stream, t);
  }

  #stopPoll(stream: StreamName): void {
    const t = this.#pollTimers.get(stream);
    if (t !== undefined) clearInterval(t);
    this.#pollTimers.delete(stream);
  }

  #fillGap(stream: StreamName): void {
    if (this.#closed) return;
    if (stream === 'public') {
      this.#c.publicGapFills++;
      for (const seq of this.#klines.values()) seq.catchUp();
      return;
    }
    if (this.#opts.credentials === null) return;
    if (this.#privateFill !== null) {
      this.#privateFillAgain = true;
      return;
    }
    this.#privateFill = (async () => {
      do {
        this.#privateFillAgain = false;
        this.#c.privateGapFills++;
        try {
          await this.#fillPrivateOnce();
        } catch (err) {
          this.#c.gapFillErrors++;
          this.#log.warn('private gap fill failed', { error: errorText(err) });
        }
      } while (this.#privateFillAgain && !this.#closed);
    })().finally(() => {
      this.#privateFill = null;
    });
  }

  async #fillPrivateOnce(): Promise<void> {
    const ev = this.#events;
    const stopBefore = this.#lastExecTs === null ? null : this.#lastExecTs - FILL_OVERLAP_MS;
    for (const symbol of this.#symbols) {
      const fills = await this.#rest.recentFills(symbol, stopBefore, stopBefore === null ? 1 : 20);
      const touched = new Set<string>();
      for (const f of fills) {
        if (this.#deliverFill(f)) {
          this.#c.fillsRecovered++;
          if (f.orderLinkId !== '') touched.add(f.orderLinkId);
        }
      }
      const open = await this.#rest.fetchOpenOrders(symbol);
      for (const o of open) this.#safe(() => ev.onOrder?.(o));
      // Orders that filled while we were away are no longer open: look those up by id.
      for (const linkId of touched) {
        if (open.some((o) => o.orderLinkId === linkId)) continue;
        const o = await this.#rest.fetchOrder(symbol, linkId);
        if (o !== null) this.#safe(() => ev.onOrder?.(o));
      }
    }
    if (this.#symbols.length > 0) {
      for (const p of await this.#rest.fetchPositions(this.#symbols)) this.#safe(() => ev.onPosition?.(p));
    }
    const balance = await this.#rest.fetchBalance();
    this.#safe(() => ev.onBalance?.(balance));
  }

  #noteExecTs(ts: number): void {
    if (this.#lastExecTs === null || ts > this.#lastExecTs) this.#lastExecTs = ts;
  }

  /** True when the fill was new and went to the engine. */
  #deliverFill(f: Fill): boolean {
    if (!this.#seenFills.add(f.execId)) {
      this.#c.fillDuplicates++;
      return false;
    }
    this.#noteExecTs(f.ts);
    this.#c.fillsDelivered++;
    this.#safe(() => this.#events.onFill?.(f));
    return true;
  }

  #safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error('event consumer threw', { error: errorText(err) });
    }
  }

  // ---- public messages ----

  #onPublic(m: Record<string, unknown>, receivedMs: number): void {
    const topic = m['topic'] as string;
    const ts = typeof m['ts'] === 'number' ? m['ts'] : null;
    if (ts !== null) {
      const lag = receivedMs + (this.#clock.now() - Date.now()) - ts;
      this.#c.lastLagMs = lag;
      if (this.#c.maxLagMs === null || lag > this.#c.maxLagMs) this.#c.maxLagMs = lag;
    }
    const seq = this.#klines.get(topic);
    const book = seq === undefined ? this.#books.get(topic) : undefined;
    if (seq === undefined && book === undefined) {
      this.#unexpectedTopic('public', topic);
      return;
    }
    try {
      if (book !== undefined) this.#onBook(topic, book, m, ts ?? receivedMs);
      else if (seq !== undefined) this.#onKline(seq, m);
    } catch (err) {
      this.#c.wireErrors++;
      this.#log.warn('dropped a malformed public message', { topic, error: errorText(err) });
    }
  }

  /** A push on a topic we never asked for (tickers, another symbol…): ignored, and said once. */
  #unexpectedTopic(stream: StreamName, topic: string): void {
    this.#c.wireErrors++;
    if (this.#unknownTopics.has(topic) || this.#unknownTopics.size >= 100) return;
    this.#unknownTopics.add(topic);
    this.#log.warn(`ignoring pushes on a topic the ${stream} stream did not subscribe to`, { topic: topic.slice(0, 80) });
  }

  #band(symbol: string): PriceBand | null {
    return this.#rest.priceBand?.(symbol) ?? null;
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
    const result = book.apply(type, data, ts);
    if (result === 'gap') {
      this.#resync(topic, `update id jumped to ${data.u}`);
      return;
    }
    if (result !== 'applied') return;
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
    this.#safe(() => this.#events.onBookTop?.(top));
  }

  /** Invalidates a book after a corrupt push and asks for a snapshot, at most once per re-sync window. */
  #distrustBook(topic: string, book: OrderBook, why: string): void {
    book.invalidate();
    this.#lastTop.delete(topic);
    if (this.#resyncTimers.has(topic)) return; // a re-sync is under way; its deadline reconnects if it fails
    this.#resync(topic, why);
  }

  #resync(topic: string, why: string): void {
    this.#c.bookGaps++;
    this.#c.resyncs++;
    this.#log.info('order book out of sequence; re-subscribing for a snapshot', { topic, why });
    this.#public?.resubscribe(topic);
    if (this.#resyncTimers.has(topic)) return;
    const t = setTimeout(() => {
      this.#resyncTimers.delete(topic);
      if (this.#books.get(topic)?.valid === true) return;
      this.#c.resyncReconnects++;
      this.#public?.reconnect(`no order-book snapshot for ${topic} after a re-subscribe`);
    }, this.#opts.resyncTimeoutMs ?? 5000);
    t.unref();
    this.#resyncTimers.set(topic, t);
  }

  #clearResync(topic: string): void {
    const t = this.#resyncTimers.get(topic);
    if (t !== undefined) clearTimeout(t);
    this.#resyncTimers.delete(topic);
  }

  // ---- private messages ----

  #onPrivate(m: Record<string, unknown>): void {
    const topic = m['topic'] as string;
    const base = topic.split('.')[0] ?? '';
    if (!PRIVATE_TOPICS.has(base)) {
      this.#unexpectedTopic('private', topic);
      return;
    }
    if (!Array.isArray(m['data'])) {
      this.#c.wireErrors++;
      this.#log.warn('dropped a malformed private message', { topic, error: `data is ${m['data'] === null ? 'null' : typeof m['data']}, not an array` });
      return;
    }
    for (const raw of m['data'] as unknown[]) {
      try {
        if (typeof raw === 'object' && raw !== null && 'category' in raw && (raw as { category: unknown }).category !== 'linear') continue;
        switch (base) {
          case 'order': {
            const o = orderFromWire(parseWire(WireOrder, raw, 'order push'));
            this.#safe(() => this.#events.onOrder?.(o));
            break;
          }
          case 'execution': {
            const w = parseWire(WireExecution, raw, 'execution push');
            if (!isFillExecution(w)) break;
            const fill = fillFromWire(w);
            const outside = outsideBand(fill.price.toNumber(), this.#band(fill.symbol), `execution ${fill.execId} execPrice`);
            // Not marked as seen: if REST later reads a sane version of this execution, it is booked then.
            if (outside !== null) throw new WireError(outside);
            this.#deliverFill(fill);
            break;
          }
          case 'position': {
            const p = positionFromWire(parseWire(WirePosition, raw, 'position push'));
            this.#safe(() => this.#events.onPosition?.(p));
            break;
          }
          case 'wallet': {
            const w = parseWire(WireWallet, raw, 'wallet push');
            if (w.accountType === '' || w.accountType === 'UNIFIED') {
              const b = balanceFromWire(w);
              this.#safe(() => this.#events.onBalance?.(b));
            }
            break;
          }
          default:
            break;
        }
      } catch (err) {
        this.#c.wireErrors++;
        // An execution that cannot be booked is an error for the owner (the ledger may miss a fill
        // until REST reconciles it); a bad order/position/wallet push is replaced by the next one.
        this.#log[base === 'execution' ? 'error' : 'warn']('dropped a malformed private message', { topic, error: errorText(err) });
      }
    }
  }
}
