/**
 * ScalperSignals (what `signals` prints and the Scalper trades) row by row against the independent
 * oracle of DESIGN section 5 (designOracle.ts: plain arrays, exact fractions for K/D and exact
 * decimals for the bounds), on every real candle file in data/, with the defaults and with
 * parameters that move the edges (proximity, cooldown, pivot widths, the volume filter).
 * Zero disagreements allowed: a signal, a pivot or an indicator value more than 1e-9 apart fails.
 */
import { describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/types.js';
import { DEFAULT_SCALPER_PARAMS, type ScalperParams } from '../../src/strategies/scalperParams.js';
import { ScalperSignals } from '../../src/strategies/scalperSignals.js';
import { realCandles, type DataFile } from '../indicators/realData.js';
import { DESIGN_DEFAULTS, designSignals, type OracleParams } from './designOracle.js';

/** Rows where code and oracle differ, described, at most `limit` of them; and the code's signal count. */
function disagreements(candles: readonly Candle[], params: Partial<OracleParams>, limit = 5): { diffs: string[]; count: number; signals: number } {
  const rows = designSignals(candles, { ...DESIGN_DEFAULTS, ...params });
  const s = new ScalperSignals({ ...DEFAULT_SCALPER_PARAMS, ...params } as ScalperParams);
  const diffs: string[] = [];
  let count = 0;
  let signals = 0;
  const far = (a: number | null, b: number | null) => (a === null) !== (b === null) || (a !== null && b !== null && Math.abs(a - b) > 1e-9);
  candles.forEach((c, t) => {
    const signal = s.update(c);
    if (signal !== null) signals++;
    const o = rows[t]!;
    const bad =
      signal !== o.signal ||
      s.pivotHighConfirmed !== o.pivotHigh ||
      s.pivotLowConfirmed !== o.pivotLow ||
      far(s.rsi, o.rsi) ||
      far(s.stochK, o.k) ||
      far(s.stochD, o.d);
    if (!bad) return;
    count++;
    if (diffs.length < limit) {
      diffs.push(
        `row ${t} ${new Date(c.ts).toISOString()}: code ${signal} K ${s.stochK} D ${s.stochD} pivots ${s.pivotHighConfirmed}/${s.pivotLowConfirmed}; ` +
          `oracle ${o.signal} K ${o.k} D ${o.d} pivots ${o.pivotHigh}/${o.pivotLow}`,
      );
    }
  });
  return { diffs, count, signals };
}

const FILES: DataFile[] = ['bybit-BTCUSDT-1m.csv.gz', 'bybit-ETHUSDT-1m.csv.gz', 'bybit-BTCUSDT-5m.csv.gz'];

describe('ScalperSignals agrees with the DESIGN section 5 oracle on every real candle', () => {
  for (const file of FILES) {
    it(`${file}, default parameters`, () => {
      const { diffs, count, signals } = disagreements(realCandles(file), {});
      expect(diffs, `${count} rows differ`).toEqual([]);
      expect(signals, 'a run that signals at all').toBeGreaterThan(1000);
    });
  }

  // The edges on a slice: 8,000 candles of each file keep this file well under 10 s.
  const EDGES: Partial<OracleParams>[] = [
    { proximityPct: 0.1 },
    { proximityPct: 1, cooldownCandles: 0 },
    { cooldownCandles: 10 },
    { pivotLeft: 3, pivotRight: 2 },
    { pivotLeft: 1, pivotRight: 0, proximityPct: 0.05 },
    { volumeFilter: true },
    { volumeFilter: true, volumeFactor: 1, volumeLength: 3 },
    { oversold: 30, overbought: 70, kSmoothing: 2, dSmoothing: 4 },
  ];
  for (const params of EDGES) {
    it(`the first 8,000 candles of each file, ${JSON.stringify(params)}`, () => {
      for (const file of FILES) {
        const { diffs, count } = disagreements(realCandles(file).slice(0, 8000), params);
        expect(diffs, `${file}: ${count} rows differ`).toEqual([]);
      }
    });
  }
});
