/** diffQuotes (STYLE point 5): the pure decision of which maker orders to keep, amend, cancel or create. */
import { describe, expect, it } from 'vitest';
import type { DesiredQuote } from '../../src/domain/types.js';
import { diffQuotes, type LiveQuote } from '../../src/strategies/diffQuotes.js';

const live = (id: string, side: 'buy' | 'sell', level: number, price: number, qty = 0.001, placedMs = 0): LiveQuote => ({ id, side, level, price, qty, placedMs });
const want = (side: 'buy' | 'sell', level: number, price: number, qty = 0.001): DesiredQuote => ({ side, level, price, qty });
const tol = { pricePct: 0.02 }; // 0.02 % of 100000 = 20

describe('diffQuotes', () => {
  it('leaves quotes that moved less than the tolerance alone', () => {
    const d = diffQuotes([live('b0', 'buy', 0, 99_950), live('a0', 'sell', 0, 100_050)], [want('buy', 0, 99_969), want('sell', 0, 100_031)], tol);
    expect(d).toEqual({ cancel: [], amend: [], create: [] });
  });

  it('amends a quote that moved beyond the tolerance, keeping the other', () => {
    const b0 = live('b0', 'buy', 0, 99_950);
    const d = diffQuotes([b0, live('a0', 'sell', 0, 100_050)], [want('buy', 0, 99_925), want('sell', 0, 100_040)], tol);
    expect(d.amend).toEqual([{ live: b0, desired: want('buy', 0, 99_925) }]);
    expect(d.cancel).toEqual([]);
    expect(d.create).toEqual([]);
  });

  it('amends a quantity change beyond qtyPct', () => {
    const b0 = live('b0', 'buy', 0, 99_950, 0.001);
    expect(diffQuotes([b0], [want('buy', 0, 99_950, 0.002)], tol).amend).toHaveLength(1);
    expect(diffQuotes([b0], [want('buy', 0, 99_950, 0.001000001)], tol).amend).toHaveLength(0);
  });

  it('cancels live quotes nobody wants and creates missing ones', () => {
    const a0 = live('a0', 'sell', 0, 100_050);
    const b1 = live('b1', 'buy', 1, 99_900);
    const d = diffQuotes([a0, b1, live('b0', 'buy', 0, 99_950)], [want('buy', 0, 99_950), want('buy', 2, 99_800)], tol);
    expect(d.cancel).toEqual([a0, b1]);
    expect(d.create).toEqual([want('buy', 2, 99_800)]);
    expect(d.amend).toEqual([]);
  });

  it('matches by side and level: a bid never stands in for an ask at the same price', () => {
    const b0 = live('x', 'buy', 0, 100_000);
    const d = diffQuotes([b0], [want('sell', 0, 100_000)], tol);
    expect(d.cancel).toEqual([b0]);
    expect(d.create).toEqual([want('sell', 0, 100_000)]);
    const l1 = live('y', 'sell', 1, 100_000);
    const d2 = diffQuotes([l1], [want('sell', 0, 100_000)], tol);
    expect(d2.cancel).toEqual([l1]);
    expect(d2.create).toHaveLength(1);
  });

  it('keeps the closest of duplicate live quotes in one slot and cancels the rest', () => {
    const far = live('far', 'buy', 0, 99_700);
    const near = live('near', 'buy', 0, 99_945);
    const d = diffQuotes([far, near], [want('buy', 0, 99_950)], tol);
    expect(d.cancel).toEqual([far]);
    expect(d.amend).toEqual([]);
  });

  it('replaces a quote older than maxAgeMs even inside the tolerance', () => {
    const old = live('old', 'buy', 0, 99_950, 0.001, 1_000);
    const fresh = live('fresh', 'sell', 0, 100_050, 0.001, 250_000);
    const d = diffQuotes([old, fresh], [want('buy', 0, 99_950), want('sell', 0, 100_050)], { pricePct: 0.02, maxAgeMs: 300_000, nowMs: 301_001 });
    expect(d.cancel).toEqual([old]);
    expect(d.create).toEqual([want('buy', 0, 99_950)]);
    expect(d.amend).toEqual([]);
    expect(() => diffQuotes([], [], { pricePct: 0.02, maxAgeMs: 1 })).toThrow(/nowMs/);
  });

  it('an empty desired list (pull quotes) cancels everything; nothing live creates everything', () => {
    const ls = [live('a', 'buy', 0, 1), live('b', 'sell', 0, 2)];
    expect(diffQuotes(ls, [], tol)).toEqual({ cancel: ls, amend: [], create: [] });
    const ws = [want('buy', 0, 1), want('sell', 0, 2)];
    expect(diffQuotes([], ws, tol)).toEqual({ cancel: [], amend: [], create: ws });
  });

  it('a zero tolerance amends any move', () => {
    expect(diffQuotes([live('b', 'buy', 0, 100)], [want('buy', 0, 100.0001)], { pricePct: 0 }).amend).toHaveLength(1);
    expect(diffQuotes([live('b', 'buy', 0, 100)], [want('buy', 0, 100)], { pricePct: 0 }).amend).toHaveLength(0);
  });
});
