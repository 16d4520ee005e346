/**
 * Market maker (issue 5): inventory skew, volatility-driven spread, the inventory limit, the
 * inventory stop, and book safety. The formulas are in src/strategies/maker.ts's header; expected
 * prices below are worked from them by hand.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { DesiredQuote, Intent } from '../../src/domain/types.js';
import { LogReturnStdev } from '../../src/indicators/logReturnStdev.js';
import { Maker, makerQuotes } from '../../src/strategies/maker.js';
import { makerParamsSchema, type MakerParams } from '../../src/strategies/makerParams.js';
import { FLAT, type BookTop, type PositionView } from '../../src/strategies/strategy.js';
import { realCandles } from '../indicators/realData.js';

const P = (over: Partial<MakerParams> = {}): MakerParams => v.parse(makerParamsSchema, over);
const book = { bestBid: 99_999.9, bestAsk: 100_000.1 }; // mid 100000
const bid = (qs: readonly DesiredQuote[], level = 0) => qs.find((q) => q.side === 'buy' && q.level === level)?.price;
const ask = (qs: readonly DesiredQuote[], level = 0) => qs.find((q) => q.side === 'sell' && q.level === level)?.price;

describe('makerQuotes', () => {
  const sigma = 0.0005;

  it('flat: quotes symmetric around the mid with half-spread max(minSpread, volK·σ)', () => {
    // h = max(0.03 %, 1 × 0.05 %) = 0.0005; bid = 100000 × 0.9995 = 99950, ask = 100050.
    const plan = makerQuotes({ ...book, inventoryQ: 0, sigma, params: P() });
    expect(plan.halfSpread).toBeCloseTo(0.0005, 15);
    expect(bid(plan.quotes)).toBeCloseTo(99_950, 6);
    expect(ask(plan.quotes)).toBeCloseTo(100_050, 6);
    expect(plan.quotes.every((q) => q.qty === 0.001)).toBe(true);
  });

  it('a long inventory moves both quotes down, a short one moves both up (reservation mid·(1 − q·γ·σ²))', () => {
    const flat = makerQuotes({ ...book, inventoryQ: 0, sigma, params: P() }).quotes;
    const long = makerQuotes({ ...book, inventoryQ: 1, sigma, params: P() });
    const short = makerQuotes({ ...book, inventoryQ: -1, sigma, params: P() });
    // q = 1: shift 1 × 1000 × 2.5e-7 = 0.025 %: reservation 99975, bid 99975 × 0.9995 = 99925.0125,
    // ask 99975 × 1.0005 = 100024.9875.
    expect(long.reservation).toBeCloseTo(99_975, 6);
    expect(bid(long.quotes)).toBeCloseTo(99_925.0125, 6);
    expect(ask(long.quotes)).toBeCloseTo(100_024.9875, 6);
    expect(short.reservation).toBeCloseTo(100_025, 6);
    expect(bid(long.quotes)!).toBeLessThan(bid(flat)!);
    expect(ask(long.quotes)!).toBeLessThan(ask(flat)!);
    expect(bid(short.quotes)!).toBeGreaterThan(bid(flat)!);
    expect(ask(short.quotes)!).toBeGreaterThan(ask(flat)!);
    // The skew grows with inventory.
    const longer = makerQuotes({ ...book, inventoryQ: 3, sigma, params: P() }).quotes;
    expect(bid(longer)!).toBeLessThan(bid(long.quotes)!);
  });

  it('widens the spread with volatility, and never below the minimum', () => {
    const width = (s: number) => {
      const qs = makerQuotes({ ...book, inventoryQ: 0, sigma: s, params: P() }).quotes;
      return ask(qs)! - bid(qs)!;
    };
    // Below 0.03 % the minimum holds: 2 × 0.0003 × 100000 = 60.
    expect(width(0)).toBeCloseTo(60, 6);
    expect(width(0.0001)).toBeCloseTo(60, 6);
    expect(width(0.0005)).toBeCloseTo(100, 6);
    expect(width(0.001)).toBeCloseTo(200, 6);
    expect(width(0.002)).toBeGreaterThan(width(0.001));
  });

  it('at max inventory quotes only the side that reduces it', () => {
    const atMaxLong = makerQuotes({ ...book, inventoryQ: 5, sigma, params: P() }).quotes;
    expect(atMaxLong.map((q) => q.side)).toEqual(['sell']);
    const beyondShort = makerQuotes({ ...book, inventoryQ: -7, sigma, params: P() }).quotes;
    expect(beyondShort.map((q) => q.side)).toEqual(['buy']);
    const below = makerQuotes({ ...book, inventoryQ: 4.99, sigma, params: P() }).quotes;
    expect(below.map((q) => q.side)).toEqual(['buy', 'sell']);
  });

  it('places extra levels levelSpacingPct further out', () => {
    const qs = makerQuotes({ ...book, inventoryQ: 0, sigma, params: P({ levels: 3, levelSpacingPct: 0.1 }) }).quotes;
    expect(qs).toHaveLength(6);
    expect(bid(qs, 1)).toBeCloseTo(100_000 * (1 - 0.0005 - 0.001), 6);
    expect(ask(qs, 2)).toBeCloseTo(100_000 * (1 + 0.0005 + 0.002), 6);
  });

  it('never crosses the book (post-only): a heavily skewed ask joins the best ask instead', () => {
    // q = 4.9, σ = 0.001: shift 4.9 × 1000 × 1e-6 = 0.49 %; the ask would sit far below the bid.
    const qs = makerQuotes({ ...book, inventoryQ: 4.9, sigma: 0.001, params: P() }).quotes;
    expect(ask(qs)).toBe(book.bestAsk);
    expect(bid(qs)!).toBeLessThanOrEqual(book.bestBid);
  });
});

describe('Maker strategy on real BTCUSDT 1m candles', () => {
  const candles = realCandles('bybit-BTCUSDT-1m.csv.gz');
  const MINUTE = 60_000;
  const top = (price: number, ts: number): BookTop => ({ bidPrice: price - 0.1, bidQty: 2, askPrice: price, askQty: 3, ts });

  function warmed(rows: number, params: Partial<MakerParams> = {}): Maker {
    const m = new Maker({ symbol: 'BTCUSDT', params });
    for (let i = 0; i < rows; i++) expect(m.onCandle(candles[i]!, FLAT, candles[i]!.ts + MINUTE)).toBeNull();
    return m;
  }

  it('quotes nothing until σ is warmed up (volWindow + 1 candles), then both sides', () => {
    const m = warmed(30);
    expect(m.warmupCandles).toBe(31);
    expect(m.onBook(top(106_000, 0), FLAT, 10)).toBeNull();
    m.onCandle(candles[30]!, FLAT, candles[30]!.ts + MINUTE);
    const q = m.onBook(top(106_000, 0), FLAT, 10) as Extract<Intent, { kind: 'quote' }>;
    expect(q.kind).toBe('quote');
    expect(q.quotes.map((x) => x.side)).toEqual(['buy', 'sell']);
    expect(q.reason).toMatch(/^mid 105999.95, sigma /);
  });

  it('widens its spread after the real sell-off of rows 37–41 (σ from the closes)', () => {
    // Rows 37–41 hold a 983-BTC sell-off and rebound: σ over the 30 returns up to row 45 is well
    // above σ up to row 36, so the quoted width is too.
    const sigmaAt = (rows: number) => {
      const s = new LogReturnStdev(30);
      for (let i = 0; i < rows; i++) s.update(candles[i]!.close);
      return s.value!;
    };
    expect(sigmaAt(46)).toBeGreaterThan(1.5 * sigmaAt(37));
    const width = (rows: number) => {
      const q = warmed(rows, { minSpreadPct: 0 }).onBook(top(106_000, 0), FLAT, 0) as Extract<Intent, { kind: 'quote' }>;
      return ask(q.quotes)! - bid(q.quotes)!;
    };
    expect(width(46)).toBeGreaterThan(1.5 * width(37));
  });

  it('skews against a real position: a long lowers both quotes, a short raises them', () => {
    const m = warmed(60);
    const flat = (m.onBook(top(106_000, 0), FLAT, 0) as Extract<Intent, { kind: 'quote' }>).quotes;
    const long: PositionView = { side: 'long', sizeBase: 0.003, entryPrice: 106_000 };
    const short: PositionView = { side: 'short', sizeBase: 0.003, entryPrice: 106_000 };
    const ql = (m.onBook(top(106_000, 0), long, 0) as Extract<Intent, { kind: 'quote' }>).quotes;
    const qs = (m.onBook(top(106_000, 0), short, 0) as Extract<Intent, { kind: 'quote' }>).quotes;
    expect(bid(ql)!).toBeLessThan(bid(flat)!);
    expect(ask(ql)!).toBeLessThan(ask(flat)!);
    expect(bid(qs)!).toBeGreaterThan(bid(flat)!);
    expect(ask(qs)!).toBeGreaterThan(ask(flat)!);
    // 0.005 BTC = 5 × orderQty: at the limit, only the reducing side.
    const full = m.onBook(top(106_000, 0), { side: 'long', sizeBase: 0.005, entryPrice: 106_000 }, 0) as Extract<Intent, { kind: 'quote' }>;
    expect(full.quotes.map((x) => x.side)).toEqual(['sell']);
    expect(full.reason).toMatch(/at max inventory: only asks/);
  });

  it('exits an inventory that moved inventoryStopPct against it, then pulls quotes for stopPauseMs', () => {
    const m = warmed(60);
    const long: PositionView = { side: 'long', sizeBase: 0.002, entryPrice: 107_000 };
    // 107000 → 105900 is −1.03 %: beyond the 1 % stop.
    const exit = m.onBook(top(105_900, 1_000), long, 1_000);
    expect(exit?.kind).toBe('exit');
    expect(exit?.reason).toMatch(/^inventory stop: mid 105899.95 is 1.0\d+% against the long entry 107000/);
    const paused = m.onBook(top(105_900, 30_000), FLAT, 30_000) as Extract<Intent, { kind: 'quote' }>;
    expect(paused.quotes).toEqual([]);
    expect(paused.reason).toMatch(/paused after an inventory stop/);
    const resumed = m.onBook(top(105_900, 61_000), FLAT, 61_000) as Extract<Intent, { kind: 'quote' }>;
    expect(resumed.quotes).toHaveLength(2);
    // Within the limit: no exit.
    expect(m.onBook(top(106_000, 62_000), long, 62_000)?.kind).toBe('quote');
  });

  it('a candle close beyond the inventory stop exits too (short)', () => {
    const m = warmed(60);
    const short: PositionView = { side: 'short', sizeBase: 0.001, entryPrice: candles[60]!.close / 1.02 };
    expect(m.onCandle(candles[60]!, short, candles[60]!.ts + MINUTE)?.kind).toBe('exit');
  });

  it('pulls its quotes on a stale, crossed or empty book rather than quoting from it', () => {
    const m = warmed(60);
    const stale = m.onBook(top(106_000, 0), FLAT, 5_001) as Extract<Intent, { kind: 'quote' }>;
    expect(stale.quotes).toEqual([]);
    expect(stale.reason).toMatch(/5001 ms old/);
    const crossed = m.onBook({ bidPrice: 106_001, bidQty: 1, askPrice: 106_000, askQty: 1, ts: 0 }, FLAT, 0) as Extract<Intent, { kind: 'quote' }>;
    expect(crossed.quotes).toEqual([]);
    const empty = m.onBook({ bidPrice: 0, bidQty: 0, askPrice: NaN, askQty: 0, ts: 0 }, FLAT, 0) as Extract<Intent, { kind: 'quote' }>;
    expect(empty.quotes).toEqual([]);
  });
});
