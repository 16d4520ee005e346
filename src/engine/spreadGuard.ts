/**
 * The spread guard (issue 24): a scalper's market entry pays half the spread on the way in, so it is
 * skipped while the live spread, (ask − bid) / mid, exceeds the symbol's `maxSpreadPct`. The book
 * is read when the entry is about to go out, not from a stream the scalper does not otherwise need.
 */
import { ExchangeError } from '../domain/exchangeErrors.js';
import type { ExchangePort } from './exchangePort.js';

/** Spread in percent of the mid price. */
export function spreadPct(bid: number, ask: number): number {
  return ((ask - bid) / ((ask + bid) / 2)) * 100;
}

/** Percent with enough decimals to tell a spread from its limit (0.0123 %, 0.5 %). */
function pctText(pct: number): string {
  return `${pct >= 0.1 ? pct.toFixed(3) : pct.toPrecision(3)} %`;
}

/**
 * Why the entry must not go out now, or null. No limit: null without asking. No live book (the
 * backtester): null. A book that cannot be read, or one side empty, refuses: an unmeasured spread
 * is not a narrow one.
 */
export async function spreadRefusal(port: ExchangePort, symbol: string, maxSpreadPct: number | null | undefined): Promise<string | null> {
  if (maxSpreadPct === null || maxSpreadPct === undefined) return null;
  let top;
  try {
    top = await port.fetchBookTop(symbol);
  } catch (e) {
    if (!(e instanceof ExchangeError)) throw e;
    return `the spread could not be read (${e.message}), limit ${pctText(maxSpreadPct)}`;
  }
  if (top === null) return null;
  if (!(top.bidPrice > 0) || !(top.askPrice > 0)) return `the book has no ${top.bidPrice > 0 ? 'ask' : 'bid'}, limit ${pctText(maxSpreadPct)}`;
  const spread = spreadPct(top.bidPrice, top.askPrice);
  if (spread <= maxSpreadPct) return null;
  return `spread ${pctText(spread)} (bid ${top.bidPrice}, ask ${top.askPrice}) is above the limit ${pctText(maxSpreadPct)}`;
}
