/**
 * Bad WebSocket frames against the real stream code (BybitStreams → WsConnection → ws) over loopback
 * (../exchange/bybit/fakeBybitWs.ts): each corpus frame (./corpus.ts) must leave a warning or error
 * in the log that names what was wrong, must not reach the engine, and must not stop the stream: the
 * good frame sent after it is still delivered.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { Candle, Fill, Order, Position } from '../../src/domain/types.js';
import type { Balance, BookTop } from '../../src/engine/exchangePort.js';
import { BybitStreams, type StreamRestSource } from '../../src/exchange/bybit/bybitStreams.js';
import { fixedSigningClock } from '../../src/exchange/bybit/signingClock.js';
import { MAX_FRAME_BYTES } from '../../src/exchange/bybit/wsConnection.js';
import { startFakeBybitWs, until, type FakeBybitWs } from '../exchange/bybit/fakeBybitWs.js';
import {
  BAD_BOOK_FRAMES,
  BAD_PRIVATE_FRAMES,
  BAD_PUBLIC_FRAMES,
  BOOK_SNAPSHOT,
  BTC_BAND,
  bookDelta,
  goodExecution,
  goodKline,
  goodOrder,
  goodPosition,
  goodWallet,
  klineFrame,
  STEP,
  SYMBOL,
  T0,
  type BadFrame,
} from './corpus.js';
import { recordingLogger, type RecordingLogger } from './recordingLogger.js';

/** REST as the streams see it: no candles to fill gaps with, no history, BTCUSDT's price band. */
function quietRest(): StreamRestSource {
  return {
    fetchCandles: async () => [],
    fetchCandlesBetween: async () => [],
    fetchOpenOrders: async () => [],
    fetchOrder: async () => null,
    fetchPositions: async () => [],
    fetchBalance: async () => ({ equity: dec(1000), walletBalance: dec(1000), available: dec(1000) }),
    recentFills: async () => [],
    priceBand: (symbol) => (symbol === SYMBOL ? BTC_BAND : null),
  };
}

const TIMING = { pingIntervalMs: 1000, pongTimeoutMs: 2000, backoff: { baseMs: 5, maxMs: 20, minMs: 1 } };

interface Seen {
  candles: Candle[];
  tops: BookTop[];
  fills: Fill[];
  orders: Order[];
  positions: Position[];
  balances: Balance[];
}

let pub: FakeBybitWs;
let priv: FakeBybitWs;
let streams: BybitStreams | null = null;

beforeEach(async () => {
  [pub, priv] = await Promise.all([startFakeBybitWs(), startFakeBybitWs()]);
  pub.onSubscribe = (conn, topics) => {
    if (topics.includes(BOOK_SNAPSHOT.topic)) conn.socket.send(JSON.stringify(BOOK_SNAPSHOT));
  };
});
afterEach(async () => {
  await streams?.close();
  streams = null;
  await Promise.all([pub.close(), priv.close()]);
});

async function start(opts: { book: boolean; keys: boolean }): Promise<{ s: BybitStreams; log: RecordingLogger; seen: Seen }> {
  const log = recordingLogger();
  const seen: Seen = { candles: [], tops: [], fills: [], orders: [], positions: [], balances: [] };
  const s = new BybitStreams({
    wsPublicUrl: pub.url,
    wsPrivateUrl: priv.url,
    credentials: opts.keys ? { apiKey: 'ws-key-123456', apiSecret: 'ws-secret-123456' } : null,
    clock: fixedSigningClock(),
    rest: quietRest(),
    timing: TIMING,
    publicDataStaleAfterMs: 60_000,
    gapPollMs: 60_000,
    resyncTimeoutMs: 10_000,
    logger: log,
  });
  streams = s;
  await s.start([{ symbol: SYMBOL, intervalMinutes: 1, book: opts.book }], {
    onCandle: (_s, _i, c, confirmed) => confirmed && seen.candles.push(c),
    onBookTop: (t) => seen.tops.push(t),
    onFill: (f) => seen.fills.push(f),
    onOrder: (o) => seen.orders.push(o),
    onPosition: (p) => seen.positions.push(p),
    onBalance: (b) => seen.balances.push(b),
  });
  const server = opts.keys ? priv : pub;
  await server.waitForConnections(1);
  await until(() => server.latest()!.frames.some((f) => f['op'] === 'subscribe'), 'subscribed');
  return { s, log, seen };
}

function send(server: FakeBybitWs, frame: unknown): void {
  const socket = server.latest()!.socket;
  if (Buffer.isBuffer(frame)) socket.send(frame, { binary: true });
  else socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
}

async function expectLogged(log: RecordingLogger, bad: BadFrame): Promise<void> {
  await until(() => log.problems(bad.log).length > 0, `a log line naming "${bad.log}"\n${log.dump()}`, 2000);
}

describe('public stream: bad kline and envelope frames', () => {
  it.each(BAD_PUBLIC_FRAMES.map((b) => [b.name, b] as const))('%s: logged, dropped, and the next candle still arrives', async (_name, bad) => {
    const { log, seen } = await start({ book: false, keys: false });
    send(pub, klineFrame([goodKline(0)]));
    await until(() => seen.candles.length === 1, 'the first good candle');
    send(pub, bad.frame);
    await expectLogged(log, bad);
    send(pub, klineFrame([goodKline(1)]));
    await until(() => seen.candles.length === 2, 'the good candle after the bad frame');
    expect(seen.candles.map((c) => [c.ts, c.close]), 'only the two good candles reach the engine').toEqual([
      [T0, 100.5],
      [T0 + STEP, 101.5],
    ]);
  });

  it('one corrupt kline in a batch does not drop its good neighbour', async () => {
    const { log, seen } = await start({ book: false, keys: false });
    send(pub, klineFrame([goodKline(0), { ...goodKline(1), close: 'NaN' }]));
    await until(() => seen.candles.length === 1 && log.problems('kline close "NaN"').length === 1, 'the good one, and the bad one logged');
    expect(seen.candles[0]!.close).toBe(100.5);
  });

  it(`a frame over ${MAX_FRAME_BYTES / 1048576} MiB is refused (not buffered and parsed), the stream reconnects and goes on`, async () => {
    const { s, log, seen } = await start({ book: false, keys: false });
    const huge = JSON.stringify(klineFrame([{ ...goodKline(0), turnover: 'x'.repeat(MAX_FRAME_BYTES + 1024) }]));
    send(pub, huge);
    await until(() => log.problems('bad frame from the server', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH').length === 1, `the size refusal logged\n${log.dump()}`);
    await pub.waitForConnections(2);
    await until(() => pub.latest()!.frames.some((f) => f['op'] === 'subscribe'), 'subscribed again');
    send(pub, klineFrame([goodKline(0)]));
    await until(() => seen.candles.length === 1, 'a candle on the new connection');
    expect(s.counters().public.reconnects).toBe(1);
  });

  it('a flood of unknown-topic pushes is reported once per topic, not once per push', async () => {
    const { log, seen } = await start({ book: false, keys: false });
    for (let i = 0; i < 50; i++) send(pub, { topic: `publicTrade.${SYMBOL}`, data: [{ p: '1e12' }] });
    send(pub, klineFrame([goodKline(0)]));
    await until(() => seen.candles.length === 1, 'the candle after the flood');
    expect(log.problems('did not subscribe', `publicTrade.${SYMBOL}`)).toHaveLength(1);
  });
});

describe('public stream: bad order-book frames', () => {
  it.each(BAD_BOOK_FRAMES.map((b) => [b.name, b] as const))('%s: logged, no top of book from it, and the book recovers', async (_name, bad) => {
    const { s, log, seen } = await start({ book: true, keys: false });
    await until(() => seen.tops.length === 1, 'the top from the snapshot');
    send(pub, bad.frame);
    await expectLogged(log, bad);
    // Whatever the bad frame did to the book, a snapshot is back (re-sent on the re-subscribe).
    await until(() => s.book(SYMBOL)?.valid === true && s.book(SYMBOL)!.updateId === 10, 'the book valid again');
    send(pub, bookDelta([['99.5', '2']], []));
    await until(() => seen.tops.some((t) => t.bidPrice === 99.5), 'the good delta after the bad frame');
    for (const t of seen.tops) {
      expect(t.bidPrice < t.askPrice && t.bidPrice >= BTC_BAND.min && t.askPrice <= BTC_BAND.max, `sane top ${JSON.stringify(t)}`).toBe(true);
    }
    expect(s.book(SYMBOL)!.levels().bids[0], 'nothing of the bad frame is left in the book').toEqual(['99.5', '2']);
  });
});

describe('private stream: bad order, execution, position and wallet pushes', () => {
  it.each(BAD_PRIVATE_FRAMES.map((b) => [b.name, b] as const))('%s: logged, not booked, and the next fill is', async (_name, bad) => {
    const { log, seen } = await start({ book: false, keys: true });
    send(priv, bad.frame);
    await expectLogged(log, bad);
    send(priv, { id: 'g', topic: 'execution', creationTime: T0, data: [goodExecution('good-1')] });
    send(priv, { id: 'g', topic: 'order', creationTime: T0, data: [goodOrder()] });
    send(priv, { id: 'g', topic: 'position', creationTime: T0, data: [goodPosition()] });
    send(priv, { id: 'g', topic: 'wallet', creationTime: T0, data: [goodWallet()] });
    await until(() => seen.fills.length === 1 && seen.orders.length === 1 && seen.positions.length === 1 && seen.balances.length === 1, 'the good pushes after the bad one');
    expect(seen.fills.map((f) => [f.execId, f.price.toFixed(), f.qty.toFixed()]), 'only the good fill reaches the ledger').toEqual([['good-1', '100.5', '0.01']]);
    expect(seen.orders[0]!.qty.toFixed()).toBe('0.01');
    expect(seen.positions[0]!.size.toFixed()).toBe('0.01');
    expect(seen.balances[0]!.equity.toFixed()).toBe('1000.5');
  });

  it('an execution dropped as absurd logs at error level (the ledger may miss a fill until REST reconciles)', async () => {
    const { log } = await start({ book: false, keys: true });
    send(priv, { id: 'x', topic: 'execution', creationTime: T0, data: [{ ...goodExecution('e-0'), execPrice: '0' }] });
    await until(() => log.problems('execPrice "0"').length === 1, 'logged');
    expect(log.problems('execPrice "0"')[0]!.level).toBe('error');
  });
});
