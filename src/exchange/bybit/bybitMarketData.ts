/**
 * Bybit V5 market data over REST (issue 4, item 2): instrument rules and price limits, and closed
 * candles in pages (reference/bybit-v5.md section 3); for the scanner (issue 24), every linear
 * instrument (paged by cursor) and every linear ticker. Public endpoints: no keys needed.
 */
import * as v from 'valibot';
import { ExchangeError } from '../../domain/exchangeErrors.js';
import { dec, type Decimal } from '../../domain/money.js';
import type { Candle, Instrument } from '../../domain/types.js';
import type { Listing, MarketTicker } from '../../engine/exchangePort.js';
import { listOf, WireError, WireInstrument, WireKlineResult } from './bybitWire.js';
import { CATEGORY, MAX_PAGES, type RestPipeline } from './restPipeline.js';
import { candleFromRow, candleOutsideBand, instrumentFromWire, intervalToWire, priceBandFromWire, type PriceBand } from './wireToDomain.js';

/** Bybit's kline `limit` maximum. */
const KLINE_PAGE = 1000;
/** Bybit's instruments-info `limit` maximum (default 500). */
const INSTRUMENT_PAGE = 1000;

const WireText = v.optional(v.pipe(v.nullable(v.union([v.string(), v.number()])), v.transform((x) => (x === null ? '' : String(x)))), '');
/** The fields of a linear ticker the scanner and the spread guard read (tests/fixtures/bybit-real/market-tickers.json). */
const WireTicker = v.object({ symbol: v.string(), lastPrice: WireText, bid1Price: WireText, ask1Price: WireText, turnover24h: WireText, fundingRate: WireText });
const WireTickers = v.object({ list: v.array(WireTicker) });
/** The fields of an instrument the scanner reads (tests/fixtures/bybit-real/market-instruments-info.json). */
const WireListing = v.object({
  symbol: v.string(),
  contractType: WireText,
  status: WireText,
  quoteCoin: WireText,
  lotSizeFilter: v.object({ minOrderQty: WireText, minNotionalValue: WireText }),
});

/** A decimal from a wire string; `fallback` for an empty field; a WireError for anything but a number. */
function wireDec(s: string, field: string, fallback: string | null): Decimal | null {
  if (s === '') return fallback === null ? null : dec(fallback);
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw new WireError(`${field} "${s.slice(0, 40)}" is not a number`);
  return dec(s);
}

function tickerFromWire(w: v.InferOutput<typeof WireTicker>): MarketTicker {
  const price = (s: string, field: string) => {
    const d = wireDec(s, `${w.symbol} ${field}`, null);
    return d !== null && d.gt(0) ? d : null;
  };
  return {
    symbol: w.symbol,
    lastPrice: wireDec(w.lastPrice, `${w.symbol} lastPrice`, '0')!,
    bidPrice: price(w.bid1Price, 'bid1Price'),
    askPrice: price(w.ask1Price, 'ask1Price'),
    turnover24h: wireDec(w.turnover24h, `${w.symbol} turnover24h`, '0')!,
    fundingRate: wireDec(w.fundingRate, `${w.symbol} fundingRate`, null),
  };
}

function listingFromWire(w: v.InferOutput<typeof WireListing>): Listing {
  return {
    symbol: w.symbol,
    contractType: w.contractType,
    status: w.status,
    quoteCoin: w.quoteCoin,
    minOrderQty: wireDec(w.lotSizeFilter.minOrderQty, `${w.symbol} minOrderQty`, '0')!,
    minNotional: wireDec(w.lotSizeFilter.minNotionalValue, `${w.symbol} minNotionalValue`, '0')!,
  };
}

export class BybitMarketData {
  readonly #rest: RestPipeline;
  readonly #instruments = new Map<string, Instrument>();
  readonly #bands = new Map<string, PriceBand>();

  constructor(rest: RestPipeline) {
    this.#rest = rest;
  }

  get instruments(): ReadonlyMap<string, Instrument> {
    return this.#instruments;
  }

  /** Bybit's price limits of a loaded instrument (priceFilter.minPrice/maxPrice), or null. */
  priceBand(symbol: string): PriceBand | null {
    return this.#bands.get(symbol) ?? null;
  }

  async loadInstruments(symbols: readonly string[]): Promise<ReadonlyMap<string, Instrument>> {
    const out = new Map<string, Instrument>();
    for (const symbol of symbols) {
      const r = await this.#rest.result(listOf(WireInstrument), 'instruments-info', 'GET', '/v5/market/instruments-info', false, { category: CATEGORY, symbol });
      const wire = r.list.find((i) => i.symbol === symbol);
      if (wire === undefined) throw new ExchangeError(`Bybit lists no linear instrument ${symbol}`, 'fatal');
      const inst = this.#rest.wire('GET /v5/market/instruments-info', () => instrumentFromWire(wire));
      out.set(symbol, inst);
      this.#instruments.set(symbol, inst);
      const band = priceBandFromWire(wire);
      if (band !== null) this.#bands.set(symbol, band);
      else this.#bands.delete(symbol);
    }
    return out;
  }

  /** Reloads the rules of every instrument loaded so far (Bybit changes tick sizes and limits). */
  async refreshInstruments(): Promise<void> {
    if (this.#instruments.size > 0) await this.loadInstruments([...this.#instruments.keys()]);
  }

  /** Every linear instrument Bybit lists (its default: those in status Trading), page by page. */
  async listInstruments(pageLimit = INSTRUMENT_PAGE): Promise<Listing[]> {
    const out: Listing[] = [];
    let cursor = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await this.#rest.result(listOf(WireListing), 'instruments-info', 'GET', '/v5/market/instruments-info', false, {
        category: CATEGORY,
        limit: pageLimit,
        ...(cursor !== '' ? { cursor } : {}),
      });
      out.push(...this.#rest.rows('GET /v5/market/instruments-info', r.list, listingFromWire));
      if (r.nextPageCursor === '' || r.list.length === 0) break;
      cursor = r.nextPageCursor;
    }
    return out;
  }

  /** The linear tickers: every symbol's, or one symbol's. A malformed row is dropped (logged). */
  async fetchTickers(symbol?: string): Promise<MarketTicker[]> {
    const r = await this.#rest.result(WireTickers, 'tickers', 'GET', '/v5/market/tickers', false, { category: CATEGORY, ...(symbol !== undefined ? { symbol } : {}) });
    return this.#rest.rows('GET /v5/market/tickers', r.list, tickerFromWire);
  }

  /**
   * The newest `count` closed candles, ascending. Bybit's newest row is the candle still forming
   * (reference section 3), so one more is asked for and the newest dropped.
   */
  async recentCandles(symbol: string, intervalMinutes: number, count: number): Promise<Candle[]> {
    const r = await this.#rest.result(WireKlineResult, 'kline', 'GET', '/v5/market/kline', false, { category: CATEGORY, symbol, interval: intervalToWire(intervalMinutes), limit: count + 1 });
    const rows = this.#rest.rows('GET /v5/market/kline', r.list, candleFromRow).sort((a, b) => a.ts - b.ts);
    return rows.slice(0, -1).slice(-count);
  }

  async #klines(symbol: string, intervalMinutes: number, startMs: number, endMs: number, limit: number): Promise<Candle[]> {
    const r = await this.#rest.result(WireKlineResult, 'kline', 'GET', '/v5/market/kline', false, {
      category: CATEGORY,
      symbol,
      interval: intervalToWire(intervalMinutes),
      start: startMs,
      end: endMs,
      limit,
    });
    // Newest first on the wire (reference section 3). A corrupt row is dropped (logged): the sequencer
    // counts the hole, which is better than an indicator fed a price of 0 or 1e12.
    const band = this.#bands.get(symbol);
    return this.#rest.rows('GET /v5/market/kline', r.list, candleFromRow, (c) => candleOutsideBand(c, band)).sort((a, b) => a.ts - b.ts);
  }

  /**
   * Closed candles from `sinceMs`, ascending, at most `limit`. Bybit includes the candle still forming
   * as the newest row, and a replayed market (the sandbox) runs on its own time, so closedness is not
   * judged by our clock: a row is closed when a later row exists. We ask for one slot more than we
   * need; the newest row of an answer that reached the present is left for the next call.
   */
  async fetchCandles(symbol: string, intervalMinutes: number, sinceMs: number, limit: number): Promise<Candle[]> {
    const stepMs = intervalMinutes * 60_000;
    const out: Candle[] = [];
    let from = Math.ceil(sinceMs / stepMs) * stepMs;
    for (let page = 0; out.length < limit && page < MAX_PAGES; page++) {
      const want = Math.min(limit - out.length, KLINE_PAGE - 1);
      const rows = await this.#klines(symbol, intervalMinutes, from, from + (want + 1) * stepMs - 1, want + 1);
      const closed = rows.length > want ? rows.slice(0, want) : rows.slice(0, -1);
      out.push(...closed.filter((c) => c.ts >= from));
      if (rows.length <= want) break;
      from = closed[closed.length - 1]!.ts + stepMs;
    }
    return out;
  }

  /** Candles whose open time lies in [fromMs, toMs], all known to be closed (the caller saw a later one). */
  async fetchCandlesBetween(symbol: string, intervalMinutes: number, fromMs: number, toMs: number): Promise<Candle[]> {
    const stepMs = intervalMinutes * 60_000;
    const out: Candle[] = [];
    for (let from = fromMs, page = 0; from <= toMs && page < MAX_PAGES; page++) {
      const end = Math.min(toMs, from + KLINE_PAGE * stepMs - 1);
      const rows = await this.#klines(symbol, intervalMinutes, from, end, KLINE_PAGE);
      out.push(...rows.filter((c) => c.ts >= from && c.ts <= end));
      from = end + 1;
    }
    return out;
  }
}
