/**
 * A deterministic order book around the replayed price (issue 3, "Market data replay").
 *
 * - The spread is always exactly one tick and the last trade sits on one side of it, found by the
 *   tick test (Lee & Ready 1991): a trade above the one before it (an uptick) was a buy that took
 *   the ask, so the best ask = the last price (rounded up to the tick), the best bid one tick below;
 *   a downtick was a sell that hit the bid, so the best bid = the last price (rounded down), the ask
 *   one tick above; a trade at the same price keeps the side of the one before (the first: the bid).
 *   So a post-only buy or sell at the last price is refused as crossing on the side the last trade
 *   took, as on Bybit, and rests on the other: both sides alike. The book is never crossed, and a
 *   market buy in the sandbox fills at the best ask, a market sell at the best bid (see `Simulator`).
 * - Each level holds `volume / 100 × u` of the candle's base volume, u uniform in [0.3, 1.7), seeded
 *   by the candle's start time and the level's absolute price, rounded to the qty step (at least one
 *   step). Sizes depend on the price level, not on the distance to the top, so a move of k ticks
 *   changes only about k levels per side: websocket deltas stay small, as on Bybit.
 * - User orders are not shown in this book (they rest in the simulator only).
 * All arithmetic is on integers (price in ticks, size in steps); strings are built exactly.
 */
import type { Candle, Instrument } from '../domain/types.js';
import { hashUnit } from './prng.js';

export type BookLevel = [price: string, size: string];

export interface BookSnapshot {
  readonly bids: BookLevel[];
  readonly asks: BookLevel[];
}

/** Integer-scaled decimal formatting: `units` × 10^-decimals as a plain string. */
export function formatScaled(units: number, decimals: number): string {
  if (decimals === 0) return String(units);
  const neg = units < 0;
  const s = String(Math.abs(units)).padStart(decimals + 1, '0');
  return (neg ? '-' : '') + s.slice(0, s.length - decimals) + '.' + s.slice(s.length - decimals);
}

export class SyntheticBook {
  readonly #priceDecimals: number;
  readonly #tickUnits: number;
  readonly #priceScale: number;
  readonly #qtyDecimals: number;
  readonly #stepUnits: number;
  readonly #step: number;
  /** The last trade's price and whether it took the ask (the tick test), as told by `trade`. */
  #last = NaN;
  #up = false;

  constructor(instrument: Instrument) {
    this.#priceDecimals = instrument.tickSize.decimalPlaces();
    this.#priceScale = 10 ** this.#priceDecimals;
    this.#tickUnits = Math.round(instrument.tickSize.toNumber() * this.#priceScale);
    this.#qtyDecimals = instrument.qtyStep.decimalPlaces();
    this.#stepUnits = Math.round(instrument.qtyStep.toNumber() * 10 ** this.#qtyDecimals);
    this.#step = instrument.qtyStep.toNumber();
  }

  /** A trade at `price` (the simulator's last price moved there): its side by the tick test. */
  trade(price: number): void {
    if (price > this.#last) this.#up = true;
    else if (price < this.#last) this.#up = false;
    this.#last = price;
  }

  /**
   * The candle `c` traded along its path (./candlePath.ts: open, the nearer extreme, the other,
   * close) without the single moves being told: the same side as four `trade` calls, without them.
   * Given the candle, not its four prices: a double read from a candle and passed to a call that is
   * not inlined is boxed anew (issue 18: four heap numbers a candle).
   */
  tradeCandle(c: Candle): void {
    const open = c.open;
    const close = c.close;
    const highFirst = c.high - open < open - c.low;
    const first = highFirst ? c.high : c.low;
    const second = highFirst ? c.low : c.high;
    if (close !== second) this.#up = close > second;
    else if (second !== first) this.#up = second > first;
    else if (first !== open) this.#up = first > open;
    else if (open !== this.#last && !Number.isNaN(this.#last)) this.#up = open > this.#last;
    this.#last = close;
  }

  /** Best bid in ticks (an integer) for a traded price, on the side the last trade took. */
  bidTicks(price: number): number {
    const units = Math.round(price * this.#priceScale) / this.#tickUnits;
    return this.#up ? Math.ceil(units - 1e-9) - 1 : Math.floor(units + 1e-9);
  }

  priceOfTicks(ticks: number): string {
    return formatScaled(ticks * this.#tickUnits, this.#priceDecimals);
  }

  /** Best bid and ask as numbers (for cheap comparisons). */
  touch(price: number): { bid: number; ask: number } {
    const b = this.bidTicks(price);
    return { bid: (b * this.#tickUnits) / this.#priceScale, ask: ((b + 1) * this.#tickUnits) / this.#priceScale };
  }

  #size(candleKey: number, ticks: number, volume: number): string {
    const u = 0.3 + 1.4 * hashUnit(candleKey, ticks, 7);
    const steps = Math.max(1, Math.round((volume / 100) * u / this.#step));
    return formatScaled(steps * this.#stepUnits, this.#qtyDecimals);
  }

  /** `depth` levels per side around `price`, for the candle starting at `candleTs` with base volume `volume`. */
  snapshot(price: number, candleTs: number, volume: number, depth: number): BookSnapshot {
    const key = Math.floor(candleTs / 1000) | 0;
    const bid = this.bidTicks(price);
    const bids: BookLevel[] = [];
    const asks: BookLevel[] = [];
    for (let i = 0; i < depth; i++) {
      const bt = bid - i;
      if (bt > 0) bids.push([this.priceOfTicks(bt), this.#size(key, bt, volume)]);
      const at = bid + 1 + i;
      asks.push([this.priceOfTicks(at), this.#size(key, at, volume)]);
    }
    return { bids, asks };
  }
}
