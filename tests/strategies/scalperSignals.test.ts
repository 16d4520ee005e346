/**
 * ScalperSignals at the edges of DESIGN section 5's entry rule: a K/D tie is not a cross, the
 * proximity and volume bounds hold with equality, the cooldown blocks exactly cooldownCandles
 * candles. Real rows are 0-based indices into data/bybit-*.csv.gz (their timestamps are asserted),
 * each a place where the code once disagreed with the independent oracle tests/strategies/designOracle.ts;
 * the hand-made sequences put an equality exactly where doubles round it the wrong way.
 */
import { describe, expect, it } from 'vitest';
import type { Candle, PositionSide } from '../../src/domain/types.js';
import { DEFAULT_SCALPER_PARAMS, type ScalperParams } from '../../src/strategies/scalperParams.js';
import { ScalperSignals } from '../../src/strategies/scalperSignals.js';
import { realCandles, type DataFile } from '../indicators/realData.js';

/** Signals of a fresh ScalperSignals over candles [0, end), by row. */
function signals(candles: readonly Candle[], end: number, params: Partial<ScalperParams> = {}): (PositionSide | null)[] {
  const s = new ScalperSignals({ ...DEFAULT_SCALPER_PARAMS, ...params });
  const out: (PositionSide | null)[] = [];
  for (let i = 0; i < end; i++) out.push(s.update(candles[i]!));
  return out;
}

/** Rows in [from, to] with a signal, as "row side". */
function signalRows(file: DataFile, from: number, to: number, params: Partial<ScalperParams> = {}): string[] {
  const sig = signals(realCandles(file), to + 1, params);
  const rows: string[] = [];
  for (let i = from; i <= to; i++) if (sig[i] !== null) rows.push(`${i} ${sig[i]}`);
  return rows;
}

const utc = (file: DataFile, row: number) => new Date(realCandles(file)[row]!.ts).toISOString().slice(0, 16);

describe('a K/D tie is not a cross (K[t−1] ≤ D[t−1] and K[t] > D[t], exactly)', () => {
  const BTC: DataFile = 'bybit-BTCUSDT-1m.csv.gz';

  it('BTCUSDT 1m rows 216–221: K flat at 0 is no long; the real cross at row 221 is', () => {
    // K was 0 from row 216 on, so D of rows 216–218 was 0; a running-sum SMA made it −3.7e-16, row 218
    // read K 0 > D as a cross up, and its cooldown swallowed row 221 (K 8.44 > D 2.81 after K = D = 0).
    expect(utc(BTC, 218)).toBe('2025-05-29T20:43');
    expect(signalRows(BTC, 216, 221)).toEqual(['221 long']);
  });

  it('BTCUSDT 1m rows 1619–1622: K equal for three rows, so D = K at row 1621: the long is row 1622', () => {
    // raw 0, 0.701…, 0, 0 keeps K at 0.23368… on rows 1619–1621 (the same window contents, turned).
    expect(utc(BTC, 1621)).toBe('2025-05-30T20:06');
    expect(signalRows(BTC, 1619, 1622)).toEqual(['1622 long']);
  });

  it('BTCUSDT 1m row 29023: RSI at its 14-candle high makes raw exactly 100, so K = D = 100: no short', () => {
    // 100·(x − min)/(max − min) with x = max gave 99.99999999999997, K 99.99999999999999 < D 100.
    expect(utc(BTC, 29023)).toBe('2025-06-18T20:48');
    expect(signalRows(BTC, 29020, 29023)).toEqual([]);
  });

  it('BTCUSDT 1m rows 13612–13620: six flat closes keep RSI, so K = D = 0; the long is row 13620', () => {
    // A one-ulp RSI wobble on the sixth flat close (row 13617) made K 1.7e-14 > D 5.8e-15.
    expect(utc(BTC, 13617)).toBe('2025-06-08T04:02');
    expect(signalRows(BTC, 13612, 13620)).toEqual(['13620 long']);
  });

  it('ETHUSDT 1m row 4679: a flat close at the top keeps K = D = 100: no short', () => {
    const ETH: DataFile = 'bybit-ETHUSDT-1m.csv.gz';
    expect(utc(ETH, 4679)).toBe('2025-06-01T23:05');
    expect(signalRows(ETH, 4676, 4679)).toEqual([]);
  });
});

/**
 * Hand-made turn at row 40: 15 candles against the trend, then 25 with it (RSI falls, or rises, to a
 * new 14-candle extreme every candle, so raw, K and D are exactly 0, or 100), then one close against
 * the trend: K crosses D from beyond oversold (overbought). Row 38's low (high) is `pivot`, between
 * higher lows (lower highs), so it is the pivot confirmed at row 39. Volumes are 1 unless given.
 */
function turn(side: PositionSide, pivot: number, lastClose: number, volumes: readonly number[] = []): Candle[] {
  const dir = side === 'long' ? 1 : -1; // +1: the price falls towards a pivot low and turns up
  const closeAt = (i: number) => (i < 15 ? pivot + dir * (125 - (15 - i) * 5) : pivot + dir * (5 + (39 - i) * 5));
  const candles: Candle[] = [];
  for (let i = 0; i <= 40; i++) {
    const close = i === 40 ? lastClose : closeAt(i);
    const open = i === 0 ? close : candles[i - 1]!.close;
    const extreme = i === 38 ? pivot : i === 39 ? pivot + dir * 2 : close - dir * 3;
    const high = side === 'long' ? Math.max(open, close) + 1 : extreme;
    const low = side === 'long' ? extreme : Math.min(open, close) - 1;
    candles.push({ ts: 1_750_000_000_000 + i * 60_000, open, high, low, close, volume: volumes[i] ?? 1 });
  }
  return candles;
}

describe('the proximity bound |close − pivot| ≤ (proximityPct / 100) × pivot holds with equality', () => {
  it('long: close 10230.6 is exactly 0.3 % above the pivot low 10200 (30.6), so it signals', () => {
    // In doubles 10230.6 − 10200 = 30.600000000000364 > 0.003 × 10200 = 30.6: the bound failed.
    const c = turn('long', 10200, 10230.6);
    expect(c[38]!.low).toBe(10200);
    expect(signals(c, 41).flatMap((s, i) => (s === null ? [] : [`${i} ${s}`]))).toEqual(['40 long']);
    expect(signals(turn('long', 10200, 10230.7), 41)[40], '30.7 > 30.6').toBeNull();
  });

  it('short: close 10169.4 is exactly 0.3 % below the pivot high 10200, so it signals', () => {
    const c = turn('short', 10200, 10169.4);
    expect(c[38]!.high).toBe(10200);
    expect(signals(c, 41).flatMap((s, i) => (s === null ? [] : [`${i} ${s}`]))).toEqual(['40 short']);
    expect(signals(turn('short', 10200, 10169.3), 41)[40]).toBeNull();
  });
});

describe('the volume filter volume[t] ≥ volumeFactor × SMA(volume, 20) holds with equality', () => {
  it('passes a run of equal volumes at volumeFactor 1 (0.1 ≥ 1 × 0.1)', () => {
    // Twenty 0.1 sum to 2.0000000000000004 in doubles, a mean of 0.10000000000000002 > 0.1.
    const c = turn('long', 10200, 10210, Array(41).fill(0.1));
    expect(signals(c, 41, { volumeFilter: true, volumeFactor: 1 })[40]).toBe('long');
  });

  it('passes 0.7 against twice a mean of exactly 0.35, and refuses 0.69', () => {
    // Rows 21–39 sum to 6.3, so with row 40's 0.7 the window sums to 7 and 2 × 7/20 = 0.7 exactly;
    // in doubles the sum is 7.000000000000002.
    const window = [0.5, 0.3, 0.5, 0.3, 0.2, 0.5, 0.5, 0.2, 0.5, 0.2, 0.2, 0.2, 0.1, 0.2, 0.5, 0.4, 0.2, 0.4, 0.4];
    const volumes = [...Array(21).fill(3), ...window, 0.7];
    expect(signals(turn('long', 10200, 10210, volumes), 41, { volumeFilter: true, volumeFactor: 2 })[40]).toBe('long');
    const less = [...volumes.slice(0, 40), 0.69];
    expect(signals(turn('long', 10200, 10210, less), 41, { volumeFilter: true, volumeFactor: 2 })[40]).toBeNull();
  });
});

describe('the cooldown blocks exactly the cooldownCandles candles after a signal', () => {
  it('BTCUSDT 1m: after the row-44 short, cooldown 4 blocks rows 45–48 and lets row 49 through; 5 blocks it', () => {
    const BTC: DataFile = 'bybit-BTCUSDT-1m.csv.gz';
    expect(signalRows(BTC, 44, 49, { cooldownCandles: 4 })).toEqual(['44 short', '49 short']);
    expect(signalRows(BTC, 44, 49, { cooldownCandles: 5 })).toEqual(['44 short']);
  });
});

describe('a tie does not depend on where the stream started', () => {
  it('BTCUSDT 1m rows 5522–5526: started at rows 0 to 5, the long is row 5525 every time', () => {
    // The backtest starts the scalper a warm-up before its window, `signals` at row 0. With a running
    // sum the SMA's rounding depended on that start: from rows 2 and 5 row 5524 (13:09 UTC, K 0,
    // D −1.2e-15) was a phantom long whose cooldown swallowed row 5525, so the backtest missed a
    // trade that `signals` showed.
    const candles = realCandles('bybit-BTCUSDT-1m.csv.gz');
    expect(utc('bybit-BTCUSDT-1m.csv.gz', 5525)).toBe('2025-06-02T13:10');
    for (let start = 0; start <= 5; start++) {
      const sig = signals(candles.slice(start), 5527 - start);
      const rows = [5522, 5523, 5524, 5525, 5526].filter((r) => sig[r - start] !== null).map((r) => `${r} ${sig[r - start]}`);
      expect(rows, `started at row ${start}`).toEqual(['5525 long']);
    }
  });
});
