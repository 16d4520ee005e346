/**
 * Absurd prices and quantities (0, negative, 1e12, "NaN", "Infinity", "") in candles, fills,
 * positions, balances and instrument rules. The user-visible promise: none of them sizes or places
 * an order, none is booked into the ledger, each leaves a log line naming the field, and trading
 * goes on with the next sane value. The last test runs the real Engine on the real adapter (ccxt +
 * ws) against loopback fakes and counts order creates at the server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExchangeError } from '../../src/domain/exchangeErrors.js';
import type { Candle, Intent } from '../../src/domain/types.js';
import { Engine } from '../../src/engine/engine.js';
import { MemoryJournal, MemoryStore } from '../../src/engine/memoryPorts.js';
import type { EngineSettings, EngineSymbolSettings } from '../../src/engine/ports.js';
import { createBybitExchange, type BybitExchange } from '../../src/exchange/bybit/bybitExchange.js';
import { BybitRest } from '../../src/exchange/bybit/bybitRest.js';
import { bybitUrls } from '../../src/exchange/bybit/bybitUrls.js';
import { fixedSigningClock } from '../../src/exchange/bybit/signingClock.js';
import type { PositionView, Strategy } from '../../src/strategies/strategy.js';
import { KEY, ok, SECRET, startFakeBybitRest, type FakeBybitRest } from '../exchange/bybit/fakeBybitRest.js';
import { startFakeBybitWs, until, type FakeBybitWs } from '../exchange/bybit/fakeBybitWs.js';
import { BTC_INSTRUMENT, goodExecution, goodKline, goodOrder, goodPosition, goodWallet, klineFrame, saneAnswer, STEP, SYMBOL, T0, type WireKline } from './corpus.js';
import { recordingLogger, type RecordingLogger } from './recordingLogger.js';

let server: FakeBybitRest;
let log: RecordingLogger;

beforeEach(async () => {
  server = await startFakeBybitRest();
  server.route = (req) => saneAnswer(req, 'flat');
  log = recordingLogger();
});
afterEach(async () => {
  await server.close();
});

function restClient(): BybitRest {
  return new BybitRest({
    urls: bybitUrls('mainnet', { restUrl: server.url }),
    credentials: { apiKey: KEY, apiSecret: SECRET },
    clock: fixedSigningClock(),
    retry: { attempts: 2, baseMs: 1, maxMs: 2, minMs: 0 },
    logger: log,
  });
}

/** A REST kline row (newest first on the wire) from a WS-shaped kline. */
function row(k: WireKline): unknown[] {
  return [k.start, k.open, k.high, k.low, k.close, k.volume, '1000'].map((x) => (typeof x === 'number' ? String(x) : x));
}

const ABSURD_PRICES = ['0', '-100', '1e12', 'NaN', 'Infinity', ''] as const;

describe('REST candles with absurd prices', () => {
  it.each(ABSURD_PRICES)('close "%s": the row is dropped with an error naming it; the sane rows are kept', async (price) => {
    const rest = restClient();
    await rest.loadInstruments([SYMBOL]);
    const bad = { ...goodKline(1), close: price, ...(price === '1e12' ? { open: price, high: price, low: price } : {}) };
    server.route = (r) => (r.path === '/v5/market/kline' ? ok({ category: 'linear', symbol: SYMBOL, list: [row(goodKline(2)), row(bad), row(goodKline(0))] }) : saneAnswer(r, 'flat'));
    const candles = await rest.fetchCandlesBetween(SYMBOL, 1, T0, T0 + 2 * STEP);
    expect(candles.map((c) => c.ts)).toEqual([T0, T0 + 2 * STEP]);
    const dropped = log.problems('dropping a malformed row from Bybit', 'GET /v5/market/kline');
    expect(dropped, log.dump()).toHaveLength(1);
    expect(dropped[0]!.level).toBe('error');
    expect(dropped[0]!.text).toMatch(price === '1e12' ? /kline high 1000000000000 is outside Bybit's price limits/ : /kline (close|low|high) ".*" is not a positive price/);
    rest.close();
  });
});

describe('REST executions, positions, balances and rules with absurd numbers', () => {
  it.each([
    ['execPrice', '0', 'execution execPrice "0" is not a positive number'],
    ['execPrice', '-1', 'execution execPrice "-1" is not a positive number'],
    ['execPrice', '1e12', "execution bad execPrice 1000000000000 is outside Bybit's price limits"],
    ['execPrice', 'NaN', 'execution execPrice "NaN" is not a number'],
    ['execQty', '0', 'execution execQty "0" is not a positive number'],
    ['execQty', 'Infinity', 'execution execQty "Infinity" is not a number'],
    ['execFee', '1e12', 'exceeds the fill'],
  ])('an execution with %s "%s" is not booked (error logged); its sane neighbours are', async (field, value, says) => {
    const rest = restClient();
    await rest.loadInstruments([SYMBOL]);
    server.route = (r) => (r.path === '/v5/execution/list' ? ok({ list: [goodExecution('e-2'), { ...goodExecution('bad'), [field]: value }, goodExecution('e-1')], nextPageCursor: '' }) : saneAnswer(r, 'flat'));
    const fills = await rest.fetchFills(SYMBOL, Date.now() - 60_000);
    expect(fills.map((f) => f.execId).sort()).toEqual(['e-1', 'e-2']);
    expect(log.problems('dropping a malformed row', says), log.dump()).toHaveLength(1);
    rest.close();
  });

  it.each([
    ['positions', '/v5/position/list', { list: [{ ...goodPosition(), size: '-0.01' }] }, 'position size "-0.01" is negative', (r: BybitRest) => r.fetchPositions([SYMBOL])],
    ['positions', '/v5/position/list', { list: [{ ...goodPosition(), avgPrice: 'NaN', entryPrice: undefined }] }, 'position avgPrice "NaN" is not a number', (r: BybitRest) => r.fetchPositions([SYMBOL])],
    ['wallet', '/v5/account/wallet-balance', { list: [{ ...goodWallet(), totalEquity: 'NaN' }] }, 'wallet totalEquity "NaN" is not a number', (r: BybitRest) => r.fetchBalance()],
    ['wallet', '/v5/account/wallet-balance', { list: [{ ...goodWallet(), totalAvailableBalance: 'Infinity' }] }, 'wallet totalAvailableBalance "Infinity" is not a number', (r: BybitRest) => r.fetchBalance()],
    ['open orders', '/v5/order/realtime', { list: [{ ...goodOrder(), qty: 'NaN' }] }, 'order qty "NaN" is not a number', (r: BybitRest) => r.fetchOpenOrders(SYMBOL)],
    ['instruments', '/v5/market/instruments-info', { list: [{ ...BTC_INSTRUMENT, priceFilter: { ...BTC_INSTRUMENT.priceFilter, tickSize: '0' } }] }, 'BTCUSDT priceFilter.tickSize "0" is not a positive number', (r: BybitRest) => r.loadInstruments([SYMBOL])],
    ['instruments', '/v5/market/instruments-info', { list: [{ ...BTC_INSTRUMENT, lotSizeFilter: { ...BTC_INSTRUMENT.lotSizeFilter, qtyStep: '-0.001' } }] }, 'BTCUSDT lotSizeFilter.qtyStep "-0.001" is not a positive number', (r: BybitRest) => r.loadInstruments([SYMBOL])],
  ])('%s with an absurd number: a rejected ExchangeError naming the field (%#)', async (_n, path, result, says, run) => {
    const rest = restClient();
    server.route = (r) => (r.path === path ? ok({ ...result, nextPageCursor: '' }) : saneAnswer(r, 'flat'));
    const err = await run(rest).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ExchangeError);
    expect((err as ExchangeError).kind).toBe('rejected');
    expect((err as ExchangeError).message).toContain(`GET ${path}: ${says}`);
    expect(log.problems('malformed answer from Bybit', says)).toHaveLength(1);
    rest.close();
  });
});

/** Enters long on every closed candle, at its close with a 1 % stop: any candle that arrives makes an order. */
class EnterOnEveryCandle implements Strategy {
  readonly name = 'scalper' as const;
  readonly warmupCandles = 0;
  readonly seen: Candle[] = [];
  constructor(readonly symbol: string) {}
  onCandle(c: Candle, position: PositionView): Intent | null {
    this.seen.push(c);
    if (position.side !== null) return null;
    return { kind: 'enter', symbol: this.symbol, side: 'long', decidedAtMs: c.ts + STEP, refPrice: c.close, stopLoss: c.close * 0.99, targets: [c.close * 1.02], reason: 'test: every candle' };
  }
  onBook(): Intent | null {
    return null;
  }
}

const SYMBOL_SETTINGS: EngineSymbolSettings = {
  symbol: SYMBOL,
  strategy: 'scalper',
  enabled: true,
  intervalMinutes: 1,
  leverage: 5,
  sizing: { mode: 'risk', riskPerTradePct: 1, maxNotionalUsdt: null },
  exits: { ladderFractions: [1], breakeven: { enabled: false, afterTargets: 1, feeBufferPct: 0.11 }, trailing: { enabled: false, activationR: 2, distancePct: 0.5 }, timeExitCandles: 0, entryTimeoutSec: 3600 },
};

const SETTINGS: EngineSettings = {
  symbols: [SYMBOL_SETTINGS],
  risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 50, cooldownMinutes: 1 }, maxOpenPositions: 1, dayTimeZone: 'UTC' },
  takerFeePct: 0.055,
  orderIdPrefix: 'ps',
  fallbackStopPct: 2,
  requoteMinIntervalMs: 0,
};

describe('the engine on the real adapter: absurd candles and fills', () => {
  let pub: FakeBybitWs;
  let priv: FakeBybitWs;
  let exchange: BybitExchange;
  let engine: Engine;
  let journal: MemoryJournal;
  let strategy: EnterOnEveryCandle;

  beforeEach(async () => {
    [pub, priv] = await Promise.all([startFakeBybitWs(), startFakeBybitWs()]);
    exchange = createBybitExchange({
      network: 'testnet',
      restUrl: server.url,
      wsPublicUrl: pub.url,
      wsPrivateUrl: priv.url,
      credentials: { apiKey: KEY, apiSecret: SECRET },
      clock: fixedSigningClock(),
      logger: log,
      instrumentRefreshMs: 0,
      retry: { attempts: 2, baseMs: 1, maxMs: 2, minMs: 0 },
      gapPollMs: 60_000,
    });
    journal = new MemoryJournal();
    strategy = new EnterOnEveryCandle(SYMBOL);
    engine = new Engine(
      { port: exchange, store: new MemoryStore(), journal, alerts: { send: () => undefined }, logger: log, now: () => Date.now(), strategies: new Map([[SYMBOL, strategy]]) },
      SETTINGS,
    );
    await engine.start();
    await until(() => pub.connections.length > 0 && pub.latest()!.frames.some((f) => f['op'] === 'subscribe'), 'public subscribed');
    await until(() => priv.connections.length > 0 && priv.latest()!.frames.some((f) => f['op'] === 'subscribe'), 'private subscribed');
  });
  afterEach(async () => {
    await engine.stop();
    await exchange.close();
    await Promise.all([pub.close(), priv.close()]);
  });

  const creates = () => server.requests.filter((r) => r.path === '/v5/order/create');

  it('no order from candles at 0, negative, 1e12, NaN, Infinity or ""; the next sane candle still trades', async () => {
    // Recent candles, so the engine takes them as live (its market clock follows the newest close).
    const base = Math.floor(Date.now() / STEP) * STEP - 20 * STEP;
    const at = (i: number, change: Partial<WireKline> = {}) => ({ ...goodKline(0), start: base + i * STEP, ...change });
    const absurd: Partial<WireKline>[] = [
      { open: '0', close: '0', high: '0', low: '0' },
      { open: '-100', close: '-100', high: '-99', low: '-101' },
      { open: '1e12', close: '1e12', high: '1e12', low: '1e12' },
      { close: 'NaN' },
      { high: 'Infinity' },
      { close: '' },
      { open: 1e12, close: 1e12, high: 1e12, low: 1e12 },
    ];
    absurd.forEach((change, i) => pub.broadcast(klineFrame([at(i, change)])));
    await until(() => log.problems('dropped a malformed public message').length === absurd.length, `every absurd candle logged\n${log.dump()}`);
    await engine.idle();
    expect(strategy.seen, 'no absurd candle reached the strategy').toEqual([]);
    expect(creates(), 'no order was sent').toHaveLength(0);

    pub.broadcast(klineFrame([at(absurd.length)]));
    await until(() => creates().length === 1, `the order from the sane candle\n${log.dump()}`);
    const sent = creates()[0]!.params;
    expect([sent['side'], sent['orderType'], sent['stopLoss']], 'sized from the sane close 100.5').toEqual(['Buy', 'Market', '99.4']);
    expect(strategy.seen.map((c) => c.close)).toEqual([100.5]);
  });

  it('an absurd fill is not booked into the ledger; the sane fill after it is', async () => {
    const fillRecords = () => journal.records.filter((r) => r.type === 'fill');
    const push = (execId: string, change: Record<string, unknown> = {}) =>
      priv.broadcast({ id: execId, topic: 'execution', creationTime: T0, data: [{ ...goodExecution(execId), execTime: String(Date.now()), ...change }] });
    push('x-zero', { execPrice: '0' });
    push('x-huge', { execPrice: '1000000000000' });
    push('x-nan', { execQty: 'NaN' });
    push('x-neg', { execQty: '-0.01' });
    await until(() => log.problems('dropped a malformed private message', 'topic=execution').length === 4, `all four logged\n${log.dump()}`);
    push('good-1');
    await until(() => fillRecords().length === 1, `the sane fill booked\n${log.dump()}`);
    expect(fillRecords().map((r) => (r.type === 'fill' ? [r.execId, r.price, r.qty] : null))).toEqual([['good-1', '100.5', '0.01']]);
    expect(creates(), 'a fill is no reason to send an order here').toHaveLength(0);
  });
});
