/**
 * Bybit's public and private streams turned into the engine's events (issue 4, item 3; STYLE point 9).
 *
 * Public (`/v5/public/linear`): `kline.{interval}.{symbol}` → confirmed candles exactly once and in
 * order; `orderbook.50.{symbol}` → a local book → top-of-book events when the top changes, re-synced
 * on any `u` gap (./publicFeed.ts). Private (`/v5/private`, auth with the corrected clock): `order`,
 * `execution`, `position`, `wallet` → domain events, fills de-duplicated by execId (./privateFeed.ts).
 * This class owns the two connections, their health and the gap filling.
 *
 * Gaps: when a stream goes stale or drops, and again when it is back, REST fills in what it missed:
 * confirmed klines since the last delivered one; open orders, positions, balance, and executions since
 * the last one seen (plus the orders those executions belong to). While a stream stays down that is
 * repeated every `gapPollMs`, so a long outage costs a few REST calls a minute, not a missed fill.
 */
import { createHmac } from 'node:crypto';
import { ClockNotTrustedError } from '../../domain/exchangeErrors.js';
import type { Fill } from '../../domain/types.js';
import type { ExchangeEvents, MarketSubscription, StreamHealth, StreamName } from '../../engine/exchangePort.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { BybitCredentials } from './bybitCredentials.js';
import { errorText } from './errorText.js';
import type { KlineCounters } from './klineSequencer.js';
import type { OrderBook } from './orderBook.js';
import { PrivateFeed, type PrivateRestSource } from './privateFeed.js';
import { PublicFeed, type PublicRestSource } from './publicFeed.js';
import { untrustedReason, type SigningClock } from './signingClock.js';
import { StreamEventSink } from './streamEventSink.js';
import { WsConnection, type WsState } from './wsConnection.js';
import type { WsCounters } from './wsConnectionOptions.js';
import type { WsTiming } from './wsTiming.js';

/** What the streams need from REST to fill gaps (BybitRest has all of it). */
export interface StreamRestSource extends PublicRestSource, PrivateRestSource {}

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

export class BybitStreams {
  readonly #opts: BybitStreamsOptions;
  readonly #log: Logger;
  readonly #rest: StreamRestSource;
  readonly #clock: SigningClock;
  readonly #sink: StreamEventSink;
  readonly #publicFeed: PublicFeed;
  readonly #privateFeed: PrivateFeed;
  #public: WsConnection | null = null;
  #private: WsConnection | null = null;
  readonly #everOpen = new Set<StreamName>();
  readonly #pollTimers = new Map<StreamName, NodeJS.Timeout>();
  #symbols: string[] = [];
  #closed = false;

  constructor(opts: BybitStreamsOptions) {
    this.#opts = opts;
    this.#log = (opts.logger ?? silentLogger).child('streams');
    this.#rest = opts.rest;
    this.#clock = opts.clock;
    this.#sink = new StreamEventSink(this.#log);
    this.#publicFeed = new PublicFeed({
      rest: opts.rest,
      sink: this.#sink,
      log: this.#log,
      clock: opts.clock,
      connection: () => this.#public,
      bookDepth: opts.bookDepth,
      klineRetryMs: opts.klineRetryMs,
      resyncTimeoutMs: opts.resyncTimeoutMs,
    });
    this.#privateFeed = new PrivateFeed({ rest: opts.rest, sink: this.#sink, log: this.#log, symbols: () => this.#symbols, closed: () => this.#closed });
  }

  /** Marks fills as already known (the adapter's own fetchFills), so the stream never repeats them. */
  markFillsSeen(fills: readonly Fill[]): void {
    this.#privateFeed.markFillsSeen(fills);
  }

  /**
   * Opens the streams. Fills that already exist when this is called are history, not events: call it
   * before reconciling with `fetchFills` so that nothing falls between the two.
   */
  async start(markets: readonly MarketSubscription[], events: ExchangeEvents): Promise<void> {
    this.#sink.events = events;
    this.#symbols = [...new Set(markets.map((m) => m.symbol))];
    const topics: string[] = [];
    for (const m of markets) topics.push(...this.#publicFeed.add(m));
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
          onData: (m, at) => this.#publicFeed.onPush(m, at),
          onHealth: (h, d) => this.#onHealth('public', h, d),
          onSubscribeFailed: (msg, t) => this.#sink.events.onStreamHealth?.('public', this.#public?.health ?? 'open', `subscribe refused (${t.join(',')}): ${msg}`),
        },
      );
      this.#public.subscribe(topics);
      this.#public.start();
    }
    this.#publicFeed.startKlines();
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
          onData: (m) => this.#privateFeed.onPush(m),
          onHealth: (h, d) => this.#onHealth('private', h, d),
          onAuthFailed: () => void this.#clock.remeasureNow(),
          onSubscribeFailed: (msg, t) => this.#sink.events.onStreamHealth?.('private', this.#private?.health ?? 'open', `subscribe refused (${t.join(',')}): ${msg}`),
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
    this.#publicFeed.close();
    this.#privateFeed.stop();
    await Promise.all([this.#public?.close(), this.#private?.close()]);
    await this.#privateFeed.settled();
  }

  /** The current book of a symbol as wire strings (tests compare it with the exchange's). */
  book(symbol: string): OrderBook | null {
    return this.#publicFeed.book(symbol);
  }

  counters(): StreamCounters {
    const conn = (c: WsConnection | null) => (c === null ? null : { ...c.counters, state: c.state, health: c.health });
    const pub = this.#publicFeed.counters();
    const priv = this.#privateFeed.counters();
    return {
      public: conn(this.#public) ?? { opens: 0, reconnects: 0, pongTimeouts: 0, staleDrops: 0, authFailures: 0, subscribeFailures: 0, messages: 0, state: 'idle', health: 'closed' },
      private: conn(this.#private),
      klines: pub.klines,
      book: pub.book,
      fills: priv.fills,
      gapFills: { public: this.#publicFeed.gapFills, private: priv.gapFills, errors: priv.gapFillErrors },
      wireErrors: this.#sink.wireErrors,
      lag: pub.lag,
    };
  }

  // ---- health and gap filling ----

  #onHealth(stream: StreamName, health: StreamHealth, detail: string): void {
    if (this.#closed && health !== 'closed') return;
    this.#log.info(`${stream} stream ${health}`, { detail });
    try {
      this.#sink.events.onStreamHealth?.(stream, health, detail);
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
    if (stream === 'public' && health === 'reconnecting') this.#publicFeed.invalidateBooks();
    this.#fillGap(stream);
    this.#startPoll(stream);
  }

  #startPoll(stream: StreamName): void {
    if (stream === 'private' && this.#opts.credentials !== null) this.#privateFeed.streamDown(true);
    if (this.#pollTimers.has(stream) || this.#closed) return;
    const t = setInterval(() => this.#fillGap(stream), this.#opts.gapPollMs ?? 15_000);
    this.#pollTimers.set(stream, t);
  }

  #stopPoll(stream: StreamName): void {
    if (stream === 'private') this.#privateFeed.streamDown(false);
    const t = this.#pollTimers.get(stream);
    if (t !== undefined) clearInterval(t);
    this.#pollTimers.delete(stream);
  }

  #fillGap(stream: StreamName): void {
    if (this.#closed) return;
    if (stream === 'public') {
      this.#publicFeed.catchUp();
      return;
    }
    if (this.#opts.credentials === null) return;
    this.#privateFeed.fillGap();
  }
}
