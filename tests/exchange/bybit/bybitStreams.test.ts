/**
 * Streams → engine events against a loopback `ws` server we control (./fakeBybitWs.ts) and a REST
 * stand-in: the book survives a sequence gap by re-subscribing, klines missed during an outage come
 * from REST in order, and each fill reaches the engine once however often it is pushed or re-read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.js';
import type { Candle, Fill } from '../../../src/domain/types.js';
import type { BookTop, StreamHealth } from '../../../src/engine/exchangePort.js';
import { BybitStreams, type StreamRestSource } from '../../../src/exchange/bybit/bybitStreams.js';
import { fixedSigningClock } from '../../../src/exchange/bybit/signingClock.js';
import { startFakeBybitWs, until, type FakeBybitWs } from './fakeBybitWs.js';

const STEP = 60_000;
const T0 = 1_733_011_200_000;

function candle(i: number): Candle {
  return { ts: T0 + i * STEP, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 10 };
}

function klineMsg(i: number, confirm: boolean) {
  const c = candle(i);
  return {
    topic: 'kline.1.BTCUSDT',
    type: 'snapshot',
    ts: c.ts + STEP - 1,
    data: [{ start: c.ts, end: c.ts + STEP - 1, interval: '1', open: String(c.open), close: String(c.close), high: String(c.high), low: String(c.low), volume: '10', turnover: '1000', confirm, timestamp: c.ts }],
  };
}

function execution(id: string, i: number) {
  return { execId: id, orderId: 'o1', orderLinkId: 'ps-1', symbol: 'BTCUSDT', side: 'Buy', execPrice: '100.5', execQty: '0.010', execFee: '0.0005', execType: 'Trade', isMaker: false, execTime: String(T0 + i), category: 'linear' };
}

function fillOf(id: string, i: number): Fill {
  return { execId: id, orderId: 'o1', orderLinkId: 'ps-1', symbol: 'BTCUSDT', side: 'buy', price: dec('100.5'), qty: dec('0.01'), fee: dec('0.0005'), isMaker: false, ts: T0 + i };
}

function fakeRest(state: { closedUpTo: number; fills: Fill[] }): StreamRestSource & { calls: string[] } {
  const calls: string[] = [];
  const candlesUpTo = (from: number, to: number) => Array.from({ length: 60 }, (_, i) => candle(i)).filter((c) => c.ts >= from && c.ts <= to && c.ts <= state.closedUpTo);
  return {
    calls,
    fetchCandles: async (_s, _i, since) => (calls.push('candles'), candlesUpTo(since, Infinity)),
    fetchCandlesBetween: async (_s, _i, from, to) => (calls.push('between'), candlesUpTo(from, to)),
    fetchOpenOrders: async () => (calls.push('openOrders'), []),
    fetchOrder: async () => (calls.push('order'), null),
    fetchPositions: async () => (calls.push('positions'), []),
    fetchBalance: async () => (calls.push('balance'), { equity: dec(1), walletBalance: dec(1), available: dec(1) }),
    recentFills: async () => (calls.push('fills'), state.fills.slice()),
  };
}

const TIMING = { pingIntervalMs: 40, pongTimeoutMs: 80, backoff: { baseMs: 10, maxMs: 40, minMs: 5 } };

let pub: FakeBybitWs;
let priv: FakeBybitWs;
let streams: BybitStreams[] = [];

beforeEach(async () => {
  [pub, priv] = await Promise.all([startFakeBybitWs(), startFakeBybitWs()]);
});
afterEach(async () => {
  await Promise.all(streams.map((s) => s.close()));
  streams = [];
  await Promise.all([pub.close(), priv.close()]);
});

function make(rest: StreamRestSource, withKeys: boolean) {
  const s = new BybitStreams({
    wsPublicUrl: pub.url,
    wsPrivateUrl: priv.url,
    credentials: withKeys ? { apiKey: 'k-123456', apiSecret: 's-123456' } : null,
    clock: fixedSigningClock(),
    rest,
    timing: TIMING,
    publicDataStaleAfterMs: 5000,
    gapPollMs: 50,
    resyncTimeoutMs: 300,
  });
  streams.push(s);
  return s;
}

describe('BybitStreams: order book', () => {
  it('re-subscribes on a sequence gap and ends with the server’s book', async () => {
    // The server's book, as Bybit would hold it.
    const server = { bids: new Map([['99.0', '5'], ['98.5', '3']]), asks: new Map([['100.0', '4'], ['100.5', '7']]), u: 10 };
    const snapshot = () => ({ topic: 'orderbook.50.BTCUSDT', type: 'snapshot', ts: T0, data: { s: 'BTCUSDT', b: [...server.bids], a: [...server.asks], u: server.u, seq: server.u } });
    pub.onSubscribe = (conn, topics) => {
      if (topics.includes('orderbook.50.BTCUSDT')) conn.socket.send(JSON.stringify(snapshot()));
    };
    const delta = (b: [string, string][], a: [string, string][], send = true) => {
      server.u++;
      for (const [p, q] of b) q === '0' ? server.bids.delete(p) : server.bids.set(p, q);
      for (const [p, q] of a) q === '0' ? server.asks.delete(p) : server.asks.set(p, q);
      if (send) pub.broadcast({ topic: 'orderbook.50.BTCUSDT', type: 'delta', ts: T0 + server.u, data: { s: 'BTCUSDT', b, a, u: server.u, seq: server.u } });
    };
    const tops: BookTop[] = [];
    const s = make(fakeRest({ closedUpTo: 0, fills: [] }), false);
    await s.start([{ symbol: 'BTCUSDT', intervalMinutes: 1, book: true }], { onBookTop: (t) => tops.push(t) });
    await until(() => tops.length === 1, 'top from the snapshot');
    expect(tops[0]).toMatchObject({ bidPrice: 99, bidQty: 5, askPrice: 100, askQty: 4 });
    delta([['99.5', '1']], []);
    await until(() => tops.length === 2, 'a better bid');
    delta([], [['100.0', '0']], false); // lost on the way
    delta([['99.5', '2']], []); // u jumps: applied, and a fresh snapshot is asked for
    await until(() => s.counters().book.resyncs === 1, 'a re-sync');
    const sorted = (m: Map<string, string>, dir: number) => [...m].sort((x, y) => dir * (Number(x[0]) - Number(y[0])));
    const expected = JSON.stringify({ bids: sorted(server.bids, -1), asks: sorted(server.asks, 1) });
    await until(() => s.book('BTCUSDT')?.valid === true && JSON.stringify(s.book('BTCUSDT')!.levels()) === expected, 'the fresh snapshot');
    const unsubscribes = pub.latest()!.frames.filter((f) => f['op'] === 'unsubscribe');
    expect(unsubscribes.length).toBe(1);
    expect(tops[tops.length - 1]).toMatchObject({ bidPrice: 99.5, bidQty: 2, askPrice: 100.5 });
  });
});

describe('BybitStreams: klines', () => {
  it('delivers every confirmed candle once, in order, across a missed confirm and an outage', async () => {
    const state = { closedUpTo: candle(0).ts, fills: [] as Fill[] };
    const rest = fakeRest(state);
    const got: number[] = [];
    const health: StreamHealth[] = [];
    const s = make(rest, false);
    await s.start([{ symbol: 'BTCUSDT', intervalMinutes: 1, book: false }], {
      onCandle: (_sym, _iv, c, confirmed) => confirmed && got.push(c.ts),
      onStreamHealth: (_n, h) => health.push(h),
    });
    await pub.waitForConnections(1);
    await until(() => pub.latest()!.frames.some((f) => f['op'] === 'subscribe'), 'subscribed');
    pub.broadcast(klineMsg(0, true));
    pub.broadcast(klineMsg(1, false));
    state.closedUpTo = candle(2).ts;
    pub.broadcast(klineMsg(2, true)); // 1's confirm was never pushed
    await until(() => got.length === 3, 'three candles');
    // Outage: the connection drops while 3..6 close; REST fills them in.
    state.closedUpTo = candle(6).ts;
    pub.dropAll();
    await until(() => got.length === 7, 'the outage filled from REST');
    await pub.waitForConnections(2);
    await until(() => health[health.length - 1] === 'open', 'reconnected');
    pub.broadcast(klineMsg(6, true)); // the stream repeats the newest one
    state.closedUpTo = candle(7).ts;
    pub.broadcast(klineMsg(7, true));
    await until(() => got.length === 8, 'eight candles');
    expect(got).toEqual(Array.from({ length: 8 }, (_, i) => candle(i).ts));
    const c = s.counters();
    expect(c.public.reconnects).toBe(1);
    expect(c.klines.recovered).toBe(5);
    expect(c.klines.duplicatesDropped).toBeGreaterThanOrEqual(1);
  });
});

describe('BybitStreams: private', () => {
  it('authenticates, and delivers each fill once whether pushed twice or re-read from REST', async () => {
    const state = { closedUpTo: 0, fills: [fillOf('old-1', 0)] };
    const rest = fakeRest(state);
    const fills: string[] = [];
    const orders: string[] = [];
    const s = make(rest, true);
    await s.start([{ symbol: 'BTCUSDT', intervalMinutes: 1, book: false }], { onFill: (f) => fills.push(f.execId), onOrder: (o) => orders.push(o.status) });
    await priv.waitForConnections(1);
    await until(() => priv.latest()!.frames.some((f) => f['op'] === 'subscribe'), 'private subscribed');
    const frames = priv.latest()!.frames;
    expect(frames[0]!['op']).toBe('auth');
    expect((frames.find((f) => f['op'] === 'subscribe')!['args'] as string[]).sort()).toEqual(['execution', 'order', 'position', 'wallet']);
    priv.broadcast({ id: '1', topic: 'execution', creationTime: T0, data: [execution('e-1', 1)] });
    priv.broadcast({ id: '2', topic: 'execution', creationTime: T0, data: [execution('e-1', 1), execution('e-2', 2)] });
    priv.broadcast({ id: '3', topic: 'order', creationTime: T0, data: [{ orderId: 'o1', orderLinkId: 'ps-1', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', price: '0', qty: '0.020', timeInForce: 'IOC', orderStatus: 'Filled', cumExecQty: '0.020', avgPrice: '100.5', reduceOnly: false, createdTime: String(T0), updatedTime: String(T0 + 2), category: 'linear' }] });
    await until(() => fills.length === 2 && orders.length === 1, 'two fills and an order');
    // While disconnected, e-3 happened; REST knows e-1..e-3 (and the pre-subscribe old-1).
    state.fills = [fillOf('old-1', 0), fillOf('e-1', 1), fillOf('e-2', 2), fillOf('e-3', 3)];
    priv.dropAll();
    await until(() => fills.length === 3, 'the missed fill from REST');
    await new Promise((r) => setTimeout(r, 150)); // several more gap polls and the reconnect
    expect(fills, 'old-1 was history at subscribe time; each of the rest exactly once').toEqual(['e-1', 'e-2', 'e-3']);
    expect(orders).toEqual(expect.arrayContaining(['filled']));
    expect(s.counters().fills.duplicatesDropped).toBeGreaterThanOrEqual(3);
    expect(rest.calls).toEqual(expect.arrayContaining(['openOrders', 'positions', 'balance']));
  });
});
