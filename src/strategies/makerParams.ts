/**
 * Parameters of the market maker (issue 5, Avellaneda–Stoikov style), one set per symbol; the
 * config loader embeds this schema as each symbol's `params`, so `v.parse(makerParamsSchema, {})`
 * yields the full defaults. Defaults suit BTCUSDT on 1-minute candles.
 *
 * Units. σ is the sample standard deviation of the last `volWindow` per-candle log returns of the
 * close, a plain fraction per candle (BTCUSDT 1m, May–June 2025: median 0.00035, 10th–90th
 * percentile 0.0002–0.0007).
 * The half-spread, as a fraction of the reservation price, is max(minSpreadPct/100, volK·σ).
 * The reservation price is mid·(1 − q·γ·σ²), q = signed inventory in units of `orderQty` (long > 0),
 * so γ is "per σ²": with σ = 0.00035 and γ = 1000, one unit of inventory shifts both quotes by
 * 1000·1.2e-7 ≈ 0.012 % of mid, about a third of the half-spread, so the ask reaches the touch near
 * q = 3 of the default maxInventory 5; at σ = 0.0007 the shift is four times that.
 */
import * as v from 'valibot';
import { intInRange as int, numInRange as num, positiveUpTo as positive } from './paramChecks.js';

export const makerParamsSchema = v.strictObject({
  /** Base units per quote (BTC for BTCUSDT); the engine rounds it to the lot step. */
  orderQty: v.optional(positive(1e9), 0.001),
  /** Quotes per side. */
  levels: v.optional(int(1, 10), 1),
  /** Extra distance between consecutive levels, percent of the reservation price. */
  levelSpacingPct: v.optional(num(0, 10), 0.05),
  /** Minimum half-spread, percent of the reservation price (fees: Bybit maker 0.02 % a side). */
  minSpreadPct: v.optional(num(0, 10), 0.03),
  /** Half-spread = max(minSpread, volK·σ), σ per candle (see the header). */
  volK: v.optional(num(0, 1000), 1),
  /** Risk aversion γ for the q·γ·σ² reservation shift (see the header for units). */
  gamma: v.optional(num(0, 1e9), 1000),
  /** Candles (log returns) behind the realised volatility σ. */
  volWindow: v.optional(int(2, 10_000), 30),
  /** Inventory limit in units of orderQty; at or beyond it only the reducing side is quoted. */
  maxInventory: v.optional(positive(1e6), 5),
  /** Adverse move of the mid from the entry price, in percent, that makes the maker exit its inventory. */
  inventoryStopPct: v.optional(positive(100), 1),
  /** After an inventory stop, quotes are pulled for this long (ms). */
  stopPauseMs: v.optional(int(0, 86_400_000), 60_000),
  /** A live quote within this percent of its desired price is left alone (diffQuotes). */
  refreshTolerancePct: v.optional(num(0, 10), 0.02),
  /** A live quote older than this (ms) is replaced even when still within tolerance. */
  maxQuoteAgeMs: v.optional(int(1000, 86_400_000), 300_000),
  /** A book snapshot older than this (ms) is stale: quotes are pulled rather than placed from it. */
  maxBookAgeMs: v.optional(int(100, 3_600_000), 5_000),
});

export type MakerParams = v.InferOutput<typeof makerParamsSchema>;

export const DEFAULT_MAKER_PARAMS: Readonly<MakerParams> = Object.freeze(v.parse(makerParamsSchema, {}));
