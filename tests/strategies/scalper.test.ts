/**
 * Scalper scenarios on the first 160 real BTCUSDT 1m candles of data/bybit-BTCUSDT-1m.csv.gz
 * (2025-05-29 17:05 UTC on), each entry worked out by hand from the candles and the StochRSI values
 * (K/D from the StochRsi indicator, itself checked against StockCharts and a batch recomputation in
 * tests/indicators; they are asserted here to 2 decimals so the hand-work below stays honest).
 * Rows are 0-based indices into the file; the strategy starts fresh at row 0, so K first exists at
 * row 29 and D at row 31 (DESIGN section 5 lengths 14/14/3/3).
 */
import { describe, expect, it } from 'vitest';
import type { Candle, Intent } from '../../src/domain/types.js';
import { Atr } from '../../src/indicators/atr.js';
import { Scalper, type ScalperOptions } from '../../src/strategies/scalper.js';
import { FLAT, type PositionView } from '../../src/strategies/strategy.js';
import { realCandles } from '../indicators/realData.js';

const MINUTE = 60_000;
const candles = realCandles('bybit-BTCUSDT-1m.csv.gz');

type Enter = Extract<Intent, { kind: 'enter' }>;

/** Runs a fresh scalper over rows [0, end) while flat, deciding at each candle's close. */
function entries(end: number, params: ScalperOptions['params'] = {}, position: (row: number) => PositionView = () => FLAT): Map<number, Enter> {
  const s = new Scalper({ symbol: 'BTCUSDT', intervalMs: MINUTE, params });
  const out = new Map<number, Enter>();
  for (let i = 0; i < end; i++) {
    const c = candles[i]!;
    const intent = s.onCandle(c, position(i), c.ts + MINUTE);
    if (intent !== null) {
      expect(intent.kind).toBe('enter');
      out.set(i, intent as Enter);
    }
  }
  return out;
}

function sides(m: Map<number, Enter>): string[] {
  return [...m].map(([row, e]) => `${row} ${e.side}`);
}

/** K and D after each of rows [0, end), to 2 decimals. */
function stochAt(end: number): { k: (number | null)[]; d: (number | null)[] } {
  const s = new Scalper({ symbol: 'BTCUSDT', intervalMs: MINUTE });
  const k: (number | null)[] = [];
  const d: (number | null)[] = [];
  for (let i = 0; i < end; i++) {
    s.onCandle(candles[i]!, FLAT, candles[i]!.ts + MINUTE);
    k.push(s.signals.stochK === null ? null : Number(s.signals.stochK.toFixed(2)));
    d.push(s.signals.stochD === null ? null : Number(s.signals.stochD.toFixed(2)));
  }
  return { k, d };
}

describe('scalper entries on real BTCUSDT 1m candles, rows 0–79, default parameters', () => {
  const e = entries(80);
  const { k, d } = stochAt(80);

  it('enters exactly at rows 44 short, 49 short, 58 long, 67 short and 76 long', () => {
    expect(sides(e)).toEqual(['44 short', '49 short', '58 long', '67 short', '76 long']);
  });

  it('row 44: short at the pivot high of row 41, with the stop beyond it and an R ladder', () => {
    // Pivot high: row 41's high 106718.8 beats rows 39–40 (106193.7, 106218.7) and row 42 (106660.1);
    // it is confirmed at row 42, the latest pivot high by row 44.
    // Proximity: |106418.1 − 106718.8| = 300.7 ≤ 0.3 % × 106718.8 = 320.16.
    // StochRSI: row 43 K 84.36 ≥ D 65.74 and K 84.36 > 80; row 44 K 74.19 < D 76.18: a cross down.
    expect([k[43], d[43], k[44], d[44]]).toEqual([84.36, 65.74, 74.19, 76.18]);
    const x = e.get(44)!;
    expect(x.refPrice).toBe(106418.1);
    expect(x.decidedAtMs, 'decided at the close of row 44').toBe(candles[44]!.ts + MINUTE);
    // Stop 0.1 % beyond the pivot: 106718.8 × 1.001 = 106825.5188; R = 407.4188.
    expect(x.stopLoss).toBeCloseTo(106825.5188, 6);
    const targets = [106010.6812, 105603.2624, 105195.8436, 104788.4248];
    x.targets.forEach((t, i) => expect(t).toBeCloseTo(targets[i]!, 6));
    expect(x.reason).toMatch(/^short: close 106418.1 within 0.3% of pivot high 106718.8/);
  });

  it('row 41: K crosses up from oversold but the close is too far from the pivot low: no entry', () => {
    // Row 40 K 9.54 ≤ D 9.94 with K < 20, row 41 K 42.87 > D 17.47: the StochRSI half holds.
    // Pivot low 106030.5 (row 39, confirmed at row 40); |106660.1 − 106030.5| = 629.6 > 0.3 % × 106030.5 = 318.09.
    expect([k[40], d[40], k[41], d[41]]).toEqual([9.54, 9.94, 42.87, 17.47]);
    expect(e.has(41)).toBe(false);
  });

  it('row 58: long at a pivot low confirmed on the very same candle', () => {
    // Row 57's low 106120.9 < rows 55–56 (106230.8, 106154) and < row 58's 106124.4: confirmed at row 58,
    // whose close 106199.9 is 79.0 away (≤ 318.36). Row 57 K 5.97 ≤ D 11.42, K < 20; row 58 K 7.97 > D 7.22.
    expect([k[57], d[57], k[58], d[58]]).toEqual([5.97, 11.42, 7.97, 7.22]);
    const x = e.get(58)!;
    expect(x.side).toBe('long');
    // Stop 106120.9 × 0.999 = 106014.7791; R = 185.1209; targets close + 1..4 R.
    expect(x.stopLoss).toBeCloseTo(106014.7791, 6);
    const targets = [106385.0209, 106570.1418, 106755.2627, 106940.3836];
    x.targets.forEach((t, i) => expect(t).toBeCloseTo(targets[i]!, 6));
  });

  it('row 76: long from a K of exactly 0 (a real value, not "not ready")', () => {
    // Row 75 K 0.00 ≤ D 14.79, and 0 < 20; row 76 K 16.77 > D 10.51. Pivot low 106311.3 (row 71,
    // confirmed at row 72); |106373.3 − 106311.3| = 62 ≤ 318.93.
    expect([k[75], d[75], k[76], d[76]]).toEqual([0, 14.79, 16.77, 10.51]);
    expect(e.get(76)!.side).toBe('long');
  });

  it('row 69: the rule fires again two candles after the row-67 short, and the cooldown swallows it', () => {
    // Row 68 K 99.28 ≥ D 99.05 (> 80), row 69 K 89.61 < D 95.82; pivot high 106484 (row 66, confirmed
    // at row 67); |106438.1 − 106484| = 45.9. With cooldownCandles 3, rows 68–70 give no signal.
    expect([k[68], d[68], k[69], d[69]]).toEqual([99.28, 99.05, 89.61, 95.82]);
    expect(e.has(69)).toBe(false);
    expect(sides(entries(80, { cooldownCandles: 0 }))).toEqual(['44 short', '49 short', '58 long', '67 short', '69 short', '76 long']);
  });
});

describe('scalper parameters change the entries as worked out by hand', () => {
  it('proximityPct 0.6 admits row 41 (629.6 ≤ 636.18) and its cooldown then swallows row 44', () => {
    expect(sides(entries(80, { proximityPct: 0.6 }))).toEqual(['41 long', '49 short', '58 long', '67 short', '76 long']);
  });

  it('cooldownCandles 5 after row 44 swallows row 49 (rows 45–49 are blocked)', () => {
    expect(sides(entries(80, { cooldownCandles: 5 }))).toEqual(['44 short', '58 long', '67 short', '76 long']);
  });

  it('the volume filter keeps only row 76, whose volume beats 1.5 × its 20-candle average', () => {
    // Row 76: volume 185.451; rows 57–76 sum to 1729.77, average 86.4885, × 1.5 = 129.73 → passes.
    // Row 44: volume 98.281; rows 25–44 average 248.2085, × 1.5 = 372.31 → fails (the 983.9 BTC
    // sell-off at row 37 is in its window). Rows 49, 58, 67 fail likewise.
    expect(sides(entries(80, { volumeFilter: true }))).toEqual(['76 long']);
  });
});

describe('scalper protective levels and safety', () => {
  it('row 159: a long whose close already broke below the pivot low gets no pivot stop, so no entry', () => {
    // Row 159 K 8.33 > D 2.78 after row 158 K 0 ≤ D 0.94; pivot low 105843.8 (row 151, confirmed at
    // row 152); the close 105719.8 is 124 below it (within 317.5), but a stop at 105843.8 × 0.999 =
    // 105737.96 would sit above the close. In 'atr' mode the same signal is an entry.
    expect(entries(160).has(159)).toBe(false);
    const atr = new Atr(14);
    let atr159 = 0;
    for (let i = 0; i <= 159; i++) atr159 = atr.update(candles[i]!) ?? 0;
    const x = entries(160, { stopMode: 'atr' }).get(159)!;
    expect(x.side).toBe('long');
    expect(x.stopLoss).toBeCloseTo(105719.8 - 1.5 * atr159, 8);
    expect(x.targets[0]).toBeCloseTo(105719.8 + 1.5 * atr159, 8);
  });

  it("'atr' mode puts the stop atrMultiple × ATR(14) from the close (row 44 short)", () => {
    const atr = new Atr(14);
    let atr44 = 0;
    for (let i = 0; i <= 44; i++) atr44 = atr.update(candles[i]!) ?? 0;
    const x = entries(45, { stopMode: 'atr', atrMultiple: 2, takeProfitR: [1.5] }).get(44)!;
    expect(x.stopLoss).toBeCloseTo(106418.1 + 2 * atr44, 8);
    expect(x.targets).toHaveLength(1);
    expect(x.targets[0]).toBeCloseTo(106418.1 - 1.5 * 2 * atr44, 8);
  });

  it('never enters while a position in the symbol is open; the cooldown still runs from the signal', () => {
    const long: PositionView = { side: 'long', sizeBase: 0.01, entryPrice: 106000 };
    // A position is open from row 40 to row 45: rows 44 is suppressed, row 49 still enters.
    const e = entries(80, {}, (row) => (row >= 40 && row <= 45 ? long : FLAT));
    expect(sides(e)).toEqual(['49 short', '58 long', '67 short', '76 long']);
    // Open throughout: nothing at all.
    expect(entries(80, {}, () => long).size).toBe(0);
  });

  it('does not trade a signal from a candle that closed long ago (catch-up after the phone slept)', () => {
    const s = new Scalper({ symbol: 'BTCUSDT', intervalMs: MINUTE });
    const late = 10 * MINUTE;
    let n = 0;
    for (let i = 0; i < 80; i++) if (s.onCandle(candles[i]!, FLAT, candles[i]!.ts + MINUTE + late) !== null) n++;
    expect(n).toBe(0);
    // Indicators still took every candle: a fresh candle after the catch-up is judged normally.
    expect(s.signals.stochK).not.toBeNull();
  });

  it('ignores a repeated or out-of-order candle (stream and REST overlap after a reconnect)', () => {
    const s = new Scalper({ symbol: 'BTCUSDT', intervalMs: MINUTE });
    const got: string[] = [];
    for (let i = 0; i < 80; i++) {
      const c = candles[i]!;
      const r = s.onCandle(c, FLAT, c.ts + MINUTE);
      if (r?.kind === 'enter') got.push(`${i} ${r.side}`);
      // Replay this candle and an older one with a wild close: neither may move the indicators.
      const replay: Candle = { ...c, close: c.close * 2 };
      expect(s.onCandle(replay, FLAT, c.ts + MINUTE)).toBeNull();
      if (i > 0) expect(s.onCandle({ ...candles[i - 1]!, close: 1 }, FLAT, c.ts + MINUTE)).toBeNull();
    }
    expect(got).toEqual(['44 short', '49 short', '58 long', '67 short', '76 long']);
  });

  it('needs warmupCandles of history before it can signal, and ignores the book', () => {
    const s = new Scalper({ symbol: 'BTCUSDT', intervalMs: MINUTE });
    expect(s.warmupCandles).toBe(33); // D needs 32 candles, the cross needs D one candle earlier too
    expect(s.onBook({ bidPrice: 1, bidQty: 1, askPrice: 2, askQty: 1, ts: 0 }, FLAT, 0)).toBeNull();
  });

  it('validates its parameters on construction', () => {
    expect(() => new Scalper({ symbol: 'BTCUSDT', intervalMs: MINUTE, params: { pivotLeft: 0 } })).toThrow(/must be at least 1/);
    expect(() => new Scalper({ symbol: 'BTCUSDT', intervalMs: 0 })).toThrow(/intervalMs/);
  });
});
