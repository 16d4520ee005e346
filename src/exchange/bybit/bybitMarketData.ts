/**
 * Bybit V5 market data over REST (issue 4, item 2): instrument rules and price limits, and closed
 * candles in pages (reference/bybit-v5.md section 3). Public endpoints: no keys needed.
 */
import { ExchangeError } from '../../domain/exchangeErrors.js';
import type { Candle, Instrument } from '../../domain/types.js';
import { listOf, WireInstrument, WireKlineResult } from './bybitWire.js';
import { CATEGORY, MAX_PAGES, type RestPipeline } from './restPipeline.js';
import { candleFromRow, candleOutsideBand, instrumentFromWire, intervalToWire, priceBandFromWire, type PriceBand } from './wireToDomain.js';

/** Bybit's kline `limit` maximum. */
const KLINE_PAGE = 1000;

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
