/**
 * The scanner's market reading (issue 24): Bybit's linear USDT perpetuals in status Trading, joined
 * with their tickers, filtered by spread and 24 h turnover, ranked by turnover; for the top ones,
 * volatility as ATR(14) in percent of the price on 1m and 5m candles (DESIGN section 5b, Wilder).
 * Public endpoints only. Klines are fetched for at most MAX_MEASURED symbols, a few at a time.
 */
import type { Decimal } from '../domain/money.js';
import type { Candle } from '../domain/types.js';
import type { Listing, MarketTicker } from '../engine/exchangePort.js';
import { spreadPct } from '../engine/spreadGuard.js';
import { Atr } from '../indicators/atr.js';

/** What the scanner needs from Bybit (BybitRest has these). */
export interface ScanSource {
  listInstruments(): Promise<Listing[]>;
  fetchTickers(): Promise<MarketTicker[]>;
  recentCandles(symbol: string, intervalMinutes: number, count: number): Promise<Candle[]>;
}

export interface ScanFilter {
  /** Percent of the mid price. */
  readonly maxSpreadPct: number;
  /** USDT. */
  readonly minTurnover24h: number;
  /** Rows measured and listed. */
  readonly top: number;
}

export interface ScanRow {
  readonly symbol: string;
  readonly lastPrice: string;
  readonly bidPrice: string;
  readonly askPrice: string;
  readonly turnover24h: number;
  readonly spreadBps: number;
  /** ATR(14) / last close × 100; null when the candles could not be read. */
  readonly atr1mPct: number | null;
  readonly atr5mPct: number | null;
  /** Percent per funding interval (Bybit's rate × 100); null when Bybit gives none. */
  readonly fundingRatePct: number | null;
  /** USDT: the larger of Bybit's minimum order value and the minimum quantity at the last price. */
  readonly minOrderValue: number;
}

export interface ScanResult {
  /** Linear USDT perpetuals in status Trading with a two-sided book. */
  readonly perpetuals: number;
  /** Of those, how many pass the spread and turnover filters. */
  readonly passed: number;
  readonly rows: readonly ScanRow[];
  /** Symbols whose candles could not be read, with why. */
  readonly problems: readonly string[];
}

export type ScanProgress = (stage: 'listing' | 'measuring', done: number, total: number) => void;

/** The most symbols whose candles are fetched (two requests each). */
export const MAX_MEASURED = 50;
/** Symbols measured at once: 2 requests each, well under Bybit's public limit of 600 per 5 s per IP. */
const BATCH = 5;
const ATR_LENGTH = 14;
/** One more than ATR(14) needs, so the first true range has a previous close too. */
const ATR_CANDLES = ATR_LENGTH + 1;

/** ATR(14) of the candles in percent of the last close, or null when there are too few. */
export function atrPct(candles: readonly Candle[]): number | null {
  const atr = new Atr(ATR_LENGTH);
  let value: number | null = null;
  for (const c of candles) value = atr.update(c);
  const last = candles[candles.length - 1];
  return value === null || last === undefined || !(last.close > 0) ? null : (value / last.close) * 100;
}

interface Candidate {
  readonly listing: Listing;
  readonly ticker: MarketTicker & { readonly bidPrice: Decimal; readonly askPrice: Decimal };
  readonly spreadPct: number;
}

export async function scanMarket(source: ScanSource, filter: ScanFilter, progress: ScanProgress = () => {}): Promise<ScanResult> {
  progress('listing', 0, 2);
  let listed = 0;
  const counted = <T>(p: Promise<T>): Promise<T> =>
    p.then((x) => {
      progress('listing', ++listed, 2);
      return x;
    });
  const [listings, tickers] = await Promise.all([counted(source.listInstruments()), counted(source.fetchTickers())]);
  const bySymbol = new Map(tickers.map((t) => [t.symbol, t]));
  const perpetuals: Candidate[] = [];
  for (const listing of listings) {
    if (listing.contractType !== 'LinearPerpetual' || listing.status !== 'Trading' || listing.quoteCoin !== 'USDT') continue;
    const t = bySymbol.get(listing.symbol);
    if (t === undefined || t.bidPrice === null || t.askPrice === null) continue;
    const ticker = { ...t, bidPrice: t.bidPrice, askPrice: t.askPrice };
    perpetuals.push({ listing, ticker, spreadPct: spreadPct(t.bidPrice.toNumber(), t.askPrice.toNumber()) });
  }
  const passing = perpetuals
    .filter((c) => c.spreadPct <= filter.maxSpreadPct && c.ticker.turnover24h.toNumber() >= filter.minTurnover24h)
    .sort((a, b) => b.ticker.turnover24h.cmp(a.ticker.turnover24h) || a.listing.symbol.localeCompare(b.listing.symbol));
  const chosen = passing.slice(0, Math.min(filter.top, MAX_MEASURED));

  const problems: string[] = [];
  const rows: ScanRow[] = [];
  progress('measuring', 0, chosen.length);
  for (let i = 0; i < chosen.length; i += BATCH) {
    const batch = chosen.slice(i, i + BATCH);
    rows.push(...(await Promise.all(batch.map((c) => measure(source, c, problems)))));
    progress('measuring', rows.length, chosen.length);
  }
  return { perpetuals: perpetuals.length, passed: passing.length, rows, problems };
}

async function measure(source: ScanSource, c: Candidate, problems: string[]): Promise<ScanRow> {
  const { listing, ticker } = c;
  const atrOf = async (intervalMinutes: number): Promise<number | null> => {
    try {
      return atrPct(await source.recentCandles(listing.symbol, intervalMinutes, ATR_CANDLES));
    } catch (e) {
      problems.push(`${listing.symbol} ${intervalMinutes}m candles: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  };
  const [atr1mPct, atr5mPct] = await Promise.all([atrOf(1), atrOf(5)]);
  const minByQty = listing.minOrderQty.mul(ticker.lastPrice);
  return {
    symbol: listing.symbol,
    lastPrice: ticker.lastPrice.toFixed(),
    bidPrice: ticker.bidPrice.toFixed(),
    askPrice: ticker.askPrice.toFixed(),
    turnover24h: ticker.turnover24h.toNumber(),
    spreadBps: c.spreadPct * 100,
    atr1mPct,
    atr5mPct,
    fundingRatePct: ticker.fundingRate === null ? null : ticker.fundingRate.mul(100).toNumber(),
    minOrderValue: (minByQty.gt(listing.minNotional) ? minByQty : listing.minNotional).toNumber(),
  };
}
