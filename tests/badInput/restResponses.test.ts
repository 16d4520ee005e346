/**
 * Malformed REST answers as ccxt receives them, through the real adapter (BybitRest over ccxt's Bybit
 * class) against a loopback server (../exchange/bybit/fakeBybitRest.ts), for every call the bot
 * makes. Each must end in an ExchangeError (the ExchangePort contract) whose message names the call
 * and what was wrong, with Bybit's retCode and retMsg when there is one and never a secret; and an
 * order create whose outcome is unknown is looked up by its orderLinkId before it is ever sent again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExchangeError, type ExchangeErrorKind } from '../../src/domain/exchangeErrors.js';
import { dec } from '../../src/domain/money.js';
import type { OrderRequest } from '../../src/engine/exchangePort.js';
import { BybitRest } from '../../src/exchange/bybit/bybitRest.js';
import { bybitUrls } from '../../src/exchange/bybit/bybitUrls.js';
import { fetchMarkPrice, MarkPriceError } from '../../src/exchange/bybit/markPrice.js';
import { BybitServerTimeError, fetchBybitServerTime } from '../../src/exchange/bybit/serverTime.js';
import { fixedSigningClock } from '../../src/exchange/bybit/signingClock.js';
import { KEY, ok, SECRET, startFakeBybitRest, type FakeBybitRest, type FakeResponse } from '../exchange/bybit/fakeBybitRest.js';
import { goodOrder, saneAnswer, SYMBOL, T0 } from './corpus.js';
import { recordingLogger, type RecordingLogger } from './recordingLogger.js';

let server: FakeBybitRest;
let rest: BybitRest;
let log: RecordingLogger;

beforeEach(async () => {
  server = await startFakeBybitRest();
  log = recordingLogger();
  rest = new BybitRest({
    urls: bybitUrls('mainnet', { restUrl: server.url }),
    credentials: { apiKey: KEY, apiSecret: SECRET },
    clock: fixedSigningClock(),
    retry: { attempts: 2, baseMs: 1, maxMs: 2, minMs: 0 },
    logger: log,
  });
});
afterEach(async () => {
  rest.close();
  await server.close();
});

const ORDER: OrderRequest = { symbol: SYMBOL, side: 'buy', type: 'market', qty: dec('0.010'), price: null, timeInForce: 'IOC', reduceOnly: false, orderLinkId: 'ps-bad-1', stopLoss: dec('99'), takeProfit: null };

interface Call {
  readonly name: string;
  readonly path: string;
  /** The answer is read (parsed into domain values), not just acknowledged. */
  readonly readsResult: boolean;
  run(r: BybitRest): Promise<unknown>;
}

const CALLS: readonly Call[] = [
  { name: 'instruments', path: '/v5/market/instruments-info', readsResult: true, run: (r) => r.loadInstruments([SYMBOL]) },
  { name: 'klines', path: '/v5/market/kline', readsResult: true, run: (r) => r.fetchCandles(SYMBOL, 1, T0, 10) },
  { name: 'wallet balance', path: '/v5/account/wallet-balance', readsResult: true, run: (r) => r.fetchBalance() },
  { name: 'positions', path: '/v5/position/list', readsResult: true, run: (r) => r.fetchPositions([SYMBOL]) },
  { name: 'open orders', path: '/v5/order/realtime', readsResult: true, run: (r) => r.fetchOpenOrders(SYMBOL) },
  { name: 'executions', path: '/v5/execution/list', readsResult: true, run: (r) => r.fetchFills(SYMBOL, Date.now() - 60_000) },
  { name: 'create order', path: '/v5/order/create', readsResult: true, run: (r) => r.placeOrder(ORDER) },
  { name: 'amend order', path: '/v5/order/amend', readsResult: false, run: (r) => r.amendOrder({ symbol: SYMBOL, orderLinkId: 'ps-bad-1', price: dec('100') }) },
  { name: 'cancel order', path: '/v5/order/cancel', readsResult: false, run: (r) => r.cancelOrder(SYMBOL, 'ps-bad-1') },
];

const HTML = '<!DOCTYPE html><html><head><title>Attention Required</title></head><body><h1>Sorry, you have been blocked</h1></body></html>';

/** Answers that fail the same way whatever the call: the transport or the envelope is wrong. */
const ENVELOPE_ANSWERS: readonly { name: string; answer: FakeResponse; kind: ExchangeErrorKind; says: string }[] = [
  { name: 'an HTML page with status 200', answer: { status: 200, text: HTML }, kind: 'retryable', says: "not Bybit's JSON: \"Attention Required Sorry, you have been blocked\"" },
  { name: 'an HTML page with status 503', answer: { status: 503, text: HTML }, kind: 'retryable', says: 'HTTP 503' },
  { name: 'an HTML page with status 500', answer: { status: 500, text: HTML }, kind: 'retryable', says: 'HTTP 500' },
  { name: 'truncated JSON', answer: { status: 200, text: '{"retCode":0,"retMsg":"OK","result":{"list":[{"sym', headers: { 'content-type': 'application/json' } }, kind: 'retryable', says: "not Bybit's JSON" },
  { name: 'an empty body', answer: { status: 200, text: '', headers: { 'content-type': 'application/json' } }, kind: 'retryable', says: 'an empty answer' },
  { name: 'JSON without an envelope ([])', answer: { json: [] }, kind: 'retryable', says: '(HTTP 200)' },
  { name: 'JSON without retCode', answer: { json: { result: { list: [] } } }, kind: 'retryable', says: '(HTTP 200)' },
  { name: 'retCode 10001 with retMsg null', answer: { json: { retCode: 10001, retMsg: null, result: null } }, kind: 'rejected', says: 'Bybit retCode 10001: (no retMsg)' },
  { name: 'retCode as a string', answer: { json: { retCode: '110007', retMsg: 'ab not enough for new order', result: {} } }, kind: 'rejected', says: 'Bybit retCode 110007: ab not enough for new order' },
  {
    name: 'retCode with a 5 KB retMsg quoting the key and secret',
    answer: { json: { retCode: 10016, retMsg: `Internal error ${KEY} ${SECRET} ${'x'.repeat(5000)}`, result: null } },
    kind: 'retryable',
    says: 'Bybit retCode 10016: Internal error [REDACTED] [REDACTED]',
  },
];

function noSecret(text: string): void {
  expect(text.includes(KEY) || text.includes(SECRET), `no secret in: ${text.slice(0, 200)}`).toBe(false);
}

async function failure(p: Promise<unknown>): Promise<ExchangeError> {
  const err = await p.then(
    (v) => new Error(`resolved with ${JSON.stringify(v)}`),
    (e: unknown) => e,
  );
  expect(err, String(err)).toBeInstanceOf(ExchangeError);
  return err as ExchangeError;
}

describe('REST: broken transport or envelope, for every call the bot makes', () => {
  const cases = CALLS.flatMap((call) => ENVELOPE_ANSWERS.map((a) => [call.name, a.name, call, a] as const));
  it.each(cases)('%s ← %s: an ExchangeError that says so', async (_c, _a, call, a) => {
    server.route = (r) => (r.path === call.path ? a.answer : saneAnswer(r));
    const err = await failure(call.run(rest));
    expect(err.kind).toBe(a.kind);
    expect(err.message).toContain(call.path);
    expect(err.message).toContain(a.says);
    expect(err.message.length, 'a short message, not the whole page').toBeLessThan(700);
    noSecret(err.message);
    for (const line of log.lines) noSecret(line.text);
    const creates = server.requests.filter((r) => r.path === '/v5/order/create');
    if (call.name === 'create order') {
      // Every resend of a create carries the same orderLinkId, and only after a look-up found nothing.
      expect(new Set(creates.map((r) => r.params['orderLinkId']))).toEqual(new Set(['ps-bad-1']));
      const order = server.requests.map((r) => r.path).filter((p) => p === '/v5/order/create' || p === '/v5/order/realtime');
      for (let i = 1; i < order.length; i++) expect(order[i - 1] === '/v5/order/create' && order[i] === '/v5/order/create', `create resent without a look-up: ${order.join(' ')}`).toBe(false);
    } else {
      expect(creates, 'no call but create ever sends an order').toHaveLength(0);
    }
  });
});

/** retCode 0, but the result is not what the call reads. */
const RESULT_ANSWERS: readonly { name: string; result: unknown; says: string }[] = [
  { name: 'result null', result: null, says: 'expected Object but received null' },
  { name: 'result a string', result: 'OK', says: 'Expected Object but received "OK"' },
  { name: 'list an object', result: { list: {}, nextPageCursor: '' }, says: 'list' },
  { name: 'list of numbers', result: { list: [1, 2, 3], nextPageCursor: '' }, says: 'list.0' },
];

describe('REST: retCode 0 with a result of the wrong shape', () => {
  const readers = CALLS.filter((c) => c.readsResult && c.name !== 'create order');
  it.each(readers.flatMap((call) => RESULT_ANSWERS.map((a) => [call.name, a.name, call, a] as const)))('%s ← %s: a rejected ExchangeError naming the field, and an error in the log', async (_c, _a, call, a) => {
    server.route = (r) => (r.path === call.path ? ok(a.result) : saneAnswer(r));
    const err = await failure(call.run(rest));
    expect(err.kind, 'repeating a request that got a malformed answer will not fix it').toBe('rejected');
    expect(err.message).toContain(call.path);
    expect(err.message.toLowerCase()).toContain(a.says.toLowerCase());
    expect(log.problems('malformed answer from Bybit', call.path)).toHaveLength(1);
    expect(server.requests.filter((r) => r.path === call.path), 'not retried').toHaveLength(1);
  });

  it.each([
    ['result null', null],
    ['result without orderId', { orderLinkId: 'ps-bad-1' }],
    ['orderId a number', { orderId: 12345, orderLinkId: 'ps-bad-1' }],
  ] as const)('create order ← retCode 0 and %s: looked up by orderLinkId and reported placed, one create only', async (_name, result) => {
    const live = { ...goodOrder(), orderId: 'o-found', orderLinkId: 'ps-bad-1' };
    server.route = (r) => (r.path === '/v5/order/create' ? ok(result) : r.path === '/v5/order/realtime' ? ok({ list: [live], nextPageCursor: '' }) : saneAnswer(r));
    await expect(rest.placeOrder(ORDER)).resolves.toEqual({ status: 'placed', orderId: 'o-found' });
    expect(server.requests.filter((r) => r.path === '/v5/order/create')).toHaveLength(1);
    expect(log.problems('accepted an order but its answer has no orderId', 'ps-bad-1')).toHaveLength(1);
  });

  it('create order ← retCode 0 without orderId, and the look-up finds nothing: outcome unknown (retryable), never "refused"', async () => {
    server.route = (r) => (r.path === '/v5/order/create' ? ok(null) : saneAnswer(r));
    const err = await failure(rest.placeOrder(ORDER));
    // The engine forgets an order it was told is refused; this one may be live, so it must not be.
    expect(err.kind).toBe('retryable');
    expect(err.message).toContain('outcome unknown');
    expect(server.requests.filter((r) => r.path === '/v5/order/create')).toHaveLength(1);
  });

  it.each(['amend order', 'cancel order'])('%s ← retCode 0 with result null: done (Bybit acknowledged it; nothing is read)', async (name) => {
    const call = CALLS.find((c) => c.name === name)!;
    server.route = (r) => (r.path === call.path ? ok(null) : saneAnswer(r));
    const settled = await call.run(rest).then(
      (value) => ({ value }),
      (e: unknown) => ({ error: String(e) }),
    );
    expect(settled).toEqual({ value: name === 'cancel order' ? true : undefined });
  });
});

describe('REST outside ccxt: server time and tickers (mark price)', () => {
  const bad: readonly [string, FakeResponse, string][] = [
    ['HTML 200', { status: 200, text: HTML }, 'not JSON'],
    ['HTML 502', { status: 502, text: HTML }, 'HTTP 502'],
    ['truncated JSON', { status: 200, text: '{"retCode":0,"result":{"timeSecond":"17', headers: { 'content-type': 'application/json' } }, 'not JSON'],
    ['empty body', { status: 200, text: '' }, 'not JSON'],
    ['retCode 10016', { json: { retCode: 10016, retMsg: 'Internal System Error', result: {}, time: Date.now() } }, 'retCode 10016 Internal System Error'],
    ['result null', { json: { retCode: 0, retMsg: 'OK', result: null, time: Date.now() } }, 'unexpected'],
  ];
  it.each(bad)('server time ← %s: BybitServerTimeError saying so', async (_n, answer, says) => {
    server.route = () => answer;
    const err = await fetchBybitServerTime(server.url, { timeoutMs: 2000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BybitServerTimeError);
    expect((err as Error).message).toContain(says);
  });

  it('server time ← timeSecond "NaN": refused, naming the field', async () => {
    server.route = () => ({ json: { retCode: 0, retMsg: 'OK', result: { timeSecond: 'NaN', timeNano: '1' }, time: Date.now() } });
    await expect(fetchBybitServerTime(server.url, { timeoutMs: 2000 })).rejects.toThrow(/timeSecond: must be a string of digits/);
  });

  const tickerAnswers: readonly [string, FakeResponse, string][] = [
    ...bad.filter(([n]) => n !== 'result null'),
    ['result null', { json: { retCode: 0, retMsg: 'OK', result: null } }, 'unexpected ticker'],
    ['markPrice 0', { json: { retCode: 0, retMsg: 'OK', result: { list: [{ symbol: SYMBOL, markPrice: '0' }] } } }, 'markPrice: must be positive'],
    ['markPrice "NaN"', { json: { retCode: 0, retMsg: 'OK', result: { list: [{ symbol: SYMBOL, markPrice: 'NaN' }] } } }, 'markPrice: must be a decimal number'],
    ['markPrice negative', { json: { retCode: 0, retMsg: 'OK', result: { list: [{ symbol: SYMBOL, markPrice: '-5' }] } } }, 'markPrice: must be a decimal number'],
    ['markPrice a number', { json: { retCode: 0, retMsg: 'OK', result: { list: [{ symbol: SYMBOL, markPrice: 100 }] } } }, 'markPrice'],
  ];
  it.each(tickerAnswers)('tickers ← %s: MarkPriceError saying so', async (_n, answer, says) => {
    server.route = () => answer;
    const err = await fetchMarkPrice(server.url, SYMBOL, 2000).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MarkPriceError);
    expect((err as Error).message).toContain(says);
  });
});
