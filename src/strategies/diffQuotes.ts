/**
 * Decides how to move the maker's live quotes to the desired ones (STYLE point 5, issue 5): quotes
 * are matched by side and level; a live quote whose price is within `pricePct` of its desired price
 * (and whose quantity is within `qtyPct`) is left alone, because every amend costs rate limit and
 * the phone's data; a moved one is amended; a live quote with no desired counterpart (or a duplicate
 * of one) is cancelled; a desired quote with no live counterpart is created. A live quote older than
 * `maxAgeMs` is cancelled and created afresh (hummingbot's max order age). Pure.
 */
import type { DesiredQuote, Side } from '../domain/types.js';

/** A resting maker order as the engine tracks it, in strategy numbers. */
export interface LiveQuote {
  /** The engine's key for the order (our orderLinkId). */
  readonly id: string;
  readonly side: Side;
  readonly level: number;
  readonly price: number;
  readonly qty: number;
  /** When it was placed or last amended (Unix ms). */
  readonly placedMs: number;
}

export interface QuoteTolerance {
  /** Price change, percent of the desired price, below which a live quote is kept. */
  readonly pricePct: number;
  /** Quantity change, percent of the desired quantity, below which it is kept. Default 1. */
  readonly qtyPct?: number;
  /** Live quotes older than this are replaced. Omit to never replace by age. */
  readonly maxAgeMs?: number;
  /** Required with maxAgeMs. */
  readonly nowMs?: number;
}

export interface QuoteAmend {
  readonly live: LiveQuote;
  readonly desired: DesiredQuote;
}

export interface QuoteDiff {
  readonly cancel: LiveQuote[];
  readonly amend: QuoteAmend[];
  readonly create: DesiredQuote[];
}

export function diffQuotes(live: readonly LiveQuote[], desired: readonly DesiredQuote[], tolerance: QuoteTolerance): QuoteDiff {
  const priceTol = tolerance.pricePct / 100;
  const qtyTol = (tolerance.qtyPct ?? 1) / 100;
  const maxAgeMs = tolerance.maxAgeMs;
  if (maxAgeMs !== undefined && tolerance.nowMs === undefined) throw new RangeError('diffQuotes: maxAgeMs needs nowMs');
  const cancel: LiveQuote[] = [];
  const amend: QuoteAmend[] = [];
  const create: DesiredQuote[] = [];

  const wanted = new Map<string, DesiredQuote>();
  for (const d of desired) {
    const key = slot(d.side, d.level);
    // Two desired quotes for one slot is a strategy bug; the later one wins, deterministically.
    wanted.set(key, d);
  }
  // For each slot keep the live quote closest to the desired price; cancel the others.
  const kept = new Map<string, LiveQuote>();
  for (const l of live) {
    const key = slot(l.side, l.level);
    const d = wanted.get(key);
    if (d === undefined) {
      cancel.push(l);
      continue;
    }
    const prev = kept.get(key);
    if (prev === undefined) {
      kept.set(key, l);
    } else if (Math.abs(l.price - d.price) < Math.abs(prev.price - d.price)) {
      cancel.push(prev);
      kept.set(key, l);
    } else {
      cancel.push(l);
    }
  }
  for (const [key, d] of wanted) {
    const l = kept.get(key);
    if (l === undefined) {
      create.push(d);
      continue;
    }
    if (maxAgeMs !== undefined && tolerance.nowMs! - l.placedMs > maxAgeMs) {
      cancel.push(l);
      create.push(d);
      continue;
    }
    const priceMoved = Math.abs(l.price - d.price) > priceTol * d.price;
    const qtyMoved = Math.abs(l.qty - d.qty) > qtyTol * d.qty;
    if (priceMoved || qtyMoved) amend.push({ live: l, desired: d });
  }
  return { cancel, amend, create };
}

function slot(side: Side, level: number): string {
  return `${side}:${level}`;
}
