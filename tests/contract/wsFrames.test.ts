/**
 * Contract suite, streams (issue 20): recorded real Bybit V5 stream frames (tests/fixtures/bybit-real
 * ws-*.json, each with its source) sent as recorded by a loopback server to the real BybitStreams
 * (connection, auth, heartbeat, subscriptions, public and private feeds), and the engine events,
 * log lines and counters asserted.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import type { Candle, Fill, Position } from '../../src/domain/types.js';
import type { Balance, BookTop, StreamHealth } from '../../src/engine/exchangePort.js';
import { BybitStreams, type StreamRestSource } from '../../src/exchange/bybit/bybitStreams.js';
import { fixedSigningClock } from '../../src/exchange/bybit/signingClock.js';
import { recordingLogger, type RecordingLogger } from '../badInput/recordingLogger.js';
import { until } from '../exchange/bybit/fakeBybitWs.js';
import { recorded } from './recorded.js';
import { startRecordedWs, type RecordedWs } from './recordedWs.js';

const frame = (file: string, name: string): Record<string, unknown> => recorded(file, name).response;

const rest: StreamRestSource = {
  fetchCandles: async () => [],
  fetchCandlesBetween: async () => [],
  fetchOpenOrders: async () => [],
  fetchOrder: async () => null,
  fetchPositions: async () => [],
  fetchBalance: async () => ({ equity: dec(1), walletBalance: dec(1), available: dec(1) }),
  recentFills: async () => [],
};

let pub: RecordedWs;
let priv: RecordedWs;
let streams: BybitStreams | null = null;
let log: RecordingLogger;
beforeEach(async () => {
  [pub, priv] = await Promise.all([startRecordedWs('/v5/public/linear'), startRecordedWs('/v5/private')]);
  log = recordingLogger();
});
afterEach(async () => {
  await streams?.close();
  streams = null;
  await Promise.all([pub.close(), priv.close()]);
});

interface Seen {
  candles: [string, number, Candle, boolean][];
  tops: BookTop[];
  fills: Fill[];
  positions: Position[];
  balances: Balance[];
  orders: number;
  health: [string, StreamHealth, string][];
}

async function start(withKeys: boolean, book = false, timing: Record<string, unknown> = {}): Promise<Seen> {
  const seen: Seen = { candles: [], tops: [], fills: [], positions: [], balances: [], orders: 0, health: [] };
  streams = new BybitStreams({
    wsPublicUrl: pub.url,
    wsPrivateUrl: priv.url,
    credentials: withKeys ? { apiKey: 'k-123456', apiSecret: 's-123456' } : null,
    clock: fixedSigningClock(),
    rest,
    logger: log,
    timing: { pingIntervalMs: 40, pongTimeoutMs: 200, backoff: { baseMs: 50, maxMs: 100, minMs: 20 }, ...timing },
    publicDataStaleAfterMs: 10_000,
    gapPollMs: 10_000,
  });
  await streams.start([{ symbol: 'BTCUSDT', intervalMinutes: 5, book }], {
    onCandle: (s, i, c, confirmed) => seen.candles.push([s, i, c, confirmed]),
    onBookTop: (t) => seen.tops.push(t),
    onFill: (f) => seen.fills.push(f),
    onPosition: (p) => seen.positions.push(p),
    onBalance: (b) => seen.balances.push(b),
    onOrder: () => seen.orders++,
    onStreamHealth: (s, h, d) => seen.health.push([s, h, d]),
  });
  return seen;
}

describe('contract: private stream', () => {
  it('real auth success (2024-07, with req_id), the docs’ private subscribe answer, then the docs’ order, execution, position and wallet pushes', async () => {
    priv.auth = frame('ws-control', 'auth success on private stream');
    priv.subscribe = frame('ws-control', '#6 [private]');
    priv.pushes = [frame('ws-private', 'order topic'), frame('ws-private', 'execution topic'), frame('ws-private', 'position topic'), frame('ws-private', 'wallet topic')];
    pub.subscribe = frame('ws-control', '#8 [public-future]');
    const seen = await start(true);
    await until(() => seen.balances.length === 1, 'the wallet push');
    // The order push is an option order (ETH-30DEC22-1400-C, category option): not a linear order of ours.
    expect(seen.orders).toBe(0);
    // The fee counts the push's extraFees too (issue 20 item 9): execFee 26.3725275 + a GST of 0.006403779.
    expect(seen.fills.map((f) => [f.symbol, f.side, f.price.toString(), f.qty.toString(), f.fee.toString(), f.isMaker, f.trigger ?? null])).toEqual([['BTCUSDT', 'sell', '95900.1', '0.5', '26.378931279', false, null]]);
    // The docs' position push is a hedge-mode row (positionIdx 2): never read as the position.
    expect(seen.positions).toEqual([]);
    expect(log.lines.filter((l) => l.level === 'error' && /hedge-mode row \(positionIdx 2\)/.test(l.message))).toHaveLength(1);
    expect([seen.balances[0]!.equity.toString(), seen.balances[0]!.available.toString()]).toEqual(['10262.91335023', '9556.6056555']);
    expect(streams!.counters().private).toMatchObject({ authFailures: 0, subscribeFailures: 0 });
  });

  it('real auth failure "Params Error" (2023-12): Bybit’s text in the log and in the stream health, then a new login', async () => {
    priv.auth = frame('ws-control', 'auth failure "Params Error"');
    pub.subscribe = frame('ws-control', '#8 [public-future]');
    const seen = await start(true);
    await until(() => (streams!.counters().private?.authFailures ?? 0) >= 2, 'a second login after the refusal');
    expect(log.lines.some((l) => l.level === 'warn' && l.message.includes('Bybit refused the stream login: "Params Error"'))).toBe(true);
    expect(seen.health.some(([s, h, d]) => s === 'private' && h === 'stale' && d === 'auth refused: Params Error')).toBe(true);
  });

  it('WS trade auth refused in REST’s shape (10005, 2024-05): the retCode and text are shown', async () => {
    priv.auth = frame('ws-control', 'WS trade API auth refused 10005');
    pub.subscribe = frame('ws-control', '#8 [public-future]');
    await start(true);
    await until(() => (streams!.counters().private?.authFailures ?? 0) >= 1, 'the refusal');
    expect(log.lines.some((l) => l.message.includes('Bybit refused the stream login: "10005 Permission denied for current apikey"'))).toBe(true);
  });
});

describe('contract: public stream', () => {
  it('docs subscribe answer (req_id ""), the docs kline push (open candle) and the docs book delta without a snapshot', async () => {
    pub.subscribe = frame('ws-control', '#8 [public-future]');
    pub.pushes = [frame('ws-public', 'kline.5.BTCUSDT'), frame('ws-public', 'orderbook.50.BTCUSDT delta')];
    const seen = await start(false, true);
    await until(() => streams!.counters().public.messages >= 3, 'the pushes');
    await new Promise((r) => setTimeout(r, 50));
    // The kline is still forming (confirm false): the engine decides on closed candles only.
    expect(seen.candles.filter(([, , , confirmed]) => confirmed)).toEqual([]);
    // A delta before any snapshot cannot be applied: no top of book from it.
    expect(seen.tops).toEqual([]);
    expect(streams!.book('BTCUSDT')?.valid ?? false).toBe(false);
    expect(streams!.counters().public.subscribeFailures).toBe(0);
  });

  it('docs ticker and trade pushes on topics the bot never asked for: dropped, each topic named in a warning', async () => {
    pub.subscribe = frame('ws-control', '#7 [public-spot]');
    pub.pushes = [frame('ws-public', 'tickers.BTCUSDT snapshot'), frame('ws-public', 'tickers.BTC-26DEC25'), frame('ws-public', 'publicTrade.BTCUSDT')];
    const seen = await start(false);
    await until(() => streams!.counters().public.messages >= 4, 'the pushes');
    expect(seen.candles).toEqual([]);
    const warned = log.lines.map((l) => l.text).join('\n');
    for (const topic of ['tickers.BTCUSDT', 'tickers.BTC-26DEC25', 'publicTrade.BTCUSDT']) expect(warned).toContain(topic);
    expect(streams!.counters().public.subscribeFailures, 'the spot answer ret_msg "subscribe" is a success').toBe(0);
  });

  it('every recorded pong form (spot, futures with req_id "", option op "pong" with and without req_id) keeps the socket alive', async () => {
    pub.subscribe = frame('ws-control', '#8 [public-future]');
    pub.pongs = [frame('ws-control', '#2 [spot]'), frame('ws-control', '#3 [future]'), frame('ws-control', '#4 [option]'), frame('ws-control', '#5 [option]')];
    await start(false, false, { pingIntervalMs: 30, pongTimeoutMs: 60 });
    await until(() => pub.received.filter((f) => f['op'] === 'ping').length >= 6, 'six pings');
    expect(streams!.counters().public).toMatchObject({ pongTimeouts: 0, reconnects: 0 });
  });

  it('the docs auth answer (#1) is an accepted login', async () => {
    priv.auth = frame('ws-control', '#1');
    priv.subscribe = frame('ws-control', '#6 [private]');
    pub.subscribe = frame('ws-control', '#8 [public-future]');
    const seen = await start(true);
    await until(() => seen.health.some(([s, , d]) => s === 'private' && d === 'authenticated'), 'the login');
    expect(streams!.counters().private?.authFailures).toBe(0);
  });
});
