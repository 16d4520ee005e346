/**
 * `backtest --download` (issue 9 item 2): Bybit linear klines through ccxt `fetchOHLCV`, paginated,
 * into the candle cache (./candleCache.ts), fetching only the parts of the range the cache does not
 * hold. A fully cached range makes no request at all (ccxt is not even loaded).
 *
 * Pagination: pages of up to 1000 candles (Bybit's kline maximum), each asked for with both `start`
 * and `end` (ccxt `since` and `until`), so the answer is the same whichever end Bybit fills a page
 * from. Only closed candles are kept: the range is clipped at the start of the candle still forming.
 * Grid times inside a downloaded range without a candle are gaps: recorded, reported, not refetched.
 */
import type { Candle } from '../domain/types.js';
import { ccxtTransport } from '../util/httpFetch.js';
import { CandleCache, iso, type Range } from './candleCache.js';

export class DownloadError extends Error {
  override name = 'DownloadError';
}

/** Bybit's largest kline page. */
export const PAGE_CANDLES = 1000;

const TIMEFRAMES: Readonly<Record<number, string>> = {
  1: '1m',
  3: '3m',
  5: '5m',
  15: '15m',
  30: '30m',
  60: '1h',
  120: '2h',
  240: '4h',
  360: '6h',
  720: '12h',
  1440: '1d',
};

export interface DownloadProgress {
  readonly doneCandles: number;
  readonly totalCandles: number;
}

export interface DownloadOptions {
  readonly symbol: string;
  readonly intervalMinutes: number;
  readonly fromMs: number;
  readonly toMs: number;
  /** Directory of the cache files (`<stateDir>/cache/candles`). */
  readonly cacheDir: string;
  /** REST base URL (the sandbox in tests); null = Bybit's own. */
  readonly restUrl?: string | null;
  /** The exchange's time, to leave out the candle still forming; default Date.now. */
  readonly nowMs?: () => number;
  readonly onProgress?: (p: DownloadProgress) => void;
}

export interface DownloadResult {
  /** Candles with open time in [fromMs, toMs), ascending: loaded from the cache file when first asked for. */
  readonly candles: Candle[];
  /** How many (without loading them: a backtest reads the cache file itself, issue 21). */
  readonly count: number;
  /** [fromMs, toMs) as downloaded: aligned to the grid, the candle still forming left out. */
  readonly range: Range;
  /** The cache file holding them (canonical CSV, usable with --data). */
  readonly file: string;
  /** Candles fetched from the exchange this time (0 when the cache covered the range). */
  readonly fetchedCandles: number;
  /** kline requests made. */
  readonly requests: number;
  /** Grid times in [fromMs, toMs) the exchange has no candle for. */
  readonly gaps: readonly Range[];
  /** What cache validation found (ranges downloaded again). */
  readonly cacheProblems: readonly string[];
}

export function timeframeOf(intervalMinutes: number): string {
  const tf = TIMEFRAMES[intervalMinutes];
  if (tf === undefined) throw new DownloadError(`Bybit has no ${intervalMinutes}-minute klines (use one of ${Object.keys(TIMEFRAMES).join(', ')})`);
  return tf;
}

/** ccxt's unified symbol of a Bybit linear perpetual: BTCUSDT → BTC/USDT:USDT. */
export function ccxtSymbol(symbol: string): string {
  const quote = symbol.endsWith('USDC') ? 'USDC' : 'USDT';
  return `${symbol.slice(0, symbol.length - quote.length)}/${quote}:${quote}`;
}

interface OhlcvClient {
  fetchOHLCV(symbol: string, timeframe: string, since: number, limit: number, params: Record<string, unknown>): Promise<unknown[][]>;
  close?: () => Promise<unknown>;
}

async function ccxtClient(restUrl: string | null): Promise<OhlcvClient> {
  const { bybit } = await import('ccxt');
  const ex = new bybit({
    enableRateLimit: true,
    options: { defaultType: 'swap', adjustForTimeDifference: false, fetchMarkets: { types: ['linear'] } },
    has: { fetchCurrencies: false },
  });
  if (restUrl !== null) {
    const api = ex.urls['api'] as Record<string, unknown>;
    for (const k of Object.keys(api)) if (typeof api[k] === 'string') api[k] = restUrl.replace(/\/+$/, '');
  }
  // Our fetch over node:http, as the bot's own ccxt client has (src/exchange/bybit/createCcxtBybit.ts).
  Object.assign(ex, ccxtTransport);
  return ex as unknown as OhlcvClient;
}

export async function downloadCandles(o: DownloadOptions): Promise<DownloadResult> {
  const tf = timeframeOf(o.intervalMinutes);
  if (!(o.toMs > o.fromMs)) throw new DownloadError(`--to (${iso(o.toMs)}) must be after --from (${iso(o.fromMs)})`);
  const cache = CandleCache.open(o.cacheDir, o.symbol, o.intervalMinutes);
  const iv = cache.intervalMs;
  // Never ask for (or cache) the candle that is still forming.
  const lastClosedEnd = Math.floor((o.nowMs ?? Date.now)() / iv) * iv;
  const [from, alignedTo] = cache.align(o.fromMs, o.toMs);
  const to = Math.min(alignedTo, lastClosedEnd);
  if (!(to > from)) throw new DownloadError(`nothing to download: ${iso(o.fromMs)} is not before the last closed ${o.intervalMinutes}m candle`);

  const missing = cache.missing(from, to);
  const total = missing.reduce((n, [a, b]) => n + (b - a) / iv, 0);
  let done = 0;
  let requests = 0;
  let fetched = 0;
  if (missing.length > 0) {
    const client = await ccxtClient(o.restUrl ?? null);
    const market = ccxtSymbol(o.symbol);
    o.onProgress?.({ doneCandles: 0, totalCandles: total });
    try {
      for (const [a, b] of missing) {
        for (let start = a; start < b; start += PAGE_CANDLES * iv) {
          const end = Math.min(b, start + PAGE_CANDLES * iv);
          requests++;
          const rows = await client.fetchOHLCV(market, tf, start, PAGE_CANDLES, { until: end - 1 });
          const page = rows.map(toCandle).filter((c) => c.ts >= start && c.ts < end);
          fetched += page.length;
          cache.add([start, end], page);
          done += (end - start) / iv;
          o.onProgress?.({ doneCandles: done, totalCandles: total });
        }
      }
    } finally {
      // Whatever was fetched completely is kept, even if a later page failed.
      cache.save();
      await client.close?.();
    }
  }
  let candles: Candle[] | null = null;
  return {
    get candles(): Candle[] {
      candles ??= cache.candles(from, to);
      return candles;
    },
    count: cache.count(from, to),
    range: [from, to],
    file: cache.path,
    fetchedCandles: fetched,
    requests,
    gaps: cache.gaps(from, to),
    cacheProblems: cache.problems,
  };
}

function toCandle(row: unknown[]): Candle {
  const [ts, open, high, low, close, volume] = row.map(Number) as [number, number, number, number, number, number];
  if (![ts, open, high, low, close, volume].every(Number.isFinite)) throw new DownloadError(`the exchange sent a malformed kline row: ${JSON.stringify(row)}`);
  return { ts, open, high, low, close, volume };
}

/** "3 gaps, 17 candles missing: 2025-06-01T10:00Z – 10:05Z, ..." (at most `max` listed). */
export function describeGaps(gaps: readonly Range[], intervalMinutes: number, max = 3): string {
  const missing = gaps.reduce((n, [a, b]) => n + (b - a) / (intervalMinutes * 60_000), 0);
  const listed = gaps.slice(0, max).map(([a, b]) => `${iso(a)} – ${iso(b)}`);
  return `${gaps.length} gap(s), ${missing} candle(s) missing: ${listed.join(', ')}${gaps.length > max ? ', …' : ''}`;
}
