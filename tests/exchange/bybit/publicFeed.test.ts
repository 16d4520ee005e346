/**
 * The public feed on its own: pushes in, engine events and re-sync requests out. Klines reach the
 * engine in order, a book emits a top only when it changes, and a sequence gap or a corrupt top asks
 * the connection for a snapshot, then for a reconnect when none comes (reference/bybit-v5.md section 2).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Candle } from '../../../src/domain/types.js';
import type { BookTop } from '../../../src/engine/exchangePort.js';
import { PublicFeed, type PublicRestSource } from '../../../src/exchange/bybit/publicFeed.js';
import { StreamEventSink } from '../../../src/exchange/bybit/streamEventSink.js';
import { goodKline, klineFrame, SYMBOL, T0 } from '../../badInput/corpus.js';
import { recordingLogger } from '../../badInput/recordingLogger.js';
import { until } from './fakeBybitWs.js';

const BOOK_TOPIC = `orderbook.50.${SYMBOL}`;

function bookFrame(type: 'snapshot' | 'delta', u: number, bids: [string, string][], asks: [string, string][]): Record<string, unknown> {
  return { topic: BOOK_TOPIC, type, ts: T0, data: { s: SYMBOL, b: bids, a: asks, u, seq: u } };
}

let feeds: PublicFeed[] = [];
afterEach(() => {
  for (const f of feeds) f.close();
  feeds = [];
});

function make(rest: Partial<PublicRestSource> = {}, resyncTimeoutMs = 50, gap: { gapResyncMinMs?: number; gapReportMs?: number } = {}) {
  const log = recordingLogger();
  const sink = new StreamEventSink(log);
  const candles: [Candle, boolean][] = [];
  const tops: BookTop[] = [];
  sink.events = { onCandle: (_s, _i, c, confirmed) => candles.push([c, confirmed]), onBookTop: (t) => tops.push(t) };
  const resync: string[] = [];
  const feed = new PublicFeed({
    rest: { fetchCandles: async () => [], fetchCandlesBetween: async () => [], ...rest },
    sink,
    log,
    clock: { now: () => Date.now() + 1000 },
    connection: () => ({ resubscribe: (t) => resync.push(`resubscribe ${t}`), reconnect: (r) => resync.push(`reconnect: ${r}`) }),
    resyncTimeoutMs,
    ...gap,
  });
  feeds.push(feed);
  return { feed, sink, log, candles, tops, resync };
}

describe('PublicFeed', () => {
  it('names each kline and book topic once, however often a market is added', () => {
    const { feed } = make();
    expect(feed.add({ symbol: SYMBOL, intervalMinutes: 1, book: true })).toEqual([`kline.1.${SYMBOL}`, BOOK_TOPIC]);
    expect(feed.add({ symbol: SYMBOL, intervalMinutes: 1, book: true })).toEqual([]);
    expect(feed.add({ symbol: SYMBOL, intervalMinutes: 5, book: false })).toEqual([`kline.5.${SYMBOL}`]);
  });

  it('passes confirmed klines to the engine in order and measures the lag on the corrected clock', () => {
    const { feed, candles } = make();
    feed.add({ symbol: SYMBOL, intervalMinutes: 1, book: false });
    feed.onPush(klineFrame([goodKline(0)]), T0 + 500);
    feed.onPush(klineFrame([goodKline(1)]), T0 + 500);
    expect(candles.map(([c, confirmed]) => [c.ts - T0, confirmed])).toEqual([
      [0, true],
      [60_000, true],
    ]);
    const lag = feed.counters().lag;
    expect(lag.lastMs, 'received 500 ms after ts, on a clock 1 s ahead').toBeGreaterThanOrEqual(1499);
    expect(lag.lastMs).toBeLessThanOrEqual(1501);
  });

  it('drops a malformed kline push with a warning, keeps its good neighbours, and counts it', () => {
    const { feed, sink, log, candles } = make();
    feed.add({ symbol: SYMBOL, intervalMinutes: 1, book: false });
    feed.onPush(klineFrame([goodKline(0), { ...goodKline(1), start: T0 + 60_001 }]), T0);
    expect(candles).toHaveLength(1);
    expect(sink.wireErrors).toBe(1);
    expect(log.problems('dropped a malformed public message', 'not on a 1-minute boundary')).toHaveLength(1);
    feed.onPush(klineFrame({ not: 'an array' }), T0);
    expect(log.problems('kline data is object, not an array')).toHaveLength(1);
  });

  it('reports a topic it never set up, once', () => {
    const { feed, sink, log } = make();
    feed.onPush(klineFrame([goodKline(0)], 'tickers.BTCUSDT'), T0);
    feed.onPush(klineFrame([goodKline(0)], 'tickers.BTCUSDT'), T0);
    expect(sink.wireErrors).toBe(2);
    expect(log.problems('ignoring pushes on a topic the public stream did not subscribe to')).toHaveLength(1);
  });

  it('emits the top of book only when it changes', () => {
    const { feed, tops } = make();
    feed.add({ symbol: SYMBOL, intervalMinutes: 1, book: true });
    feed.onPush(bookFrame('snapshot', 1, [['100.0', '1']], [['100.5', '2']]), T0);
    feed.onPush(bookFrame('delta', 2, [['99.0', '1']], []), T0);
    feed.onPush(bookFrame('delta', 3, [['100.0', '3']], []), T0);
    expect(tops.map((t) => [t.bidPrice, t.bidQty, t.askPrice])).toEqual([
      [100, 1, 100.5],
      [100, 3, 100.5],
    ]);
    expect(feed.book(SYMBOL)?.valid).toBe(true);
    expect(feed.counters().book.topEvents).toBe(2);
  });

  it('an update-id jump keeps the book and its tops, asks for a snapshot at most once a minute, never reconnects', async () => {
    const { feed, resync, tops, log } = make({}, 30);
    feed.add({ symbol: SYMBOL, intervalMinutes: 1, book: true });
    feed.onPush(bookFrame('snapshot', 1, [['100.0', '1']], [['100.5', '2']]), T0);
    // Ids that always jump (the docs do not promise steps of 1): every delta still moves the top.
    for (let i = 1; i <= 20; i++) feed.onPush(bookFrame('delta', 1 + 3 * i, [[`${100 + i / 100}`, '1']], []), T0);
    expect(tops.length, 'quoting goes on through the jumps').toBe(21);
    expect(tops[tops.length - 1]!.bidPrice).toBe(100.2);
    expect(resync, 'one re-sync for 20 jumps within a minute').toEqual([`resubscribe ${BOOK_TOPIC}`]);
    await new Promise((r) => setTimeout(r, 100));
    expect(resync, 'the book stayed valid: no reconnect').toEqual([`resubscribe ${BOOK_TOPIC}`]);
    expect(feed.counters().book).toMatchObject({ gaps: 20, resyncs: 1, resyncReconnects: 0 });
    expect(log.lines.filter((l) => /update id jumped/.test(l.message))).toHaveLength(1);
  });

  it('re-syncs again for a gap once the minute has passed, and logs the gaps per period', async () => {
    const { feed, resync, log } = make({}, 30, { gapResyncMinMs: 60, gapReportMs: 120 });
    feed.add({ symbol: SYMBOL, intervalMinutes: 1, book: true });
    feed.onPush(bookFrame('snapshot', 1, [['100.0', '1']], [['100.5', '2']]), T0);
    feed.onPush(bookFrame('delta', 3, [], []), T0);
    feed.onPush(bookFrame('delta', 5, [], []), T0);
    await new Promise((r) => setTimeout(r, 80));
    feed.onPush(bookFrame('delta', 7, [], []), T0);
    expect(resync).toEqual([`resubscribe ${BOOK_TOPIC}`, `resubscribe ${BOOK_TOPIC}`]);
    await until(() => log.lines.some((l) => /order book update id gaps in the last/.test(l.message)), 'the periodic gap report');
    const report = log.lines.find((l) => /order book update id gaps in the last/.test(l.message))!;
    expect(report.fields).toMatchObject({ topic: BOOK_TOPIC, gaps: 3 });
  });

  it('a corrupt level still distrusts the book: a snapshot in time ends the re-sync without a reconnect', async () => {
    const { feed, resync } = make({}, 80);
    feed.add({ symbol: SYMBOL, intervalMinutes: 1, book: true });
    feed.onPush(bookFrame('snapshot', 1, [['100.0', '1']], [['100.5', '2']]), T0);
    feed.onPush(bookFrame('delta', 2, [['-5', '1']], []), T0);
    expect(feed.book(SYMBOL)?.valid).toBe(false);
    feed.onPush(bookFrame('snapshot', 10, [['100.0', '1']], [['100.5', '2']]), T0);
    await new Promise((r) => setTimeout(r, 150));
    expect(resync).toEqual([`resubscribe ${BOOK_TOPIC}`]);
  });

  it('distrusts a crossed book: no top for the engine, a snapshot asked for', () => {
    const { feed, tops, resync, log } = make();
    feed.add({ symbol: SYMBOL, intervalMinutes: 1, book: true });
    feed.onPush(bookFrame('snapshot', 1, [['101.0', '1']], [['100.5', '2']]), T0);
    expect(tops).toEqual([]);
    expect(resync).toEqual([`resubscribe ${BOOK_TOPIC}`]);
    expect(feed.book(SYMBOL)?.valid).toBe(false);
    expect(log.problems('crossed book: best bid 101 >= best ask 100.5')).toHaveLength(1);
  });

  it('asks every kline sequencer to catch up, and invalidates every book on request', async () => {
    const asked: number[] = [];
    const { feed } = make({ fetchCandlesBetween: async () => [], fetchCandles: async (_s, _i, since) => (asked.push(since), []) });
    feed.add({ symbol: SYMBOL, intervalMinutes: 1, book: true, afterCandleTs: T0 });
    feed.onPush(bookFrame('snapshot', 1, [['100.0', '1']], [['100.5', '2']]), T0);
    feed.catchUp();
    await until(() => asked.length > 0, 'a REST catch-up');
    expect(asked[0], 'from the candle after the start point').toBe(T0 + 60_000);
    expect(feed.gapFills).toBe(1);
    feed.invalidateBooks();
    expect(feed.book(SYMBOL)?.valid).toBe(false);
  });
});
