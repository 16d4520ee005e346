/**
 * Limit entries (issue 24 item 5): a scalper signal entered with a post-only limit at the signal
 * candle's close (`entry.offsetPct` better) instead of at market, never on the other side of the
 * book (a buy at most the best bid, a sell at least the best ask: see `limitPrice` in
 * ./executor.ts), so that neither side is refused as crossing. The order waits on the book; it
 * is cancelled when it has not filled after `entry.timeoutCandles` candles, or when the price
 * reaches the first target before it filled (the move it was waiting for happened without it).
 * These pure helpers decide when, and word what the owner reads in the log.
 */
import { ExchangeError } from '../domain/exchangeErrors.js';
import type { DeepReadonly, PositionState } from '../domain/persistedState.js';
import type { Candle, Order } from '../domain/types.js';
import type { ExchangePort } from './exchangePort.js';

/** Bybit's reject reason for a post-only order that would have taken liquidity (V5 order list). */
export const POST_ONLY_REJECT = 'EC_PostOnlyWillTakeLiquidity';

/** The close of the candle `timeoutCandles` candles after the one the entry was decided at: the limit's deadline. */
export function limitDeadlineMs(decidedMs: number, intervalMs: number, timeoutCandles: number): number {
  // Aligned to the candle grid: a live decision a few ms after the close expires at a close too.
  return Math.floor(decidedMs / intervalMs) * intervalMs + timeoutCandles * intervalMs;
}

/** The first target's price when `candle` reached it (its high for a long, its low for a short), else null. */
export function firstTargetReached(pos: DeepReadonly<PositionState>, candle: Candle): string | null {
  const first = pos.targets[0]?.price;
  if (first === undefined) return null;
  const p = Number(first);
  return (pos.side === 'long' ? candle.high >= p : candle.low <= p) ? first : null;
}

/**
 * The best bid and ask a limit entry is priced against, read just before it goes out: the book the
 * exchange matches it with (the simulator's own; Bybit's ticker). `touch` null when there is no
 * book to read, `failed` the reason when it could not be read (the limit then goes at its price:
 * Bybit refuses it if it would cross).
 */
export async function limitTouch(port: ExchangePort, symbol: string): Promise<{ touch: { bid: number; ask: number } | null; failed: string | null }> {
  try {
    const top = await (port.fetchMatchingTop ? port.fetchMatchingTop(symbol) : port.fetchBookTop(symbol));
    return { touch: top === null ? null : { bid: top.bidPrice, ask: top.askPrice }, failed: null };
  } catch (e) {
    if (!(e instanceof ExchangeError)) throw e;
    return { touch: null, failed: e.message };
  }
}

/**
 * "BTCUSDT long limit entry placed: 0.012 @ 64000.5, post-only, at the signal candle's close; …";
 * `atBook`: the price was moved to the book's own side ("at the best ask 64000.6 (… would have
 * crossed the book)").
 */
export function limitPlacedLine(sym: string, pos: DeepReadonly<PositionState>, qty: string, price: string, refPrice: number, entry: { readonly offsetPct: number; readonly timeoutCandles: number }, atBook = false): string {
  const ideal = entry.offsetPct > 0 ? `${entry.offsetPct} % better than the signal candle's close ${refPrice}` : `at the signal candle's close ${refPrice}`;
  const at = atBook ? `at the best ${pos.side === 'long' ? 'bid' : 'ask'} ${price} (${entry.offsetPct > 0 ? ideal : `the signal candle's close ${refPrice}`} would have crossed the book)` : ideal;
  const first = pos.targets[0]?.price;
  const target = first !== undefined ? ` or if the price reaches the first target ${first} first` : '';
  return `${sym} ${pos.side} limit entry placed: ${qty} @ ${price}, post-only, ${at}; stop ${pos.stop?.price ?? 'none'}; cancelled if not filled within ${entry.timeoutCandles} candle(s)${target}`;
}

/** The line for a limit entry that ended (filled, partly filled, cancelled, or refused by Bybit). */
export function limitEndedLine(sym: string, side: string, o: Order, cancelWhy: string | null): string {
  const price = o.price?.toFixed() ?? '?';
  if (o.filledQty.gt(0) && o.status === 'filled') return `${sym} ${side} limit entry filled: ${o.filledQty.toFixed()} @ ${(o.avgFillPrice ?? o.price)?.toFixed() ?? price} as maker`;
  if (o.filledQty.gt(0)) return `${sym} ${side} limit entry partly filled: ${o.filledQty.toFixed()} of ${o.qty.toFixed()} @ ${price}, the rest cancelled${cancelWhy ? ` (${cancelWhy})` : ''}`;
  if (o.rejectReason === POST_ONLY_REJECT) return `${sym} ${side} limit entry refused by Bybit: ${POST_ONLY_REJECT} (a post-only order at ${price} would have crossed the book and taken liquidity); signal dropped`;
  if (cancelWhy) return `${sym} ${side} limit entry cancelled: ${cancelWhy}`;
  // Cancelled by close-all or the kill switch, in the Bybit app, or no longer known to Bybit after a restart.
  const what = o.status === 'lost' ? 'is no longer on the exchange' : `was ${o.status} on the exchange${o.rejectReason ? ` (Bybit: ${o.rejectReason})` : ''}`;
  return `${sym} ${side} limit entry at ${price} ended unfilled: it ${what}; nothing left pending`;
}
