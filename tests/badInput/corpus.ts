/**
 * The bad-input corpus (issue 11, part 3): frames and answers Bybit (or a proxy, a captive portal, a
 * flaky radio link) could hand the adapter, each with the words the owner must find in the log.
 * Good shapes follow the V5 docs' examples (bybit-exchange/docs v5/websocket/public/kline,
 * orderbook; private/order, execution, position, wallet) as collected in reference/bybit-v5.md.
 */
import { ok, type FakeRequest, type FakeResponse } from '../exchange/bybit/fakeBybitRest.js';

export const SYMBOL = 'BTCUSDT';
/** 2024-12-01T00:00:00Z, a minute boundary. */
export const T0 = 1_733_011_200_000;
export const STEP = 60_000;

/** A BTCUSDT instrument as instruments-info returns it (V5 docs example; tick 0.10, band 0.10-199999.80). */
export const BTC_INSTRUMENT = {
  symbol: SYMBOL,
  contractType: 'LinearPerpetual',
  status: 'Trading',
  baseCoin: 'BTC',
  quoteCoin: 'USDT',
  priceFilter: { minPrice: '0.10', maxPrice: '199999.80', tickSize: '0.10' },
  lotSizeFilter: { maxOrderQty: '1190.000', minOrderQty: '0.001', qtyStep: '0.001', maxMktOrderQty: '119.000', minNotionalValue: '5' },
  leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
};

export const BTC_BAND = { min: 0.1, max: 199_999.8 };

export interface WireKline {
  start: unknown;
  end?: unknown;
  interval?: unknown;
  open: unknown;
  close: unknown;
  high: unknown;
  low: unknown;
  volume: unknown;
  turnover?: unknown;
  confirm: unknown;
  timestamp?: unknown;
}

/** A sane confirmed 1-minute kline for slot `i`: prices 100 + i around, as wire strings. */
export function goodKline(i: number): WireKline {
  const start = T0 + i * STEP;
  return { start, end: start + STEP - 1, interval: '1', open: `${100 + i}`, close: `${100.5 + i}`, high: `${101 + i}`, low: `${99 + i}`, volume: '10', turnover: '1000', confirm: true, timestamp: start + STEP - 1 };
}

export function klineFrame(data: unknown, topic = `kline.1.${SYMBOL}`): Record<string, unknown> {
  return { topic, type: 'snapshot', ts: T0, data };
}

/** One corpus entry: what is sent, and what the log must say about it. */
export interface BadFrame {
  readonly name: string;
  /** A string or Buffer goes out as is (a Buffer as a binary frame); anything else as JSON text. */
  readonly frame: unknown;
  readonly log: string;
}

/** Bad kline entries for slot 1 (slot 0 was good): each must be dropped, the next good one delivered. */
function badKline(name: string, change: Partial<WireKline>, log: string): BadFrame {
  return { name, frame: klineFrame([{ ...goodKline(1), ...change }]), log };
}

export const BAD_PUBLIC_FRAMES: readonly BadFrame[] = [
  { name: 'not JSON', frame: 'hello, this is not json', log: 'not JSON' },
  { name: 'truncated JSON', frame: JSON.stringify(klineFrame([goodKline(1)])).slice(0, 60), log: 'not JSON' },
  { name: 'binary garbage frame', frame: Buffer.from([0xff, 0x00, 0x13, 0x37, 0xfe]), log: 'not JSON' },
  { name: 'JSON number', frame: '42', log: 'not a JSON object' },
  { name: 'JSON null', frame: 'null', log: 'not a JSON object' },
  { name: 'JSON array', frame: JSON.stringify([klineFrame([goodKline(1)])]), log: 'not a JSON object' },
  { name: 'object with neither topic nor op', frame: { hello: 'world' }, log: 'neither a known topic nor a known op' },
  { name: 'topic of the wrong type', frame: { topic: 5, data: [goodKline(1)] }, log: 'topic is not a string' },
  { name: 'unknown topic (tickers, never subscribed)', frame: { topic: `tickers.${SYMBOL}`, type: 'snapshot', data: { symbol: SYMBOL, lastPrice: '0' } }, log: `did not subscribe` },
  { name: 'kline of another symbol', frame: klineFrame([goodKline(1)], 'kline.1.ETHUSDT'), log: 'kline.1.ETHUSDT' },
  { name: 'kline data null', frame: klineFrame(null), log: 'kline data is null, not an array' },
  { name: 'kline data an object', frame: klineFrame(goodKline(1)), log: 'kline data is object, not an array' },
  { name: 'kline entry a string', frame: klineFrame(['100']), log: 'unexpected kline from Bybit' },
  { name: 'kline missing close', frame: klineFrame([{ ...goodKline(1), close: undefined }]), log: 'close' },
  { name: 'kline missing confirm', frame: klineFrame([{ ...goodKline(1), confirm: undefined }]), log: 'confirm' },
  badKline('kline confirm "yes"', { confirm: 'yes' }, 'confirm'),
  badKline('kline open null', { open: null }, 'open'),
  badKline('kline high an array', { high: ['101'] }, 'high'),
  badKline('kline start not a number', { start: 'soon' }, 'kline start "soon" is not a timestamp'),
  badKline('kline start off the minute', { start: T0 + STEP + 1234 }, 'not on a 1-minute boundary'),
  badKline('kline close 0', { close: '0', low: '0' }, 'kline low "0" is not a positive price'),
  badKline('kline negative prices', { open: '-101', close: '-100', high: '-99', low: '-102' }, 'kline open "-101" is not a positive price'),
  badKline('kline close "NaN"', { close: 'NaN' }, 'kline close "NaN" is not a positive price'),
  badKline('kline high "Infinity"', { high: 'Infinity' }, 'kline high "Infinity" is not a positive price'),
  badKline('kline close ""', { close: '' }, 'kline close "" is not a positive price'),
  badKline('kline close hex', { close: '0x64' }, 'kline close "0x64" is not a positive price'),
  badKline('kline volume negative', { volume: '-5' }, 'kline volume "-5" is not a volume'),
  badKline('kline close above its high', { close: '500' }, 'do not contain open'),
  badKline('kline at 1e12 (outside the price band)', { open: '1e12', close: '1e12', high: '1e12', low: '1e12' }, "outside Bybit's price limits"),
  badKline('kline at 1e-9 (below the price band)', { open: '1e-9', close: '1e-9', high: '1e-9', low: '1e-9' }, "outside Bybit's price limits"),
  badKline('kline price as a JSON number 1e12', { open: 1e12, close: 1e12, high: 1e12, low: 1e12 }, "outside Bybit's price limits"),
];

/** The book the fake server holds: best bid 99.0, best ask 100.0, update id 10. */
export const BOOK_SNAPSHOT = {
  topic: `orderbook.50.${SYMBOL}`,
  type: 'snapshot',
  ts: T0,
  data: { s: SYMBOL, b: [['99.0', '5'], ['98.5', '3']], a: [['100.0', '4'], ['100.5', '7']], u: 10, seq: 10 },
};

export function bookDelta(b: unknown, a: unknown, u: unknown = 11, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { topic: `orderbook.50.${SYMBOL}`, type: 'delta', ts: T0 + 1, data: { s: SYMBOL, b, a, u, seq: u, ...extra } };
}

export const BAD_BOOK_FRAMES: readonly BadFrame[] = [
  { name: 'data null', frame: { topic: `orderbook.50.${SYMBOL}`, type: 'delta', ts: T0, data: null }, log: 'unexpected orderbook from Bybit' },
  { name: 'levels not pairs', frame: bookDelta([['99.5']], []), log: 'a book level is [price, size]' },
  { name: 'level numbers instead of strings', frame: bookDelta([[99.5, 1]], []), log: 'unexpected orderbook from Bybit' },
  { name: 'u a string', frame: bookDelta([['99.5', '1']], [], '11'), log: 'unexpected orderbook from Bybit' },
  { name: 'another symbol in data.s', frame: bookDelta([['99.5', '1']], [], 11, { s: 'ETHUSDT' }), log: 'orderbook data for ETHUSDT' },
  { name: 'bid price "abc"', frame: bookDelta([['abc', '1']], []), log: 'orderbook bid price "abc" is not a positive price' },
  { name: 'bid price 0', frame: bookDelta([['0', '1']], []), log: 'orderbook bid price "0" is not a positive price' },
  { name: 'ask price negative', frame: bookDelta([], [['-100', '1']]), log: 'orderbook ask price "-100" is not a positive price' },
  { name: 'ask price "Infinity"', frame: bookDelta([], [['Infinity', '1']]), log: 'orderbook ask price "Infinity" is not a positive price' },
  { name: 'size "NaN"', frame: bookDelta([['99.5', 'NaN']], []), log: 'orderbook bid size "NaN" at 99.5 is not a size' },
  { name: 'size negative', frame: bookDelta([], [['100.5', '-3']]), log: 'orderbook ask size "-3" at 100.5 is not a size' },
  { name: 'bid at 1e12 crosses the book', frame: bookDelta([['1000000000000', '1']], []), log: 'crossed book: best bid 1000000000000 >= best ask 100' },
  { name: 'ask at 0.0001 crosses the book', frame: bookDelta([], [['0.0001', '1']]), log: 'crossed book' },
  { name: 'best bid below the price band', frame: bookDelta([['99.0', '0'], ['98.5', '0'], ['0.05', '1']], []), log: "best bid 0.05 is outside Bybit's price limits" },
];

export interface WireExecutionShape {
  [key: string]: unknown;
}

/** A sane execution (V5 docs' execution push), price 100.5, qty 0.010. */
export function goodExecution(execId: string): WireExecutionShape {
  return { category: 'linear', symbol: SYMBOL, execId, orderId: 'o-1', orderLinkId: 'ps-1', side: 'Buy', execPrice: '100.5', execQty: '0.010', execFee: '0.00055', execType: 'Trade', isMaker: false, execTime: String(T0 + 5), stopOrderType: 'UNKNOWN' };
}

export function goodOrder(): Record<string, unknown> {
  return { category: 'linear', orderId: 'o-1', orderLinkId: 'ps-1', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', price: '100.0', qty: '0.010', timeInForce: 'GTC', orderStatus: 'New', cumExecQty: '0', avgPrice: '0', reduceOnly: false, takeProfit: '', stopLoss: '', createdTime: String(T0), updatedTime: String(T0 + 1) };
}

export function goodPosition(): Record<string, unknown> {
  return { category: 'linear', symbol: SYMBOL, side: 'Buy', size: '0.010', entryPrice: '100.5', takeProfit: '0', stopLoss: '99', trailingStop: '0', unrealisedPnl: '0.01', updatedTime: String(T0 + 2) };
}

export function goodWallet(): Record<string, unknown> {
  return { accountType: 'UNIFIED', totalEquity: '1000.5', totalWalletBalance: '1000', totalAvailableBalance: '900' };
}

function priv(topic: string, data: unknown): Record<string, unknown> {
  return { id: 'x', topic, creationTime: T0, data };
}

export const BAD_PRIVATE_FRAMES: readonly BadFrame[] = [
  { name: 'not JSON', frame: '{"topic":"execution","data":[', log: 'not JSON' },
  { name: 'unknown private topic', frame: priv('greeks', [{ baseCoin: 'BTC' }]), log: 'did not subscribe' },
  { name: 'execution data an object', frame: priv('execution', goodExecution('bad-1')), log: 'data is object, not an array' },
  { name: 'execution data null', frame: priv('execution', null), log: 'data is null, not an array' },
  { name: 'execution missing execId', frame: priv('execution', [{ ...goodExecution('x'), execId: undefined }]), log: 'execId' },
  { name: 'execution side "Long"', frame: priv('execution', [{ ...goodExecution('bad-side'), side: 'Long' }]), log: 'unknown side "Long"' },
  { name: 'execution price 0', frame: priv('execution', [{ ...goodExecution('bad-p0'), execPrice: '0' }]), log: 'execution execPrice "0" is not a positive number' },
  { name: 'execution price negative', frame: priv('execution', [{ ...goodExecution('bad-pn'), execPrice: '-100.5' }]), log: 'execution execPrice "-100.5" is not a positive number' },
  { name: 'execution price "NaN"', frame: priv('execution', [{ ...goodExecution('bad-nan'), execPrice: 'NaN' }]), log: 'execution execPrice "NaN" is not a number' },
  { name: 'execution price ""', frame: priv('execution', [{ ...goodExecution('bad-empty'), execPrice: '' }]), log: 'execution execPrice "" is not a number' },
  { name: 'execution price 1e12', frame: priv('execution', [{ ...goodExecution('bad-1e12'), execPrice: '1000000000000' }]), log: "execution bad-1e12 execPrice 1000000000000 is outside Bybit's price limits" },
  { name: 'execution qty 0', frame: priv('execution', [{ ...goodExecution('bad-q0'), execQty: '0' }]), log: 'execution execQty "0" is not a positive number' },
  { name: 'execution qty "Infinity"', frame: priv('execution', [{ ...goodExecution('bad-qi'), execQty: 'Infinity' }]), log: 'execution execQty "Infinity" is not a number' },
  { name: 'execution fee 1e12', frame: priv('execution', [{ ...goodExecution('bad-fee'), execFee: '1e12' }]), log: `execution execFee "1e12" exceeds the fill's value` },
  { name: 'execution time "yesterday"', frame: priv('execution', [{ ...goodExecution('bad-t'), execTime: 'yesterday' }]), log: 'execution execTime "yesterday" is not a timestamp' },
  { name: 'order qty "NaN"', frame: priv('order', [{ ...goodOrder(), qty: 'NaN' }]), log: 'order qty "NaN" is not a number' },
  { name: 'order price negative', frame: priv('order', [{ ...goodOrder(), price: '-1' }]), log: 'order price "-1" is negative' },
  { name: 'order status unknown', frame: priv('order', [{ ...goodOrder(), orderStatus: 'Exploded' }]), log: 'unknown orderStatus "Exploded"' },
  { name: 'order cumExecQty negative', frame: priv('order', [{ ...goodOrder(), cumExecQty: '-0.01' }]), log: 'order cumExecQty "-0.01" is negative' },
  { name: 'order reduceOnly "maybe"', frame: priv('order', [{ ...goodOrder(), reduceOnly: 'maybe' }]), log: 'reduceOnly' },
  { name: 'position size negative', frame: priv('position', [{ ...goodPosition(), size: '-0.01' }]), log: 'position size "-0.01" is negative' },
  { name: 'position size "NaN"', frame: priv('position', [{ ...goodPosition(), size: 'NaN' }]), log: 'position size "NaN" is not a number' },
  { name: 'position entry price negative', frame: priv('position', [{ ...goodPosition(), entryPrice: '-100' }]), log: 'position entryPrice "-100" is negative' },
  { name: 'position side "Up"', frame: priv('position', [{ ...goodPosition(), side: 'Up' }]), log: 'unknown position side "Up"' },
  { name: 'position stopLoss "Infinity"', frame: priv('position', [{ ...goodPosition(), stopLoss: 'Infinity' }]), log: 'position stopLoss "Infinity" is not a number' },
  { name: 'wallet equity "NaN"', frame: priv('wallet', [{ ...goodWallet(), totalEquity: 'NaN' }]), log: 'wallet totalEquity "NaN" is not a number' },
  { name: 'wallet available an object', frame: priv('wallet', [{ ...goodWallet(), totalAvailableBalance: { v: 1 } }]), log: 'totalAvailableBalance' },
  { name: 'wallet equity "Infinity"', frame: priv('wallet', [{ ...goodWallet(), totalEquity: 'Infinity' }]), log: 'wallet totalEquity "Infinity" is not a number' },
];

/**
 * Sane answers for every path the adapter calls; a test replaces the one under test. `trading`: the
 * account holds a position and has one fill; `flat`: nothing (the engine stories start flat).
 */
export function saneAnswer(r: FakeRequest, account: 'trading' | 'flat' = 'trading'): FakeResponse {
  switch (r.path) {
    case '/v5/market/instruments-info':
      return ok({ category: 'linear', list: [BTC_INSTRUMENT], nextPageCursor: '' });
    case '/v5/market/kline':
      return ok({ category: 'linear', symbol: SYMBOL, list: [] });
    case '/v5/account/wallet-balance':
      return ok({ list: [goodWallet()] });
    case '/v5/position/list':
      return ok({ list: account === 'trading' ? [goodPosition()] : [], nextPageCursor: '' });
    case '/v5/order/realtime':
    case '/v5/order/history':
      return ok({ list: [], nextPageCursor: '' });
    case '/v5/execution/list':
      return ok({ list: account === 'trading' ? [goodExecution('e-1')] : [], nextPageCursor: '' });
    case '/v5/order/create':
      return ok({ orderId: `id-${String(r.params['orderLinkId'])}`, orderLinkId: r.params['orderLinkId'] });
    default:
      return ok({});
  }
}
