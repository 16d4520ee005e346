/**
 * Order-book rebuilding on real Bybit data: data/bybit-XRPUSDT-ob500-2024-12-01-sample.ndjson.gz is
 * a recorded `orderbook.500.XRPUSDT` snapshot followed by 49 deltas with consecutive `u`.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseWire, WireBookData, type WireBookData as BookData } from '../../../src/exchange/bybit/bybitWire.js';
import { OrderBook } from '../../../src/exchange/bybit/orderBook.js';

interface Recorded {
  readonly type: string;
  readonly ts: number;
  readonly data: BookData;
}

const recorded: Recorded[] = gunzipSync(readFileSync(new URL('../../../data/bybit-XRPUSDT-ob500-2024-12-01-sample.ndjson.gz', import.meta.url)))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((line) => {
    const m = JSON.parse(line) as { type: string; ts: number; data: unknown };
    return { type: m.type, ts: m.ts, data: parseWire(WireBookData, m.data, 'orderbook') };
  });

/** An independent, obviously-correct rebuild: a plain object per side, sorted at the end. */
function naiveBook(messages: readonly Recorded[]): { bids: string[][]; asks: string[][] } {
  const bids: Record<string, string> = {};
  const asks: Record<string, string> = {};
  for (const m of messages) {
    if (m.type === 'snapshot') {
      for (const k of Object.keys(bids)) delete bids[k];
      for (const k of Object.keys(asks)) delete asks[k];
    }
    for (const [p, q] of m.data.b) if (q === '0') delete bids[p!];
    else bids[p!] = q!;
    for (const [p, q] of m.data.a) if (q === '0') delete asks[p!];
    else asks[p!] = q!;
  }
  return {
    bids: Object.entries(bids).sort((x, y) => Number(y[0]) - Number(x[0])),
    asks: Object.entries(asks).sort((x, y) => Number(x[0]) - Number(y[0])),
  };
}

describe('OrderBook', () => {
  it('rebuilds the recorded XRPUSDT book from its snapshot and 49 deltas, never crossed', () => {
    expect(recorded).toHaveLength(50);
    const book = new OrderBook('XRPUSDT');
    for (const m of recorded) {
      expect(book.apply(m.type, m.data, m.ts)).toBe('applied');
      const top = book.top()!;
      expect(top.bidPrice, `crossed at u=${m.data.u}`).toBeLessThan(top.askPrice);
    }
    const levels = book.levels();
    const expected = naiveBook(recorded);
    expect(levels.bids.map((l) => [...l])).toEqual(expected.bids);
    expect(levels.asks.map((l) => [...l])).toEqual(expected.asks);
    expect(book.top()!.bidPrice).toBe(Number(expected.bids[0]![0]));
    expect(book.top()!.askPrice).toBe(Number(expected.asks[0]![0]));
  });

  it('reports a jump of u as a gap but applies the delta and stays usable (Bybit does not promise steps of 1)', () => {
    const book = new OrderBook('XRPUSDT');
    book.apply(recorded[0]!.type, recorded[0]!.data, 0);
    book.apply(recorded[1]!.type, recorded[1]!.data, 0);
    expect(book.apply(recorded[3]!.type, recorded[3]!.data, 0), 'u jumped by 2').toBe('gap');
    expect(book.valid, 'a jump does not stop quoting').toBe(true);
    expect(book.top()).not.toBeNull();
    expect(book.updateId).toBe(recorded[3]!.data.u);
    expect(book.apply(recorded[2]!.type, recorded[2]!.data, 0), 'an older u arriving late').toBe('ignored');
    expect(book.apply(recorded[4]!.type, recorded[4]!.data, 0)).toBe('applied');
    expect(book.apply('snapshot', recorded[0]!.data, 0)).toBe('applied');
    expect(book.valid).toBe(true);
  });

  it('ignores a repeated delta and treats u=1 as a fresh book (Bybit service restart)', () => {
    const book = new OrderBook('XRPUSDT');
    book.apply(recorded[0]!.type, recorded[0]!.data, 0);
    book.apply(recorded[1]!.type, recorded[1]!.data, 0);
    expect(book.apply(recorded[1]!.type, recorded[1]!.data, 0)).toBe('ignored');
    const restart: BookData = { s: 'XRPUSDT', b: [['1.5', '10']], a: [['1.6', '20']], u: 1 };
    expect(book.apply('delta', restart, 0)).toBe('applied');
    expect(book.levels()).toEqual({ bids: [['1.5', '10']], asks: [['1.6', '20']] });
    expect(book.apply('delta', { ...restart, b: [['1.5', '0']], a: [], u: 2 }, 0)).toBe('applied');
    expect(book.levels().bids).toEqual([]);
  });
});
