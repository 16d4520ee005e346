/**
 * The market maker (issue 5): post-only quotes on both sides around a reservation price skewed
 * against inventory, Avellaneda–Stoikov style. Pure; units are documented in ./makerParams.ts.
 * - σ: sample stdev of the last `volWindow` per-candle log returns of the close (onCandle).
 * - reservation r = mid·(1 − q·γ·σ²), q = signed inventory in units of orderQty (long > 0), so a
 *   long inventory lowers both quotes (sell sooner, buy later) and a short one raises them.
 * - half-spread h = max(minSpreadPct/100, volK·σ); level l sits at r·(1 ∓ (h + l·levelSpacingPct/100)).
 * - post-only safety: a bid is never above the best bid, an ask never below the best ask, so a
 *   skewed quote joins the touch instead of crossing (and being rejected).
 * - |q| ≥ maxInventory: only the side that reduces the inventory is quoted.
 * - inventory stop: the mid (or a close) inventoryStopPct against the entry price gives an `exit`
 *   intent, then quotes are pulled (an empty `quote` intent) for stopPauseMs.
 * - a stale (older than maxBookAgeMs), crossed or empty book pulls the quotes too.
 * The engine turns each `quote` intent into orders with diffQuotes (./diffQuotes.ts).
 */
import * as v from 'valibot';
import type { Candle, DesiredQuote, Intent } from '../domain/types.js';
import { LogReturnStdev } from '../indicators/logReturnStdev.js';
import { makerParamsSchema, type MakerParams } from './makerParams.js';
import type { BookTop, PositionView, Strategy } from './strategy.js';

export interface QuoteInputs {
  readonly bestBid: number;
  readonly bestAsk: number;
  /** Signed inventory in units of orderQty (long > 0). */
  readonly inventoryQ: number;
  /** Realised volatility per candle, a fraction (see ./makerParams.ts). */
  readonly sigma: number;
  readonly params: MakerParams;
}

export interface QuotePlan {
  readonly mid: number;
  readonly reservation: number;
  /** Half-spread as a fraction of the reservation price. */
  readonly halfSpread: number;
  readonly quotes: DesiredQuote[];
}

/** The desired quotes for one book snapshot; the formulas of the header. */
export function makerQuotes(input: QuoteInputs): QuotePlan {
  const { bestBid, bestAsk, inventoryQ: q, sigma, params: p } = input;
  const mid = (bestBid + bestAsk) / 2;
  const reservation = mid * (1 - q * p.gamma * sigma * sigma);
  const halfSpread = Math.max(p.minSpreadPct / 100, p.volK * sigma);
  const spacing = p.levelSpacingPct / 100;
  const quoteBids = q < p.maxInventory;
  const quoteAsks = q > -p.maxInventory;
  const quotes: DesiredQuote[] = [];
  for (let level = 0; level < p.levels; level++) {
    const offset = halfSpread + level * spacing;
    if (quoteBids) quotes.push({ side: 'buy', level, price: Math.min(reservation * (1 - offset), bestBid), qty: p.orderQty });
    if (quoteAsks) quotes.push({ side: 'sell', level, price: Math.max(reservation * (1 + offset), bestAsk), qty: p.orderQty });
  }
  return { mid, reservation, halfSpread, quotes };
}

export interface MakerOptions {
  readonly symbol: string;
  /** Raw parameters (validated and defaulted here), e.g. the config's per-symbol `params`. */
  readonly params?: v.InferInput<typeof makerParamsSchema>;
}

export class Maker implements Strategy {
  readonly name = 'maker' as const;
  readonly symbol: string;
  readonly params: Readonly<MakerParams>;
  readonly warmupCandles: number;
  readonly #vol: LogReturnStdev;
  #lastTs = -Infinity;
  #pausedUntilMs = -Infinity;

  constructor(options: MakerOptions) {
    this.symbol = options.symbol;
    this.params = v.parse(makerParamsSchema, options.params ?? {});
    this.#vol = new LogReturnStdev(this.params.volWindow);
    this.warmupCandles = this.#vol.requiredInputs;
  }

  /** Current σ (per candle, fraction), or null while warming up. */
  get sigma(): number | null {
    return this.#vol.value;
  }

  onCandle(candle: Candle, position: PositionView, nowMs: number): Intent | null {
    if (!(candle.ts > this.#lastTs)) return null;
    this.#lastTs = candle.ts;
    this.#vol.update(candle.close);
    return this.#inventoryStop(candle.close, 'close', position, nowMs);
  }

  onBook(top: BookTop, position: PositionView, nowMs: number): Intent | null {
    const p = this.params;
    if (nowMs < this.#pausedUntilMs) return this.#pull(nowMs, 'quotes paused after an inventory stop');
    const { bidPrice, askPrice } = top;
    if (!(bidPrice > 0 && askPrice > bidPrice && Number.isFinite(askPrice))) {
      return this.#pull(nowMs, `book unusable (bid ${bidPrice}, ask ${askPrice})`);
    }
    if (nowMs - top.ts > p.maxBookAgeMs) return this.#pull(nowMs, `book is ${nowMs - top.ts} ms old`);
    const sigma = this.#vol.value;
    if (sigma === null) return null; // warming up: nothing was quoted yet, nothing to do
    const mid = (bidPrice + askPrice) / 2;
    const stop = this.#inventoryStop(mid, 'mid', position, nowMs);
    if (stop !== null) return stop;
    const q = position.side === null ? 0 : ((position.side === 'long' ? 1 : -1) * position.sizeBase) / p.orderQty;
    const plan = makerQuotes({ bestBid: bidPrice, bestAsk: askPrice, inventoryQ: q, sigma, params: p });
    const limited = Math.abs(q) >= p.maxInventory ? `, at max inventory: only ${q > 0 ? 'asks' : 'bids'}` : '';
    const reason =
      `mid ${mid}, sigma ${sigma.toPrecision(3)}, q ${Number(q.toFixed(3))} -> reservation ${Number(plan.reservation.toFixed(8))}, ` +
      `half-spread ${Number((plan.halfSpread * 100).toFixed(4))}%${limited}`;
    return { kind: 'quote', symbol: this.symbol, decidedAtMs: nowMs, quotes: plan.quotes, reason };
  }

  #inventoryStop(price: number, what: string, position: PositionView, nowMs: number): Intent | null {
    if (position.side === null || !(position.entryPrice > 0)) return null;
    const adverse = position.side === 'long' ? (position.entryPrice - price) / position.entryPrice : (price - position.entryPrice) / position.entryPrice;
    if (adverse * 100 < this.params.inventoryStopPct) return null;
    this.#pausedUntilMs = nowMs + this.params.stopPauseMs;
    return {
      kind: 'exit',
      symbol: this.symbol,
      decidedAtMs: nowMs,
      reason: `inventory stop: ${what} ${price} is ${Number((adverse * 100).toFixed(3))}% against the ${position.side} entry ${position.entryPrice} (limit ${this.params.inventoryStopPct}%)`,
    };
  }

  #pull(nowMs: number, why: string): Intent {
    return { kind: 'quote', symbol: this.symbol, decidedAtMs: nowMs, quotes: [], reason: `no quotes: ${why}` };
  }
}
